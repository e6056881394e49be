import { fork, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { entryReadableBy } from './readable-checkout.js';

const START_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;

/** A child process driven by request/reply messages over its IPC channel. */
export interface IpcChild {
  child: ChildProcess;
  /** Sends `{ id, ...message }` and resolves with the reply's `result` (rejects with its `error`). */
  request<T>(message: Record<string, unknown>): Promise<T>;
  /** Closes the channel and waits for the child to exit; one that does not exit in 5 s is killed and the stop fails. */
  stop(): Promise<void>;
}

/** How to run the child. */
export interface ForkOptions {
  /** Node flags (default: this process's). */
  execArgv?: string[];
  /**
   * Run as this uid and gid, with no supplementary groups (through `setpriv`, which must be installed),
   * from a copy of the checkout when the checkout is out of that uid's reach.
   */
  runAs?: number;
  /** With `runAs`: its supplementary groups (a pod's `fsGroup`). Default none. */
  groups?: number[];
}

/** How to run the child: a `ForkOptions`, or a wrapper command that execs node (see forkIpc). */
function spawnThrough(wrapper: readonly string[], entry: string, args: string[]): ChildProcess {
  const options: SpawnOptions = { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' };
  if (wrapper.length === 0) return fork(entry, args, options);
  return spawn(wrapper[0]!, [...wrapper.slice(1), process.execPath, entry, ...args], options);
}

function forkAs(entry: string, args: string[], options: ForkOptions): ChildProcess {
  const execArgv = options.execArgv ?? process.execArgv;
  const as = options.runAs;
  // Another uid may not be able to read this checkout: it then runs from a copy it can read.
  return fork(as === undefined ? entry : entryReadableBy(as, entry), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    // setpriv keeps the IPC descriptor open when it executes node.
    ...(as === undefined
      ? { execArgv }
      : {
          execPath: 'setpriv',
          execArgv: [
            `--reuid=${as}`,
            `--regid=${as}`,
            options.groups?.length ? `--groups=${options.groups.join(',')}` : '--clear-groups',
            '--',
            process.execPath,
            ...execArgv,
          ],
        }),
  });
}

type Reply = { id: number; ok: true; result?: unknown } | { id: number; ok: false; error: string };

/**
 * Forks `node entry ...args` and waits for its `{ ready: true }` message. The
 * child answers each request with `{ id, ok, result | error }` and exits when
 * the channel closes (also when this process dies). A `wrapper` (e.g.
 * `ip netns exec <ns>`) runs node through it; it must exec node in the same
 * process, so the channel and the pid stay node's.
 */
export async function forkIpc(
  label: string,
  entry: string,
  args: string[],
  how: ForkOptions | readonly string[] = {},
): Promise<IpcChild> {
  const child = Array.isArray(how) ? spawnThrough(how, entry, args) : forkAs(entry, args, how as ForkOptions);
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let nextId = 0;
  const failAll = (err: Error): void => {
    for (const waiter of pending.values()) waiter.reject(err);
    pending.clear();
  };
  child.on('message', (message: Reply) => {
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`${label}: ${message.error}`));
  });
  child.on('exit', (code, signal) => failAll(new Error(`${label} exited (${code ?? signal})`)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${label} did not start in ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      child.once('exit', (code, signal) =>
        reject(new Error(`${label} exited (${code ?? signal}) before it was ready`)),
      );
      child.once('error', reject);
      child.once('message', (message: { ready?: boolean }) => {
        clearTimeout(timer);
        if (message.ready) resolve();
        else reject(new Error(`${label} said ${JSON.stringify(message)} before it was ready`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    request<T>(message: Record<string, unknown>): Promise<T> {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        if (!child.connected) return reject(new Error(`${label} is gone`));
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ ...message, id });
      });
    },
    stop: () => stopChild(child, label),
  };
}

function stopChild(child: ChildProcess, label: string): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, EXIT_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      if (killed)
        reject(new Error(`${label} ${child.pid} did not exit within ${EXIT_TIMEOUT_MS} ms of its channel closing`));
      else resolve();
    });
    if (child.connected) child.disconnect();
  });
}
