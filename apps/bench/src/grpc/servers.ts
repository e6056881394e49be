import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildServer } from '../child/child-server.js';
import { LOOPBACK } from '../free-port.js';
import { startGrpcServer, stockSocketPath, type GrpcEchoServer } from './start-server.js';

const SERVER_ENTRY = fileURLToPath(new URL('./server-process.js', import.meta.url));

/**
 * Where a variant's server runs and which class it is. The servers that answer
 * HTTP/2 across processes share one child: `stock-child` (grpc.Server),
 * `friends-child-h2` (FriendsGrpcServer) and `friends-child-remote` (one that
 * offers no unix socket, as on another host). So the no-penalty ratios compare
 * server classes alone: how a process happens to be placed on the CPUs moves
 * cross-process round trips by more than the few percent they judge. The unix
 * tier's server (`friends-child`) has a process of its own.
 */
export type GrpcServerSlot =
  'stock-local' | 'stock-child' | 'friends-local' | 'friends-child' | 'friends-child-h2' | 'friends-child-remote';

/** How the client names the server: its loopback port, or the stock server's unix socket. */
export type Address = 'tcp' | 'unix';

/**
 * Starts each server slot once, on first use, and stops them all together.
 * Every socket file lives in one private temporary directory, removed on
 * close and, failing that, when the process exits.
 */
export class GrpcServerPool {
  private readonly dir = mkdtempSync(join(tmpdir(), 'friends-bench-'));
  private readonly removeDir = (): void => rmSync(this.dir, { recursive: true, force: true });
  private readonly local = new Map<GrpcServerSlot, GrpcEchoServer>();
  private readonly children = new Map<'friends' | 'pair', Promise<ChildServer>>();
  private readonly starting = new Map<GrpcServerSlot, Promise<number>>();

  constructor() {
    process.on('exit', this.removeDir);
  }

  /** The target a client passes to its constructor. */
  async target(slot: GrpcServerSlot, address: Address): Promise<string> {
    let port = this.starting.get(slot);
    if (!port) {
      port = this.start(slot);
      this.starting.set(slot, port);
    }
    const bound = await port;
    if (address === 'tcp') return `${LOOPBACK}:${bound}`;
    if (slot !== 'stock-child') throw new Error(`only the stock child server listens on a unix socket, not ${slot}`);
    return `unix://${stockSocketPath(this.dir)}`;
  }

  /** The process serving a slot, when it is not this one. */
  async process(slot: GrpcServerSlot): Promise<ChildServer | undefined> {
    if (slot === 'stock-local' || slot === 'friends-local') return undefined;
    return this.child(slot === 'friends-child' ? 'friends' : 'pair');
  }

  async close(): Promise<void> {
    const stops = [...this.children.values()].map((child) => child.then((c) => c.stop()));
    for (const server of this.local.values()) server.close();
    this.children.clear();
    this.local.clear();
    this.starting.clear();
    await Promise.allSettled(stops);
    this.removeDir();
    process.off('exit', this.removeDir);
  }

  private async start(slot: GrpcServerSlot): Promise<number> {
    switch (slot) {
      case 'stock-local':
      case 'friends-local': {
        const server = await startGrpcServer(slot === 'stock-local' ? 'stock' : 'friends', this.dir, false);
        this.local.set(slot, server);
        return server.port;
      }
      case 'friends-child':
        return (await this.child('friends')).port;
      case 'stock-child':
        return (await this.child('pair')).ports[0]!;
      case 'friends-child-h2':
        return (await this.child('pair')).ports[1]!;
      case 'friends-child-remote':
        return (await this.child('pair')).ports[2]!;
    }
  }

  private child(kind: 'friends' | 'pair'): Promise<ChildServer> {
    let child = this.children.get(kind);
    if (!child) {
      child = ChildServer.start(SERVER_ENTRY, [kind, this.dir], `${kind} gRPC`);
      this.children.set(kind, child);
    }
    return child;
  }
}
