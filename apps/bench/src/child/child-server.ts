import { fork, type ChildProcess } from 'node:child_process';
import type { Meter, Usage } from '../meter/usage.js';
import type { ChildMessage, ParentMessage } from './protocol.js';

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;
const USAGE_TIMEOUT_MS = 10_000;

/** Every child still alive, so any way out of the benchmark can kill them. */
const live = new Set<ChildProcess>();

/** A server in its own process, started by a script that reports through `serveInChild`. */
export class ChildServer implements Meter {
  private readonly usageWaiters: ((usage: Usage | Error) => void)[] = [];

  private constructor(
    private readonly child: ChildProcess,
    /** Every port the child serves; the main one first. */
    readonly ports: readonly number[],
    private readonly name: string,
  ) {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'usage') this.usageWaiters.shift()?.(message.usage);
    });
    child.once('exit', () => {
      for (const waiter of this.usageWaiters.splice(0)) waiter(new Error(`${name} server process exited`));
    });
  }

  get port(): number {
    return this.ports[0]!;
  }

  /** `name` is for error messages. */
  static async start(entry: string, args: readonly string[], name: string): Promise<ChildServer> {
    // execArgv: [] so flags such as --cpu-prof given to the benchmark do not apply to the server.
    const child = fork(entry, [...args], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    try {
      return new ChildServer(child, await waitReady(child, name), name);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  begin(heap: boolean): void {
    this.tell({ type: 'meter-begin', heap });
  }

  end(): Promise<Usage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name} server process did not report its usage`)),
        USAGE_TIMEOUT_MS,
      );
      this.usageWaiters.push((usage) => {
        clearTimeout(timer);
        if (usage instanceof Error) reject(usage);
        else resolve(usage);
      });
      this.tell({ type: 'meter-end' });
    });
  }

  /** Asks the child to close its server; kills it if it does not exit promptly. */
  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) this.tell({ type: 'stop' });
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private tell(message: ParentMessage): void {
    if (this.child.connected) this.child.send(message);
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
      else if (message.type === 'failed') finish(new Error(`${name} server process failed: ${message.message}`));
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
