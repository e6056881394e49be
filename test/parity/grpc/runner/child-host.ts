import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Json } from '../core/describe.js';
import type { PathCounts } from '../core/path-counts.js';
import type { ServerConfigName } from '../core/server-configs.js';
import type { ServerHostApi, ServerKind, StartedGroup } from '../core/server-host.js';

// Built by `npm run build`; this module runs from the sources (jest) or from the build (an isolated run).
const ENTRY = fileURLToPath(
  new URL(
    import.meta.url.includes('/dist/') ? '../child/main.js' : '../dist/parity/grpc/child/main.js',
    import.meta.url,
  ),
);
const START_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;

/**
 * The parent's side of a child-process server host (built by `npm run build`).
 * A child that dies is started again on the next request, and the request
 * that saw it die fails (the scenario's trace records it).
 */
export class ChildServerHost implements ServerHostApi {
  private child: ChildProcess | undefined;
  private ready: Promise<ChildProcess> | undefined;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  private left: string[] = [];

  constructor(
    private readonly kind: ServerKind,
    private readonly tlsDir: string | null,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  shared(config: ServerConfigName): Promise<StartedGroup> {
    return this.request('shared', [config]) as Promise<StartedGroup>;
  }

  fresh(config: ServerConfigName, port = 0): Promise<StartedGroup> {
    return this.request('fresh', [config, port]) as Promise<StartedGroup>;
  }

  collect(id: number, paths: string[], extraMs = 0): Promise<Json[]> {
    return this.request('collect', [id, paths, extraMs]) as Promise<Json[]>;
  }

  waitFor(id: number, path: string, label: string, limitMs: number, logs = 1): Promise<boolean> {
    return this.request('waitFor', [id, path, label, limitMs, logs]) as Promise<boolean>;
  }

  async stop(id: number): Promise<void> {
    await this.request('stop', [id]);
  }

  counters(): Promise<PathCounts> {
    return this.request('counters', []) as Promise<PathCounts>;
  }

  /**
   * Stops the servers and the process; fails if the process does not exit in
   * time. What kept it alive once its servers stopped (it should be nothing:
   * a server process exits by itself) is kept for `keptAlive()`.
   */
  async stopAll(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.left = (await this.request('stopAndTellWhatIsLeft', []).catch((error: Error) => [
      `no answer: ${error.message}`,
    ])) as string[];
    await new Promise<void>((resolve, reject) => {
      const killer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`parity server process ${child.pid} did not exit within ${EXIT_TIMEOUT_MS} ms`));
      }, EXIT_TIMEOUT_MS);
      child.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      child.disconnect();
    });
  }

  /** What kept the process alive once its servers stopped, as of the last stopAll(). */
  keptAlive(): readonly string[] {
    return this.left;
  }

  private async request(op: keyof ServerHostApi | 'stopAndTellWhatIsLeft', args: unknown[]): Promise<unknown> {
    const child = await this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`parity server process: ${op} got no answer in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      child.send({ id, op, args });
    });
  }

  private start(): Promise<ChildProcess> {
    if (this.ready) return this.ready;
    this.ready = new Promise((resolve, reject) => {
      const child = fork(ENTRY, [this.kind, this.tlsDir ?? ''], {
        execArgv: [],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: this.env,
      });
      this.child = child;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`parity server process did not start in ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.on('message', (message: { ready?: boolean; id?: number; result?: unknown; error?: string }) => {
        if (message.ready) {
          clearTimeout(timer);
          resolve(child);
          return;
        }
        const waiter = this.pending.get(message.id!);
        this.pending.delete(message.id!);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.ready = undefined;
        this.child = undefined;
        const error = new Error(`parity server process exited (${code ?? signal})`);
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
    });
    return this.ready;
  }
}
