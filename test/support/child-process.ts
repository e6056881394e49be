import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const START_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;

/** A server in a child process that announced itself with one JSON line on stdout. */
export interface ReadyChild<T> {
  child: ChildProcess;
  ready: T;
  /** Closes its stdin and waits for it to exit; one that does not exit in 5 s is killed and the stop fails. */
  stop(): Promise<void>;
}

/** Spawns `node entry ...args` and waits for its first stdout line, parsed as JSON. */
export async function spawnReady<T>(
  label: string,
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReadyChild<T>> {
  const child = spawn(process.execPath, [entry, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env });
  try {
    const ready = await new Promise<T>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      const fail = (error: Error): void => {
        clearTimeout(timer);
        lines.close();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`${label} did not start in ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      child.once('exit', (code, signal) => fail(new Error(`${label} exited (${code ?? signal}) before it was ready`)));
      child.once('error', fail);
      lines.once('line', (line) => {
        clearTimeout(timer);
        lines.close();
        child.stdout!.resume();
        resolve(JSON.parse(line) as T);
      });
    });
    return { child, ready, stop: () => stopChild(child, label) };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

function stopChild(child: ChildProcess, label: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  // A server that does not exit once its stdin closes is a bug: kill it, and fail.
  return new Promise((resolve, reject) => {
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, EXIT_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      if (killed) reject(new Error(`${label} ${child.pid} did not exit within ${EXIT_TIMEOUT_MS} ms of stdin closing`));
      else resolve();
    });
    child.stdin?.end();
  });
}
