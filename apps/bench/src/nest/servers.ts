import { fileURLToPath } from 'node:url';
import { ChildServer } from '../child-server.js';
import { freePort } from '../free-port.js';
import { startEchoServer, type EchoServer } from './server-kind.js';
import type { ServerSlot } from './variants.js';

const SERVER_ENTRY = fileURLToPath(new URL('./server-process.js', import.meta.url));

/** Starts each server slot once, on first use, and stops them all together. */
export class ServerPool {
  private readonly local = new Map<ServerSlot, EchoServer>();
  private readonly children = new Map<ServerSlot, ChildServer>();
  private readonly starting = new Map<ServerSlot, Promise<number>>();

  port(slot: ServerSlot): Promise<number> {
    let port = this.starting.get(slot);
    if (!port) {
      port = this.start(slot);
      this.starting.set(slot, port);
    }
    return port;
  }

  async close(): Promise<void> {
    const stops = [...this.children.values()].map((child) => child.stop());
    const closes = [...this.local.values()].map(({ app }) => app.close());
    this.children.clear();
    this.local.clear();
    this.starting.clear();
    await Promise.allSettled([...stops, ...closes]);
  }

  private async start(slot: ServerSlot): Promise<number> {
    switch (slot) {
      case 'stock-local': {
        const server = await startEchoServer('stock', await freePort());
        this.local.set(slot, server);
        return server.port;
      }
      case 'friends-local': {
        const server = await startEchoServer('friends', 0);
        this.local.set(slot, server);
        return server.port;
      }
      case 'stock-child': {
        const child = await ChildServer.start(SERVER_ENTRY, ['stock', String(await freePort())], 'stock Nest');
        this.children.set(slot, child);
        return child.port;
      }
      case 'friends-child': {
        const child = await ChildServer.start(SERVER_ENTRY, ['friends', '0'], 'friends Nest');
        this.children.set(slot, child);
        return child.port;
      }
    }
  }
}
