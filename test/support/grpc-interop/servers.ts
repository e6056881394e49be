import { fileURLToPath } from 'node:url';
import type { RunningInteropServer } from '../../fixtures/src/grpc/interop-server.js';
import { spawnReady } from '../child-process.js';

export { startInteropServer } from '../../fixtures/src/grpc/interop-server.js';
export type { RunningInteropServer };

const ENTRY = fileURLToPath(new URL('../../fixtures/dist/grpc/interop-server-process.js', import.meta.url));

/**
 * The interop server in a child process (built by `npx tsc -b test/fixtures`), on a port it picks.
 * `kind` names a server class the child process knows.
 */
export async function startChildInteropServer(kind = 'stock'): Promise<RunningInteropServer> {
  const { ready, stop } = await spawnReady<{ ready: boolean; port: number }>('interop server', ENTRY, ['0', kind]);
  if (!ready.ready) {
    await stop();
    throw new Error('unexpected first line from the interop server');
  }
  return { port: ready.port, stop };
}
