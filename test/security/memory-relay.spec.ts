import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { handshakeService } from '@friends/grpc/internal';
import { FriendsClient, FriendsServer } from '@friends/nest';
import { loadEcho } from '../fixtures/src/grpc/echo-service.js';
import { helloAnswerBytes, hostileGrpcServer, hostileNestServer, type NestAnswer } from '../support/hostile.js';
import { rawHello } from '../support/raw.js';
import { wayOf } from '../support/tier.js';

Logger.overrideLogger(false);
const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;
type Hello = Record<string, unknown>;

/**
 * The endpoint id a client names in its hello is only good through the
 * connection the client opened. A server it dials that replays the hello to
 * another friends server in the client's own process (over a connection of its
 * own) must not pair the client with that server: the client's calls are
 * answered by the service it dialled, never by the other server's handlers.
 * The client's unix tier is off here, to look at the memory claim alone.
 */
describe('Nest: a hello relayed to another server in the client process', () => {
  let other: FriendsServer;
  let otherPort: number;
  let otherCalls = 0;

  beforeAll(async () => {
    other = new FriendsServer({ host: '127.0.0.1', port: 0, friends: { unix: false } });
    other.addHandler('echo', (async (data: unknown) => {
      otherCalls++;
      return { from: 'other', data };
    }) as MessageHandler);
    await new Promise<void>((resolve, reject) => other.listen((err) => (err ? reject(err) : resolve())));
    otherPort = other.address().port;
  });
  afterAll(async () => {
    await other.close();
  });

  async function dialThroughRelay(relay: (hello: Hello, relayed: NestAnswer) => NestAnswer): Promise<unknown[]> {
    const closers: (() => void)[] = [];
    const hostile = await hostileNestServer(async (hello) => {
      const { peer, answer } = await rawHello(otherPort, hello);
      closers.push(() => peer.socket.destroy());
      return relay(hello, { response: answer.response, isDisposed: true });
    });
    const client = new FriendsClient({ host: '127.0.0.1', port: hostile.port, friends: { unix: false } });
    otherCalls = 0;
    try {
      await client.connect();
      const replies = [
        await firstValueFrom(client.send('echo', { n: 1 })),
        await firstValueFrom(client.send('echo', { n: 2 })),
      ];
      expect(hostile.hellos).toHaveLength(1);
      expect(hostile.hellos[0]).toHaveProperty('endpoint');
      expect(client.tier).toBe('tcp');
      return replies;
    } finally {
      client.close();
      for (const close of closers) close();
      await hostile.close();
    }
  }

  test("the other server's answer passed on: calls answered by the dialled service", async () => {
    const replies = await dialThroughRelay((_hello, relayed) => relayed);
    expect(replies).toEqual([
      { from: 'hostile', data: { n: 1 } },
      { from: 'hostile', data: { n: 2 } },
    ]);
    expect(otherCalls).toBe(0);
  });

  test("'memory' answered whatever the other server said: calls answered by the dialled service", async () => {
    const replies = await dialThroughRelay(() => ({ response: { v: 1, tier: 'memory' }, isDisposed: true }));
    expect(replies).toEqual([
      { from: 'hostile', data: { n: 1 } },
      { from: 'hostile', data: { n: 2 } },
    ]);
    expect(otherCalls).toBe(0);
  });

  test('control: the client dialling the other server directly takes memory', async () => {
    const client = new FriendsClient({ host: '127.0.0.1', port: otherPort, friends: { unix: false } });
    try {
      await client.connect();
      expect(client.tier).toBe('memory');
      expect(await firstValueFrom(client.send('echo', { n: 3 }))).toEqual({ from: 'other', data: { n: 3 } });
    } finally {
      client.close();
    }
  });
});

describe('gRPC: a hello relayed to another server in the client process', () => {
  let other: FriendsGrpcServer;
  let otherTarget: string;
  let otherCalls = 0;

  beforeAll(async () => {
    other = new FriendsGrpcServer({ friends: { friends: { unix: false } } });
    other.addService(Echo.service, {
      Unary: (call: grpc.ServerUnaryCall<{ text: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        otherCalls++;
        callback(null, { text: `other:${call.request.text}` });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      other.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    otherTarget = `127.0.0.1:${port}`;
  });
  afterAll(() => {
    other.forceShutdown();
  });

  /** Asks the other server, over the relay's own connection, with the client's hello. */
  function relayHello(hello: Hello): Promise<Record<string, unknown>> {
    const Handshake = grpc.makeGenericClientConstructor(handshakeService, 'Handshake');
    const relay = new Handshake(otherTarget, grpc.credentials.createInsecure()) as unknown as Record<string, Function> &
      grpc.Client;
    return new Promise((resolve, reject) =>
      relay.Hello(hello, (err: Error | null, answer: Record<string, unknown>) => {
        relay.close();
        if (err) reject(err);
        else resolve(answer);
      }),
    );
  }

  async function dialThroughRelay(
    relay: (relayed: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<{ way: string; texts: string[] }> {
    const hostile = await hostileGrpcServer(Echo.service, async (hello) =>
      helloAnswerBytes(relay(await relayHello(hello))),
    );
    const client = new Echo(
      hostile.target,
      grpc.credentials.createInsecure(),
      friends({ friends: { unix: false } }),
    ) as EchoClient;
    const unary = (text: string): Promise<string> =>
      new Promise((resolve, reject) =>
        client.Unary({ text }, (err: Error | null, reply: { text: string }) =>
          err ? reject(err) : resolve(reply.text),
        ),
      );
    otherCalls = 0;
    try {
      const { result, way } = await wayOf(async () => [await unary('a'), await unary('b')]);
      expect(hostile.hellos).toHaveLength(1);
      expect(hostile.hellos[0]?.endpoint).toMatch(/^[0-9a-f]{32}$/);
      return { way, texts: result };
    } finally {
      client.close();
      hostile.close();
    }
  }

  test("the other server's answer passed on: calls answered by the dialled service", async () => {
    expect(await dialThroughRelay((relayed) => relayed)).toEqual({ way: 'http2', texts: ['hostile:a', 'hostile:b'] });
    expect(otherCalls).toBe(0);
  });

  test("'memory' answered whatever the other server said: calls answered by the dialled service", async () => {
    expect(await dialThroughRelay(() => ({ tier: 'memory' }))).toEqual({
      way: 'http2',
      texts: ['hostile:a', 'hostile:b'],
    });
    expect(otherCalls).toBe(0);
  });

  test('control: the client dialling the other server directly takes memory', async () => {
    const client = new Echo(otherTarget, grpc.credentials.createInsecure(), friends()) as EchoClient;
    try {
      const { result, way } = await wayOf(
        () =>
          new Promise<string>((resolve, reject) =>
            client.Unary({ text: 'c' }, (err: Error | null, reply: { text: string }) =>
              err ? reject(err) : resolve(reply.text),
            ),
          ),
      );
      expect({ result, way }).toEqual({ result: 'other:c', way: 'memory' });
    } finally {
      client.close();
    }
  });
});
