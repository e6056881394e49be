import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { clientEnd, connectionTuple, encodeCompactFrame, kernelIdentity, kernelProof } from '@friends/core/internal';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { encodeBatch, encodeFields, handshakeService } from '@friends/grpc/internal';
import { echoHandlers, loadEcho } from '../fixtures/src/grpc/echo-service.js';
import { rawGrpcHello } from '../fixtures/src/grpc/raw-hello.js';
import { closesWithin, rawConnect, ticketFrame } from '../support/raw.js';
import { wayOf } from '../support/tier.js';

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;
type Answer = { tier: string; path: string; ticket: string; reason: string };

/**
 * Bad input on the friends unix socket and the handshake costs only the
 * connection that sent it: clients on every tier keep being served.
 */
describe('gRPC bad input', () => {
  let server: FriendsGrpcServer;
  let target: string;
  const healthy: Record<string, EchoClient> = {};

  const hello = (request: Record<string, unknown>): Promise<Answer> => {
    const Handshake = grpc.makeGenericClientConstructor(handshakeService, 'Handshake');
    const client = new Handshake(target, grpc.credentials.createInsecure());
    return new Promise((resolve, reject) =>
      (client as unknown as Record<string, Function>).Hello(request, (err: Error | null, answer: Answer) => {
        client.close();
        if (err) reject(err);
        else resolve(answer);
      }),
    );
  };
  // Written by hand: the kernel proof is bound to the connection the hello travels on.
  const unixHello = async (): Promise<Answer> => {
    const [host, port] = target.split(':') as [string, string];
    const answer = await rawGrpcHello(host, Number(port), (socket) => {
      const nonce = randomBytes(16).toString('hex');
      const kernel = kernelProof(kernelIdentity()!, nonce, clientEnd(connectionTuple(socket), 'client'));
      return { v: 1, nonce, kernel, endpoint: '' };
    });
    if (!answer) throw new Error('no answer to the hello');
    return answer;
  };
  const admitted = async () => {
    const answer = await unixHello();
    expect(answer.tier).toBe('unix');
    const peer = await rawConnect({ path: answer.path });
    peer.socket.write(ticketFrame(answer.ticket));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(peer.isClosed()).toBe(false);
    return peer;
  };

  beforeAll(async () => {
    server = new FriendsGrpcServer();
    server.addService(Echo.service, echoHandlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    target = `127.0.0.1:${port}`;
    healthy.memory = new Echo(target, grpc.credentials.createInsecure(), friends()) as EchoClient;
    healthy.unix = new Echo(
      target,
      grpc.credentials.createInsecure(),
      friends({ friends: { memory: false } }),
    ) as EchoClient;
    healthy.tcp = new Echo(target, grpc.credentials.createInsecure()) as EchoClient;
  });

  afterAll(() => {
    for (const client of Object.values(healthy)) client.close();
    server.forceShutdown();
  });

  afterEach(async () => {
    for (const [name, client] of Object.entries(healthy)) {
      const { result: text, way } = await wayOf(
        () =>
          new Promise<string>((resolve, reject) =>
            client.Unary({ text: name }, (err: Error | null, reply: { text: string }) =>
              err ? reject(err) : resolve(reply.text),
            ),
          ),
      );
      const tier = way === 'http2' ? 'tcp' : way;
      expect([text, tier]).toEqual([name, name]);
    }
  });

  test.each([
    ['malformed hello', { v: 1, nonce: 'short' }],
    ['wrong kernel proof', { v: 1, nonce: randomBytes(16).toString('hex'), kernel: 'ab'.repeat(32) }],
    [
      'a pending endpoint that does not exist',
      { v: 1, nonce: randomBytes(16).toString('hex'), endpoint: randomBytes(16).toString('hex') },
    ],
  ])('handshake: %s is answered tcp', async (_name, request) => {
    expect((await hello(request)).tier).toBe('tcp');
  });

  test('unix: a forged ticket closes the connection', async () => {
    const answer = await unixHello();
    const peer = await rawConnect({ path: answer.path });
    peer.socket.write(ticketFrame(randomBytes(24).toString('base64url')));
    expect(await closesWithin(peer, 1_000)).toBe(true);
  });

  test('unix: a reused ticket closes the connection', async () => {
    const answer = await unixHello();
    const first = await rawConnect({ path: answer.path });
    first.socket.write(ticketFrame(answer.ticket));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = await rawConnect({ path: answer.path });
    second.socket.write(ticketFrame(answer.ticket));
    expect(await closesWithin(second, 1_000)).toBe(true);
    expect(first.isClosed()).toBe(false);
    first.socket.destroy();
  });

  // The friend stream protocol (libs/grpc/src/h2/frames.ts): one frame type (1, a batch) of records.
  const batchOf = (...records: Buffer[]): Buffer => encodeCompactFrame(1, records.length, Buffer.concat(records));
  const record = (type: number, s: number, payload: Buffer, declared = payload.length): Buffer => {
    const head = Buffer.alloc(9);
    head[0] = type;
    head.writeUInt32LE(s, 1);
    head.writeUInt32LE(declared, 5);
    return Buffer.concat([head, payload]);
  };
  test.each([
    ['a data frame for a stream never opened', encodeBatch([{ t: 'data', s: 7, b: Buffer.from('x') }])],
    ['garbage', Buffer.from('this is not a compact frame at all, not even close')],
    ['an oversized frame', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0])],
    ['an unknown frame type', encodeCompactFrame(99, 1)],
    ['an unknown record type', batchOf(record(42, 1, Buffer.alloc(0)))],
    ['a record longer than its batch', batchOf(record(3, 1, Buffer.from('x'), 1_000))],
    ['a header block that ends inside a field', batchOf(record(1, 1, Buffer.from([1, 0, 0, 0, 9, 0, 0, 0, 58])))],
    [
      'headers for an even stream id',
      encodeBatch([{ t: 'headers', s: 2, h: encodeFields([':path', '/x']), end: false }]),
    ],
    ['settings from a client', encodeBatch([{ t: 'settings', s: 0, maxConcurrentStreams: 5 }])],
    [
      'more data than the stream window allows',
      encodeBatch([
        {
          t: 'headers',
          s: 1,
          h: encodeFields([
            ':method',
            'POST',
            ':scheme',
            'http',
            ':path',
            '/friends.test.Echo/ClientStream',
            'content-type',
            'application/grpc',
          ]),
          end: false,
        },
        { t: 'data', s: 1, b: Buffer.alloc(70_000) },
      ]),
    ],
  ])('unix, after admission: %s closes only that connection', async (_name, bytes) => {
    const peer = await admitted();
    peer.socket.write(bytes);
    expect(await closesWithin(peer, 1_000)).toBe(true);
  });
});
