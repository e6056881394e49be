import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { FriendsServerOptions } from '@friends/nest';

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
  const child = spawn(process.execPath, [ENTRY, kind, String(port), JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env,
  });
  const ready = await new Promise<{ port: number; unixPath: string | null }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('child server did not start in 15 s')), 15_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      resolve(JSON.parse(line));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited with ${code}`));
    });
  });
  return { ...ready, port, pid: child.pid!, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  // A server that does not shut down by itself is a bug: kill it, and fail.
  return new Promise((resolve, reject) => {
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(killer);
      if (killed) reject(new Error(`child server ${child.pid} did not exit within 5 s of stdin closing`));
      else resolve();
    });
    child.stdin?.end();
  });
}
