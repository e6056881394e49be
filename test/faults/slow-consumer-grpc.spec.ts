import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer } from '@friends/grpc';
import { heldAfterGc } from '../fixtures/src/faults/measure.js';
import { echoHandlers, flow } from '../fixtures/src/grpc/echo-service.js';
import { wayOf } from '../support/tier.js';
import { Echo, echoClient, unary, type EchoClient, type Tier } from './support/clients.js';
import { grpcHost } from './support/host.js';
import { report } from './support/report.js';
import { testSocketDir, type TestSocketDir } from './support/socket-dir.js';
import { sleep } from './support/tally.js';

/**
 * gRPC streams whose reader is slow, on each tier: a server stream whose
 * client stops reading, and a client stream to a server that stops reading.
 * Flow control holds the writer back after a few messages, so memory on both
 * sides stays far below what the writer has to send (measured after a full
 * collection: in this process for the client, in the server's own process for
 * unix and tcp).
 */
const MiB = 1024 * 1024;
const SIZE = 16 * 1024;
const TOTAL = 2_000;
const STALL_MS = 1_000;
/** Held above the starting point, on either side, while the reader stalls. */
const HELD_BOUND = 8 * MiB;
/** Messages a writer gets through before a stalled reader stops it (see test/grpc/flow-control.spec.ts). */
const WRITTEN_BOUND: Record<Tier, number> = { memory: 160, unix: 160, tcp: 1024 };

interface Placed {
  port: number;
  /** What the server handed over, and its held memory above its starting point (after a collection). */
  server(): Promise<{ written: number; read: number; held: number }>;
  stop(): Promise<void>;
}

async function place(tier: Tier, socketDir: string): Promise<Placed> {
  if (tier === 'memory') {
    const server = new FriendsGrpcServer({ friends: { socketDir } });
    server.addService(Echo.service, echoHandlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const start = { ...flow };
    return {
      port,
      // One process: the client's measurement covers both sides.
      server: async () => ({
        written: flow.serverWritten - start.serverWritten,
        read: flow.serverRead - start.serverRead,
        held: 0,
      }),
      stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
    };
  }
  const host = await grpcHost(0, socketDir);
  const before = await host.stats(true);
  return {
    port: host.port,
    async server() {
      const now = await host.stats(true);
      return {
        written: now.flow.serverWritten - before.flow.serverWritten,
        read: now.flow.serverRead - before.flow.serverRead,
        held: now.usage.heap + now.usage.external - (before.usage.heap + before.usage.external),
      };
    },
    stop: () => host.stop(),
  };
}

describe.each(['memory', 'unix', 'tcp'] as Tier[])('gRPC slow reader, %s', (tier) => {
  let sockets: TestSocketDir;
  let placed: Placed;
  let client: EchoClient;
  beforeEach(async () => {
    sockets = await testSocketDir();
    placed = await place(tier, sockets.dir);
    client = echoClient(placed.port, tier);
    expect((await wayOf(() => unary(client, { text: 'warm' }))).way).toBe(tier === 'tcp' ? 'http2' : tier);
  });
  afterEach(async () => {
    client.close();
    await placed.stop();
    expect(await sockets.leftovers()).toEqual([]);
    await sockets.remove();
  });

  test('a server stream whose client stops reading: the server is held back, memory bounded on both sides', async () => {
    const base = heldAfterGc();
    const call = client.ServerStream({
      text: 'flood',
      count: TOTAL,
      blob: Buffer.alloc(SIZE),
    }) as grpc.ClientReadableStream<unknown>;
    let read = 0;
    call.on('data', () => {
      if (++read === 1) call.pause();
    });
    const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => undefined);
    await sleep(STALL_MS);
    const clientHeld = heldAfterGc() - base;
    const server = await placed.server();
    call.resume();
    const status = await ended;
    const after = await placed.server();
    report(`server stream to a stalled reader, gRPC ${tier}`, {
      sent: TOTAL,
      bytes: TOTAL * SIZE,
      writtenWhileStalled: server.written,
      clientHeld,
      serverHeld: server.held,
      readInTheEnd: read,
    });
    expect(server.written).toBeLessThan(WRITTEN_BOUND[tier]);
    expect(clientHeld).toBeLessThan(HELD_BOUND);
    expect(server.held).toBeLessThan(HELD_BOUND);
    expect({ code: status.code, read, written: after.written }).toEqual({ code: 0, read: TOTAL, written: TOTAL });
  }, 60_000);

  test('a client stream to a server that stops reading: the client is held back, memory bounded on both sides', async () => {
    const base = heldAfterGc();
    const md = new grpc.Metadata();
    md.set('x-slow-reader', '1');
    const call = client.ClientStream(md, () => undefined) as grpc.ClientWritableStream<unknown>;
    call.on('error', () => undefined);
    let accepted = 0;
    let stop = false;
    const writing = (async () => {
      for (let i = 0; i < TOTAL && !stop; i++) {
        // A different buffer each time: what the stream keeps is really held.
        if (!call.write({ text: 'x', blob: Buffer.alloc(SIZE, i) }, () => accepted++)) {
          await new Promise((resolve) => {
            call.once('drain', resolve);
            call.once('status', resolve);
          });
        }
      }
    })();
    await sleep(STALL_MS);
    const clientHeld = heldAfterGc() - base;
    const server = await placed.server();
    stop = true;
    call.cancel();
    await writing;
    report(`client stream to a stalled server, gRPC ${tier}`, {
      offered: TOTAL,
      bytes: TOTAL * SIZE,
      acceptedWhileStalled: accepted,
      clientHeld,
      serverHeld: server.held,
    });
    expect(accepted).toBeLessThan(WRITTEN_BOUND[tier]);
    expect(clientHeld).toBeLessThan(HELD_BOUND);
    expect(server.held).toBeLessThan(HELD_BOUND);
  }, 60_000);
});
