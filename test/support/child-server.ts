import { fileURLToPath } from 'node:url';
import type { FriendsServerOptions } from '@friends/nest';
import { spawnReady } from './child-process.js';

const ENTRY = fileURLToPath(new URL('../fixtures/dist/server-process.js', import.meta.url));

export interface ChildServer {
  port: number;
  unixPath: string | null;
  pid: number;
  stop(): Promise<void>;
}

/** The test microservice in another process (built by `npm run build`). */
export async function startChildServer(
  kind: 'friends' | 'stock',
  port: number,
  options: FriendsServerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildServer> {
  const { child, ready, stop } = await spawnReady<{ unixPath: string | null }>(
    'child server',
    ENTRY,
    [kind, String(port), JSON.stringify(options)],
    env,
  );
  return { port, unixPath: ready.unixPath, pid: child.pid!, stop };
}
