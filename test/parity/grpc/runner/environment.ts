import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { Server, Socket } from 'node:net';
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
  /** Connections and listeners still open in this process (closed by the sweep, so the process can exit). */
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
 * Sockets opened and listeners started since `before` that are still open a
 * moment after every client closed and every server stopped: reported, then
 * closed, since nothing else would ever close them.
 */
async function sweepConnections(before: Set<object>): Promise<string[]> {
  const left = (): (Socket | Server)[] =>
    activeHandles().filter(
      (handle): handle is Socket | Server =>
        (handle instanceof Socket || (handle instanceof Server && handle.listening)) && !before.has(handle),
    );
  for (let waited = 0; left().length > 0 && waited < 500; waited += 20) await sleep(20);
  const handles = left();
  const described = handles.map((handle) => {
    if (handle instanceof Server) return `${typeof handle.address() === 'string' ? 'unix' : 'tcp'} listener`;
    return handle.remotePort !== undefined
      ? `tcp ${(handle as { server?: unknown }).server ? 'accepted' : 'client'} socket`
      : `${(handle as { _handle?: object })._handle?.constructor.name ?? 'closed'} socket`;
  });
  for (const handle of handles) {
    if (handle instanceof Server) handle.close();
    else handle.destroy();
  }
  return described.sort();
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath ?? '', entry.name));
}
