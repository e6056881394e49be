import { fork, type ChildProcess } from 'node:child_process';
import type { ChildMessage, ParentMessage } from './child-protocol.js';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;

/** Every child still alive, so any way out of the benchmark can kill them. */
const live = new Set<ChildProcess>();

/** A server in its own process, started by a script that reports through `serveInChild`. */
export class ChildServer {
  private constructor(
    private readonly child: ChildProcess,
    /** Every port the child serves; `port` is the first. */
    readonly ports: readonly number[],
  ) {}

  get port(): number {
    return this.ports[0]!;
  }

  /** `name` is for error messages. */
  static async start(entry: string, args: readonly string[], name: string): Promise<ChildServer> {
    // execArgv: [] so flags such as --cpu-prof given to the benchmark do not apply to the server.
    const child = fork(entry, [...args], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    try {
      const ports = await waitReady(child, name);
      return new ChildServer(child, ports);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  /** Asks the child to close its server; kills it if it does not exit promptly. */
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

function waitReady(child: ChildProcess, name: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`${name} server process not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    const onMessage = (message: ChildMessage): void => {
      if (message.type === 'ready') finish(undefined, message.ports);
      else finish(new Error(`${name} server process failed: ${message.message}`));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      finish(new Error(`${name} server process exited before ready (code ${code}, signal ${signal})`));
    function finish(err: Error | undefined, ports?: number[]): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(ports!);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
