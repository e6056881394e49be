import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { readTls, ServerHost } from '../core/server-host.js';
import { parityService } from '../core/service.js';
import { sleep } from '../core/timing.js';
import { ALL_METHODS, EXTRA_PATHS } from '../scenarios/index.js';
import { ChildServerHost } from './child-host.js';
import type { Placement } from './placements.js';
import type { PlacementEnv } from './run-scenario.js';

export const ParityClientClass = grpc.makeGenericClientConstructor(
  parityService(ALL_METHODS),
  'Parity',
) as unknown as PlacementEnv['Client'];

/** What a placement left behind once its clients were closed and its servers stopped. */
export interface Leftovers {
  /** Connections still open in this process (destroyed by the sweep, so the process can exit). */
  connections: string[];
  /** Files left in the child's socket directory. */
  files: string[];
  /** What kept the child process alive once its servers stopped (it exits by itself otherwise). */
  process: string[];
}

export interface OpenPlacement extends PlacementEnv {
  /** Stops every server (and the child process), then sweeps what is left; idempotent. */
  close(): Promise<Leftovers>;
}

type Handles = () => object[];
const activeHandles = (process as unknown as { _getActiveHandles: Handles })._getActiveHandles.bind(process);

/** The servers of one placement: in this process, or in a child process with its own socket directory. */
export function openPlacement(placement: Placement, tlsDir: string | null): OpenPlacement {
  const tls = readTls(tlsDir);
  const before = new Set(activeHandles());
  // The child's unix sockets go to a directory of this run's own, checked for leftovers at the end.
  const runtimeDir = placement.child ? mkdtempSync(join(tmpdir(), 'parity-grpc-run-')) : null;
  const host = runtimeDir
    ? new ChildServerHost(placement.server, tlsDir, { ...process.env, XDG_RUNTIME_DIR: runtimeDir })
    : new ServerHost(placement.server, ALL_METHODS, tls, EXTRA_PATHS);
  let closed: Promise<Leftovers> | undefined;
  const close = async (): Promise<Leftovers> => {
    try {
      await host.stopAll();
      const connections = await sweepConnections(before);
      return {
        connections,
        files: runtimeDir ? listFiles(runtimeDir) : [],
        process: host instanceof ChildServerHost ? [...host.keptAlive()] : [],
      };
    } finally {
      if (runtimeDir) rmSync(runtimeDir, { recursive: true, force: true });
    }
  };
  return { placement, host, tls, Client: ParityClientClass, close: () => (closed ??= close()) };
}

/**
 * Sockets opened since `before` that are still open a moment after every
 * client closed and every server stopped: reported, then destroyed, since
 * nothing else would ever close them.
 */
async function sweepConnections(before: Set<object>): Promise<string[]> {
  const left = (): Socket[] =>
    activeHandles().filter((handle): handle is Socket => handle instanceof Socket && !before.has(handle));
  for (let waited = 0; left().length > 0 && waited < 500; waited += 20) await sleep(20);
  const sockets = left();
  const described = sockets.map((socket) =>
    socket.remotePort !== undefined
      ? `tcp ${(socket as { server?: unknown }).server ? 'accepted' : 'client'} socket`
      : `${(socket as { _handle?: object })._handle?.constructor.name ?? 'closed'} socket`,
  );
  for (const socket of sockets) socket.destroy();
  return described.sort();
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath ?? '', entry.name));
}
