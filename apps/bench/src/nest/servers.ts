import { fileURLToPath } from 'node:url';
import type { Server } from '@nestjs/microservices';
import { ChildServer } from '../child/child-server.js';
import { freePort } from '../free-port.js';
import { startBenchServer, type BenchServer } from './server-kind.js';
import type { NestVariant } from './variants.js';

const SERVER_ENTRY = fileURLToPath(new URL('./server-process.js', import.meta.url));

/**
 * Starts servers on first use and stops them all together: one of each kind
 * and copy mode in this process, and one child process per variant that asks
 * for its own.
 */
export class ServerPool {
  private readonly local = new Map<string, Promise<BenchServer>>();
  private readonly children = new Map<string, Promise<ChildServer>>();

  async port(variant: NestVariant): Promise<number> {
    if (variant.place === 'same-process') return (await this.localServer(variant)).port;
    return (await this.child(variant)).port;
  }

  /** The process serving a variant, when it is not this one. */
  async process(variant: NestVariant): Promise<ChildServer | undefined> {
    return variant.place === 'own-process' ? this.child(variant) : undefined;
  }

  /** The strategy of this process's friends server (default copy mode), whose handlers the floor calls. */
  async friendsStrategy(): Promise<Server> {
    const server = await this.localServer({ server: 'friends' });
    return server.strategy!;
  }

  /** Stops a variant's own server process and starts a new one; its new port. */
  async restart(variant: NestVariant): Promise<number> {
    if (variant.place !== 'own-process') throw new Error(`${variant.id} has no server process of its own`);
    const child = this.children.get(variant.id);
    this.children.delete(variant.id);
    await (await child?.catch(() => undefined))?.stop();
    return this.port(variant);
  }

  async close(): Promise<void> {
    const children = [...this.children.values()];
    const locals = [...this.local.values()];
    this.children.clear();
    this.local.clear();
    await Promise.allSettled([
      ...children.map(async (child) => (await child).stop()),
      ...locals.map(async (server) => (await server).app.close()),
    ]);
  }

  private localServer(variant: Pick<NestVariant, 'server' | 'copy'>): Promise<BenchServer> {
    const key = `${variant.server}:${variant.copy ?? 'json'}`;
    let server = this.local.get(key);
    if (!server) {
      // The stock server cannot report a port it picked itself.
      server = (async () =>
        startBenchServer(variant.server, variant.server === 'stock' ? await freePort() : 0, variant.copy))();
      this.local.set(key, server);
    }
    return server;
  }

  private child(variant: NestVariant): Promise<ChildServer> {
    let child = this.children.get(variant.id);
    if (!child) {
      child = (async () => {
        const port = variant.server === 'stock' ? String(await freePort()) : '0';
        return ChildServer.start(SERVER_ENTRY, [variant.server, port], `${variant.server} Nest (${variant.id})`);
      })();
      this.children.set(variant.id, child);
    }
    return child;
  }
}
