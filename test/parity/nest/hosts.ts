import { fileURLToPath } from 'node:url';
import { forkIpc, type IpcChild } from '../../support/child-ipc.js';
import { startParityServer, type ParityServer } from './src/app.js';
import type { StartResult, TakeResult } from './src/host-protocol.js';
import { Recorder, type Entry } from './src/recorder.js';
import type { ServerSetup } from './src/scenario.js';
import type { Placement, ServerKind } from './placements.js';

const HOST_ENTRY = fileURLToPath(new URL('./dist/server-host.js', import.meta.url));

/** One server of one kind and setup, wherever it runs; restartable on the same port. */
export interface ServerHost {
  readonly port: number;
  readonly running: boolean;
  start(): Promise<void>;
  close(): Promise<void>;
  peek(): Promise<readonly Entry[]>;
  take(): Promise<TakeResult>;
  dispose(): Promise<void>;
}

/** A server in this process; its logs go to this process's capture logger. */
class LocalHost implements ServerHost {
  private readonly rec = new Recorder();
  private server: ParityServer | undefined;
  port = 0;

  constructor(
    private readonly kind: ServerKind,
    private readonly setup: ServerSetup,
    private readonly socketDir: string,
  ) {}

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    this.server = await startParityServer(this.kind, this.setup, this.port, this.rec, this.socketDir);
    this.port = this.server.port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.close();
  }

  async peek(): Promise<readonly Entry[]> {
    return this.rec.peek();
  }

  async take(): Promise<TakeResult> {
    return { entries: this.rec.take(), logs: [] };
  }

  dispose(): Promise<void> {
    return this.close();
  }
}

/** A FriendsServer in a child process of its own, one per setup (the unix placement). */
class ChildHost implements ServerHost {
  private child: IpcChild | undefined;
  port = 0;
  running = false;

  constructor(
    private readonly setup: ServerSetup,
    private readonly socketDir: string,
  ) {}

  async start(): Promise<void> {
    this.child ??= await forkIpc(`server host (${this.setup})`, HOST_ENTRY, [this.setup, this.socketDir]);
    const { port, unixPath } = await this.child.request<StartResult>({ op: 'start', port: this.port });
    if (!unixPath) throw new Error(`server host (${this.setup}) has no unix socket`);
    this.port = port;
    this.running = true;
  }

  async close(): Promise<void> {
    this.running = false;
    await this.child?.request({ op: 'close' });
  }

  peek(): Promise<readonly Entry[]> {
    return this.child!.request<Entry[]>({ op: 'peek' });
  }

  take(): Promise<TakeResult> {
    return this.child!.request<TakeResult>({ op: 'take' });
  }

  async dispose(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.running = false;
    await child?.stop();
  }
}

/**
 * Servers shared by every scenario that names the same setup: one per kind,
 * setup and place, started on first use.
 */
export class HostPool {
  private readonly hosts = new Map<string, ServerHost>();

  constructor(private readonly socketDir: string) {}

  async get(placement: Placement, setup: ServerSetup): Promise<ServerHost> {
    const key = `${placement.where}/${placement.server}/${setup}`;
    let host = this.hosts.get(key);
    if (!host) {
      host =
        placement.where === 'child'
          ? new ChildHost(setup, this.socketDir)
          : new LocalHost(placement.server, setup, this.socketDir);
      this.hosts.set(key, host);
    }
    if (!host.running) await host.start();
    return host;
  }

  async dispose(): Promise<void> {
    const hosts = [...this.hosts.values()];
    this.hosts.clear();
    await Promise.all(hosts.map((host) => host.dispose()));
  }
}
