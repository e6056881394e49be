import 'reflect-metadata';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern, Payload, type MicroserviceOptions } from '@nestjs/microservices';
import { lastValueFrom, timeout, toArray } from 'rxjs';
import { encodeStockFrame, StockFrameDecoder } from '@friends/core/internal';
import { FriendsClient, FriendsServer, HELLO_PATTERN, type FriendsClientOptions } from '@friends/nest';

/**
 * The tier decision never holds a call up: calls go on the TCP connection
 * while the hello is out, so a peer that speaks the stock wire but never
 * answers the hello (it answers only the patterns it knows) is served at once,
 * as by the stock client; a friends server moves the connection, and takes
 * every call in the order it was made.
 */
Logger.overrideLogger(false);
const host = '127.0.0.1';

/** A stock-wire peer that reads frames and answers only the patterns in `answers`, as scripted test servers do. */
class ScriptedPeer {
  readonly seen: { pattern: unknown; data: unknown; id?: unknown }[] = [];
  readonly sockets: Socket[] = [];
  private readonly server: Server;

  constructor(private readonly answers: Record<string, (data: unknown) => unknown[]>) {
    this.server = createServer((socket) => {
      this.sockets.push(socket);
      socket.on('error', () => undefined);
      const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
      socket.on('data', (chunk) => {
        for (const json of decoder.push(chunk)) {
          const packet = JSON.parse(json) as { pattern: unknown; data: unknown; id?: unknown };
          this.seen.push(packet);
          const answer = typeof packet.pattern === 'string' ? this.answers[packet.pattern] : undefined;
          if (!answer || packet.id === undefined) continue;
          const values = answer(packet.data);
          values.forEach((response, i) => {
            const last = i === values.length - 1;
            socket.write(
              encodeStockFrame(JSON.stringify({ id: packet.id, response, ...(last ? { isDisposed: true } : {}) })),
            );
          });
        }
      });
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, host);
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('a peer that never answers the hello', () => {
  let peer: ScriptedPeer;
  let port: number;
  let client: FriendsClient | undefined;

  beforeEach(async () => {
    peer = new ScriptedPeer({
      sum: (data) => [(data as number[]).reduce((a, b) => a + b, 0)],
      stream: () => ['a', 'b'],
    });
    port = await peer.listen();
  });

  afterEach(async () => {
    client?.close();
    await peer.close();
  });

  test('serves the first call at once, and every call and event in order behind the hello', async () => {
    client = new FriendsClient({ host, port });
    const started = Date.now();
    const first = lastValueFrom(client.send('sum', [1, 2]));
    client.emit('noted', 'e1');
    const second = lastValueFrom(client.send('stream', {}).pipe(toArray()));
    expect(await first).toBe(3);
    expect(await second).toEqual(['a', 'b']);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(peer.seen.map((p) => p.pattern)).toEqual([HELLO_PATTERN, 'sum', 'noted', 'stream']);
    expect(client.tier).toBe('tcp');
  });

  test('the connection stays on tcp once the hello times out, and calls go on as before', async () => {
    client = new FriendsClient({ host, port, helloTimeout: 200 });
    const tiers: string[] = [];
    client.on('tier', (tier) => tiers.push(tier));
    expect(await lastValueFrom(client.send('sum', [4]))).toBe(4);
    expect(await client.tierDecision()).toBe('tcp');
    expect(tiers).toEqual(['tcp']);
    expect(await lastValueFrom(client.send('sum', [5]))).toBe(5);
    expect(peer.seen.filter((p) => p.pattern === HELLO_PATTERN)).toHaveLength(1);
  });

  test("NestJS's reconnect test, with a FriendsClient: a closed and reopened client keeps its new socket", async () => {
    client = new FriendsClient({ host, port });
    const connectA = client.connect();
    const socketA = client.unwrap<Socket>();
    expect(socketA).toBeInstanceOf(Socket);
    await connectA;
    const closedA = once(socketA, 'close');
    client.close();
    const connectB = client.connect();
    const socketB = client.unwrap<Socket>();
    expect(socketB).not.toBe(socketA);
    await Promise.all([connectA, connectB, closedA]);
    const values = await lastValueFrom(client.send<string>('stream', {}).pipe(timeout(2_000), toArray()));
    expect(values).toEqual(['a', 'b']);
    expect(client.unwrap()).toBe(socketB);
    await client.connect();
    expect(client.unwrap()).toBe(socketB);
  });
});

@Controller()
class OrderController {
  static seen: string[] = [];

  @MessagePattern('order.call')
  call(@Payload() label: string): string {
    OrderController.seen.push(label);
    return label;
  }

  @EventPattern('order.event')
  event(@Payload() label: string): void {
    OrderController.seen.push(label);
  }
}

@Module({ controllers: [OrderController] })
class OrderModule {}

const TIERS: [string, FriendsClientOptions][] = [
  ['memory', {}],
  ['unix', { friends: { memory: false } }],
];

describe.each(TIERS)('moving to %s', (tier, tierOptions) => {
  let socketDir: string;
  let server: FriendsServer;
  let app: Awaited<ReturnType<typeof NestFactory.createMicroservice>>;
  let client: FriendsClient | undefined;

  beforeEach(async () => {
    socketDir = await mkdtemp(join(tmpdir(), 'friends-decision-'));
    server = new FriendsServer({ host, port: 0, socketDir });
    app = await NestFactory.createMicroservice<MicroserviceOptions>(OrderModule, { strategy: server, logger: false });
    await app.listen();
    OrderController.seen = [];
  });

  afterEach(async () => {
    client?.close();
    await app.close();
    await rm(socketDir, { recursive: true, force: true });
  });

  test('calls made while the tier is decided are taken before the calls made after the move', async () => {
    // The server reads the hello, then nothing more for a while: the calls sent behind the hello wait
    // on tcp while the hello's answer moves the client. Without a barrier they would be overtaken.
    const helloRead = new Promise<void>((resolve) => {
      server.on('connection', (socket: Socket) => {
        socket.once('data', () => {
          socket.pause();
          setTimeout(() => socket.resume(), 100);
          resolve();
        });
      });
    });
    client = new FriendsClient({ host, port: server.address().port, ...tierOptions });
    await client.connect();
    await helloRead;
    const calls = [];
    for (let i = 0; i < 3; i++) {
      client.emit('order.event', `tcp event ${i}`);
      calls.push(lastValueFrom(client.send('order.call', `tcp call ${i}`)));
    }
    expect(await client.tierDecision()).toBe(tier);
    for (let i = 0; i < 3; i++) {
      client.emit('order.event', `${tier} event ${i}`);
      calls.push(lastValueFrom(client.send('order.call', `${tier} call ${i}`)));
    }
    await Promise.all(calls);
    while (OrderController.seen.length < 12) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(OrderController.seen).toEqual(
      [0, 1, 2]
        .flatMap((i) => [`tcp event ${i}`, `tcp call ${i}`])
        .concat([0, 1, 2].flatMap((i) => [`${tier} event ${i}`, `${tier} call ${i}`])),
    );
    expect(client.tier).toBe(tier);
  });

  test('unwrap() returns the TCP socket at once, then the socket of the tier: the unix socket, or in memory the TCP socket, which closes', async () => {
    client = new FriendsClient({ host, port: server.address().port, ...tierOptions });
    const connecting = client.connect();
    const tcpSocket = client.unwrap<Socket>();
    expect(tcpSocket).toBeInstanceOf(Socket);
    await connecting;
    expect(client.unwrap()).toBe(tcpSocket);
    expect(tcpSocket.remotePort).toBe(server.address().port);
    expect(await client.tierDecision()).toBe(tier);
    if (tier === 'unix') {
      const unixSocket = client.unwrap<Socket>();
      expect(unixSocket).toBeInstanceOf(Socket);
      expect(unixSocket).not.toBe(tcpSocket);
      expect(unixSocket.remotePort).toBeUndefined();
    } else {
      expect(client.unwrap()).toBe(tcpSocket);
    }
    if (!tcpSocket.closed) await once(tcpSocket, 'close');
    expect(await lastValueFrom(client.send('order.call', 'still served'))).toBe('still served');
    client.close();
    expect(() => client!.unwrap()).toThrow('Not initialized. Please call the "connect" method first.');
  });
});
