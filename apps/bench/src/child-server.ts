import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './child-protocol.js';
import type { ServerKind } from './server-kind.js';

const SERVER_ENTRY = fileURLToPath(new URL('./server-process.js', import.meta.url));
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;

/** Every child still alive, so any way out of the benchmark can kill them. */
const live = new Set<ChildProcess>();

/** An echo server in its own process. */
export class ChildServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(kind: ServerKind, port: number): Promise<ChildServer> {
    // execArgv: [] so flags such as --cpu-prof given to the benchmark do not apply to the server.
    const child = fork(SERVER_ENTRY, [kind, String(port)], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    try {
      const bound = await waitReady(child, kind);
      return new ChildServer(child, bound);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  /** Asks the child to close its Nest app; kills it if it does not exit promptly. */
  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

/** Synchronous last resort for 'exit' and signal handlers. */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function waitReady(child: ChildProcess, kind: ServerKind): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`${kind} server process not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    const onMessage = (message: ChildMessage): void => {
      if (message.type === 'ready') finish(undefined, message.port);
      else finish(new Error(`${kind} server process failed: ${message.message}`));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`${kind} server process exited before ready (code ${code}, signal ${signal})`));
    function finish(err: Error | undefined, port?: number): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(port!);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
