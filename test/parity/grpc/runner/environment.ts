import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { readTls, ServerHost } from '../core/server-host.js';
import { parityService } from '../core/service.js';
import { EXTRA_PATHS, SCENARIOS } from '../scenarios/index.js';
import { ChildServerHost } from './child-host.js';
import type { Placement } from './placements.js';
import type { PlacementEnv } from './run-scenario.js';

export const ParityClientClass = grpc.makeGenericClientConstructor(
  parityService(SCENARIOS),
  'Parity',
) as unknown as PlacementEnv['Client'];

export interface OpenPlacement extends PlacementEnv {
  /** Stops every server (and the child process) and reports files the servers left behind. */
  close(): Promise<string[]>;
}

/** The servers of one placement: in this process, or in a child process with its own socket directory. */
export function openPlacement(placement: Placement, tlsDir: string | null): OpenPlacement {
  const tls = readTls(tlsDir);
  if (!placement.child) {
    const host = new ServerHost(placement.server, SCENARIOS, tls, EXTRA_PATHS);
    return { placement, host, tls, Client: ParityClientClass, close: async () => (await host.stopAll(), []) };
  }
  // The child's unix sockets go to a directory of this run's own, checked for leftovers at the end.
  const runtimeDir = mkdtempSync(join(tmpdir(), 'parity-grpc-run-'));
  const host = new ChildServerHost(placement.server, tlsDir, { ...process.env, XDG_RUNTIME_DIR: runtimeDir });
  return {
    placement,
    host,
    tls,
    Client: ParityClientClass,
    async close() {
      try {
        await host.stopAll();
        return listFiles(runtimeDir);
      } finally {
        rmSync(runtimeDir, { recursive: true, force: true });
      }
    },
  };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath ?? '', entry.name));
}
