import { fileURLToPath } from 'node:url';
import { ChildServer } from '../child-server.js';
import { freePort } from '../free-port.js';
import { startEchoServer, type EchoServer, type ServerKind } from './server-kind.js';
import type { Variant } from './variants.js';

const SERVER_ENTRY = fileURLToPath(new URL('./server-process.js', import.meta.url));

/**
 * Starts servers on first use and stops them all together: one of each kind in
 * this process, and one child process per variant that asks for its own.
 */
export class ServerPool {
  private readonly local = new Map<ServerKind, EchoServer>();
  private readonly children = new Map<string, ChildServer>();
  private readonly starting = new Map<string, Promise<number>>();

  port(variant: Variant): Promise<number> {
    const key = variant.place === 'same-process' ? `local:${variant.server}` : `child:${variant.id}`;
    let port = this.starting.get(key);
    if (!port) {
      port = variant.place === 'same-process' ? this.startLocal(variant.server) : this.startChild(variant);
      this.starting.set(key, port);
    }
    return port;
  }

  /** Stops a variant's own server process and starts a new one; its new port. */
  async restart(variant: Variant): Promise<number> {
    if (variant.place !== 'own-process') throw new Error(`${variant.id} has no server process of its own`);
    const key = `child:${variant.id}`;
    await this.starting.get(key)?.catch(() => undefined);
    const child = this.children.get(variant.id);
    this.children.delete(variant.id);
    this.starting.delete(key);
    await child?.stop();
    return this.port(variant);
  }

  async close(): Promise<void> {
    const stops = [...this.children.values()].map((child) => child.stop());
    const closes = [...this.local.values()].map(({ app }) => app.close());
    this.children.clear();
    this.local.clear();
    this.starting.clear();
    await Promise.allSettled([...stops, ...closes]);
  }

  private async startLocal(kind: ServerKind): Promise<number> {
    // The stock server cannot report a port it picked itself.
    const server = await startEchoServer(kind, kind === 'stock' ? await freePort() : 0);
    this.local.set(kind, server);
    return server.port;
  }

  private async startChild(variant: Variant): Promise<number> {
    const port = variant.server === 'stock' ? String(await freePort()) : '0';
    const child = await ChildServer.start(
      SERVER_ENTRY,
      [variant.server, port],
      `${variant.server} Nest (${variant.id})`,
    );
    this.children.set(variant.id, child);
    return child.port;
  }
}
