import 'reflect-metadata';
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientsModule } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { lastValueFrom, take, toArray } from 'rxjs';
import { encodeStockFrame, metricsSnapshot, StockFrameDecoder } from '@friends/core/internal';
import { FriendsClient, FriendsServer } from '@friends/nest';
import { startTestServer, TestModule } from '../fixtures/src/app.js';
import { startChildServer } from '../support/child-server.js';
import { freePort } from '../support/ports.js';
import { rawConnect } from '../support/raw.js';

Logger.overrideLogger(false);
const host = '127.0.0.1';
type Tier = 'memory' | 'unix' | 'tcp';

/** Starts a server so that a default client in this process gets `tier`; returns its port and a stop. */
async function serve(tier: Tier): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  if (tier === 'memory') {
    const server = await startTestServer('friends', port);
    return { port, stop: () => server.app.close() };
  }
  const child = await startChildServer('friends', port);
  return { port, stop: child.stop };
}

const clientOptions = (tier: Tier, port: number) => ({ host, port, ...(tier === 'tcp' ? { friends: false } : {}) });

describe.each<Tier>(['memory', 'unix', 'tcp'])('Nest integration on %s', (tier) => {
  test('ClientsModule.registerAsync with useFactory injects a working FriendsClient', async () => {
    const { port, stop } = await serve(tier);
    @Injectable()
    class Caller {
      constructor(@Inject('MATH') readonly client: ClientProxy) {}
    }
    @Module({
      imports: [
        ClientsModule.registerAsync([
          {
            name: 'MATH',
            useFactory: async () => ({ customClass: FriendsClient, options: clientOptions(tier, port) }),
          },
        ]),
      ],
      providers: [Caller],
    })
    class CallerModule {}
    const moduleRef = await Test.createTestingModule({ imports: [CallerModule] }).compile();
    await moduleRef.init();
    try {
      const client = moduleRef.get(Caller).client as FriendsClient;
      expect(client).toBeInstanceOf(FriendsClient);
      expect(await lastValueFrom(client.send('sum.sync', [1, 2]))).toBe(3);
      expect(client.tier).toBe(tier);
    } finally {
      await moduleRef.close();
      await stop();
    }
  });

  test('a FriendsClient subclass can wrap errors and responses', async () => {
    const { port, stop } = await serve(tier);
    class WrappingClient extends FriendsClient {
      protected override serializeError(err: unknown): unknown {
        return { wrapped: err };
      }
      protected override serializeResponse(response: unknown): unknown {
        return { value: response };
      }
    }
    const client = new WrappingClient(clientOptions(tier, port));
    try {
      expect(await lastValueFrom(client.send('sum.sync', [2, 2]))).toEqual({ value: 4 });
      await expect(lastValueFrom(client.send('fail.rpc.string', {}))).rejects.toEqual({
        wrapped: { status: 'error', message: 'plain message' },
      });
    } finally {
      client.close();
      await stop();
    }
  });

  test('status reports connected once the tier is decided, then disconnected; on("tier") names it', async () => {
    const { port, stop } = await serve(tier);
    const client = new FriendsClient(clientOptions(tier, port));
    const statuses = lastValueFrom(client.status.pipe(take(2), toArray()));
    const tiers: string[] = [];
    client.on('tier', (decided) => tiers.push(decided));
    try {
      await client.connect();
      client.close();
      expect(await statuses).toEqual(['connected', 'disconnected']);
      expect(tiers).toEqual([tier]);
    } finally {
      client.close();
      await stop();
    }
  });

  test('per-tier counters count the messages of this process', async () => {
    const { port, stop } = await serve(tier);
    const client = new FriendsClient(clientOptions(tier, port));
    try {
      await client.connect();
      const before = metricsSnapshot()[tier].messagesOut;
      for (let i = 0; i < 10; i++) await lastValueFrom(client.send('sum.sync', [i]));
      // Client requests, plus the server's answers when the server is in this process.
      const sent = metricsSnapshot()[tier].messagesOut - before;
      expect(sent).toBe(tier === 'memory' ? 20 : 10);
    } finally {
      client.close();
      await stop();
    }
  });
});

describe('FriendsServer', () => {
  test('in a hybrid app (HTTP + microservice), friends in this process take the memory tier', async () => {
    const port = await freePort();
    const app = await NestFactory.create(TestModule, { logger: false });
    const server = new FriendsServer({ host, port });
    app.connectMicroservice({ strategy: server });
    await app.startAllMicroservices();
    await app.init();
    const client = new FriendsClient({ host, port });
    try {
      expect(await lastValueFrom(client.send('tier', {}))).toBe('memory');
    } finally {
      client.close();
      await app.close();
    }
    const statuses: string[] = [];
    server.status.subscribe((s) => statuses.push(s));
    expect(statuses).toEqual(['disconnected']);
  });

  test('a listen error (port in use) reaches Nest as the error, and status says disconnected', async () => {
    const port = await freePort();
    const first = await startTestServer('friends', port);
    const second = new FriendsServer({ host, port });
    const app = await NestFactory.createMicroservice(TestModule, { strategy: second, logger: false });
    try {
      await expect(app.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(second.unixPath).toBeUndefined();
    } finally {
      await app.close().catch(() => undefined);
      await first.app.close();
    }
  });

  test('12,000 requests pipelined in one write are all answered', async () => {
    const port = await freePort();
    const server = await startTestServer('friends', port);
    const peer = await rawConnect({ port });
    const count = 12_000;
    let frames = '';
    for (let i = 0; i < count; i++)
      frames += encodeStockFrame(JSON.stringify({ pattern: 'sum.sync', data: [i, 1], id: `r${i}` }));
    peer.socket.write(frames);
    const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
    const answers = new Map<string, number>();
    try {
      const deadline = Date.now() + 20_000;
      let read = 0;
      while (answers.size < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        for (; read < peer.received.length; read++) {
          for (const json of decoder.push(peer.received[read]!)) {
            const { id, response } = JSON.parse(json) as { id: string; response: number };
            answers.set(id, response);
          }
        }
      }
      expect(answers.size).toBe(count);
      expect(answers.get('r11999')).toBe(12_000);
      expect(peer.isClosed()).toBe(false);
    } finally {
      peer.socket.destroy();
      await server.app.close();
    }
  });
});
