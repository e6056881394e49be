import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { echoHandlers, flow, loadEcho } from '../fixtures/src/grpc/echo-service.js';

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;
const SIZE = 16 * 1024;
const TOTAL = 5_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One message per read: a reader that stops reading stops the writer after a
 * few messages (stream buffers on each side), however much the writer has to
 * send. HTTP/2 (tcp) has byte windows and kernel buffers, so its bound is wider.
 */
describe.each([
  // The window (64 messages) plus a stream buffer (16) on each side.
  ['memory', friends(), 160],
  ['unix', friends({ friends: { memory: false } }), 160],
  ['tcp', friends({ friends: false }), 1024],
] as const)('flow control on %s', (_tier, options, bound) => {
  let server: FriendsGrpcServer;
  let client: EchoClient;

  beforeAll(async () => {
    server = new FriendsGrpcServer();
    server.addService(Echo.service, echoHandlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as EchoClient;
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  test('a client that reads slowly holds the server back', async () => {
    flow.serverWritten = 0;
    const call = client.ServerStream({
      text: 'flood',
      count: TOTAL,
      blob: Buffer.alloc(SIZE),
    }) as grpc.ClientReadableStream<unknown>;
    let read = 0;
    call.on('data', () => {
      read++;
      if (read === 1) call.pause();
    });
    call.on('error', () => undefined);
    await sleep(300);
    expect(read).toBeGreaterThan(0);
    expect(flow.serverWritten).toBeLessThan(bound);
    call.resume();
    await new Promise((resolve) => call.on('end', resolve));
    expect(read).toBe(TOTAL);
    expect(flow.serverWritten).toBe(TOTAL);
  });

  test('a server that reads slowly holds the client back', async () => {
    flow.serverRead = 0;
    const md = new grpc.Metadata();
    md.set('x-slow-reader', '1');
    let accepted = 0;
    const call = client.ClientStream(md, () => undefined) as grpc.ClientWritableStream<unknown>;
    call.on('error', () => undefined);
    const blob = Buffer.alloc(SIZE, 2);
    let stalled = false;
    const writing = (async () => {
      for (let i = 0; i < TOTAL && !stalled; i++) {
        if (!call.write({ text: 'x', blob }, () => accepted++)) {
          await new Promise((resolve) => {
            call.once('drain', resolve);
            call.once('status', resolve);
          });
        }
      }
    })();
    await sleep(300);
    expect(accepted).toBeLessThan(bound);
    stalled = true;
    call.cancel();
    await writing.catch(() => undefined);
  });
});
