import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunningInteropServer } from '../../fixtures/src/grpc/interop-server.js';

export { startInteropServer } from '../../fixtures/src/grpc/interop-server.js';
export type { RunningInteropServer };

const ENTRY = fileURLToPath(new URL('../../fixtures/dist/grpc/interop-server-process.js', import.meta.url));
const START_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 5_000;

/**
 * The interop server in a child process (built by `npx tsc -b test/fixtures`), on a port it picks.
 * `kind` names a server class the child process knows.
 */
export async function startChildInteropServer(kind = 'stock'): Promise<RunningInteropServer> {
  const child = spawn(process.execPath, [ENTRY, '0', kind], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const { port } = await readyLine(child);
    return { port, stop: () => stopChild(child) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

function readyLine(child: ChildProcess): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const fail = (error: Error) => {
      clearTimeout(timer);
      lines.close();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`interop server did not start in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code, signal) => fail(new Error(`interop server exited (${code ?? signal}) before ready`)));
    child.once('error', fail);
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      child.stdout!.resume();
      const ready = JSON.parse(line) as { ready: boolean; port: number };
      if (ready.ready) resolve(ready);
      else reject(new Error(`unexpected first line from interop server: ${line}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  // A server that does not exit once stdin closes is a bug: kill it, and fail.
  return new Promise((resolve, reject) => {
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, EXIT_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      if (killed) reject(new Error(`interop server ${child.pid} did not exit within ${EXIT_TIMEOUT_MS} ms`));
      else resolve();
    });
    child.stdin!.end();
  });
}
