import type { Server, Socket } from 'node:net';
import {
  ErrorCodes,
  SocketLink,
  encodeCompactFrame,
  isFriendsError,
  metricsSnapshot,
  stockJsonCodec,
  type MessageCodec,
  type PeerAddress,
  type SocketLinkOptions,
} from '../src/internal.js';
import {
  closeServer,
  collect,
  compactJsonCodec,
  delay,
  listenServer,
  makeTempDir,
  once,
  removeDir,
  socketClosed,
  socketPair,
  waitUntil,
  withTimeout,
} from './support/helpers.js';

interface Variant {
  tier: 'unix' | 'tcp';
  codec: MessageCodec<object>;
  /** The wire form of one message. */
  frame(message: object): Buffer;
  /** A frame header that declares `size` (the codec's unit) and nothing else. */
  declare(size: number): Buffer;
  garbage: Buffer;
}

const variants: Variant[] = [
  {
    tier: 'tcp',
    codec: stockJsonCodec,
    frame: (m) => Buffer.from(stockJsonCodec.encode(m)),
    declare: (size) => Buffer.from(`${size}#`),
    garbage: Buffer.from('xx#{}'),
  },
  {
    tier: 'unix',
    codec: compactJsonCodec,
    frame: (m) => encodeCompactFrame(1, 0, JSON.stringify(m)),
    declare: (size) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(size);
      return b;
    },
    garbage: Buffer.from([1, 0, 0, 0, 9, 9, 9, 9, 9]),
  },
];

function peerOf(tier: 'unix' | 'tcp'): PeerAddress {
  return tier === 'unix' ? { kind: 'unix', path: '/test/peer.sock' } : { kind: 'tcp', host: '127.0.0.1', port: 0 };
}

describe.each(variants)('SocketLink limits over $tier', (variant) => {
  let dir: string;
  let server: Server | undefined;
  let sockets: Socket[] = [];

  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(async () => {
    await removeDir(dir);
  });
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(sockets.map(socketClosed));
    sockets = [];
    await closeServer(server);
    server = undefined;
  });

  /** A raw peer socket, and a SocketLink on the other end of the connection. */
  async function setup(options: SocketLinkOptions): Promise<{ raw: Socket; link: SocketLink<object> }> {
    const listening = await listenServer(variant.tier, dir);
    server = listening.server;
    const [client, serverSide] = await socketPair(listening.server, listening.address);
    sockets.push(client, serverSide);
    const link = new SocketLink<object>(variant.tier, serverSide, peerOf(variant.tier), variant.codec, options);
    client.on('error', () => undefined);
    return { raw: client, link };
  }

  test('a half frame left idle for incompleteMessageTimeout destroys the link with FRIENDS_ERR_INCOMPLETE_MESSAGE_TIMEOUT', async () => {
    const { raw, link } = await setup({ incompleteMessageTimeout: 100 });
    const frame = variant.frame({ hello: 'world' });
    const closed = once<[Error | undefined]>(link, 'close');
    const started = Date.now();
    raw.write(frame.subarray(0, frame.length >> 1));
    const [err] = await closed;
    const elapsed = Date.now() - started;
    expect(isFriendsError(err, ErrorCodes.INCOMPLETE_MESSAGE_TIMEOUT)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(2000);
  });

  test('a frame that keeps trickling in is not timed out', async () => {
    const { raw, link } = await setup({ incompleteMessageTimeout: 150 });
    const got = collect<object>(link, 1);
    const frame = variant.frame({ slow: 'but steady' });
    for (let i = 0; i < frame.length; i += 2) {
      raw.write(frame.subarray(i, i + 2));
      await delay(25);
    }
    expect(await got).toEqual([{ slow: 'but steady' }]);
    expect(link.closed).toBe(false);
  });

  test('complete frames do not arm the timer, and a completed frame disarms it', async () => {
    const { raw, link } = await setup({ incompleteMessageTimeout: 100 });
    const got: object[] = [];
    link.on('message', (m) => got.push(m));
    const frame = variant.frame({ n: 1 });
    raw.write(frame);
    await delay(60);
    raw.write(frame.subarray(0, 3));
    await delay(60);
    raw.write(frame.subarray(3));
    await delay(250);
    expect(got).toEqual([{ n: 1 }, { n: 1 }]);
    expect(link.closed).toBe(false);
  });

  test('a paused link is not timed out for a half frame it has not been allowed to read', async () => {
    const { raw, link } = await setup({ incompleteMessageTimeout: 100 });
    const got: object[] = [];
    link.on('message', (m) => got.push(m));
    let closeErr: Error | undefined;
    link.on('close', (err) => (closeErr = err));
    const second = variant.frame({ n: 2 });
    raw.write(Buffer.concat([variant.frame({ n: 1 }), second.subarray(0, 4)]));
    await waitUntil(() => got.length === 1);
    // The consumer applies backpressure; the peer has already sent the rest.
    link.pause();
    raw.write(second.subarray(4));
    await delay(300);
    expect(closeErr).toBeUndefined();
    expect(link.closed).toBe(false);
    link.resume();
    await waitUntil(() => got.length === 2 || link.closed, 2000);
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test('a declared length over maxFrameSize is rejected from the header alone', async () => {
    const { raw, link } = await setup({ maxFrameSize: 64 });
    const closed = once<[Error | undefined]>(link, 'close');
    raw.write(variant.declare(65));
    const [err] = await closed;
    expect(isFriendsError(err, ErrorCodes.FRAME_TOO_LARGE)).toBe(true);
  });

  test('frames up to maxFrameSize pass', async () => {
    const { raw, link } = await setup({ maxFrameSize: 64 });
    const got = collect<object>(link, 1);
    raw.write(variant.frame({ s: 'x'.repeat(30) }));
    expect(await got).toEqual([{ s: 'x'.repeat(30) }]);
  });

  test('malformed input closes the link with a coded error and counts an error', async () => {
    const { raw, link } = await setup({});
    const before = metricsSnapshot()[variant.tier].errors;
    const closed = once<[Error | undefined]>(link, 'close');
    raw.write(variant.garbage);
    const [err] = await closed;
    expect(isFriendsError(err)).toBe(true);
    expect([ErrorCodes.BAD_FRAME, ErrorCodes.BAD_JSON]).toContain((err as unknown as { code: string }).code);
    expect(metricsSnapshot()[variant.tier].errors - before).toBe(1);
  });

  test('messages before a malformed frame are still delivered', async () => {
    const { raw, link } = await setup({});
    const got: object[] = [];
    link.on('message', (m) => got.push(m));
    const closed = once(link, 'close');
    raw.write(Buffer.concat([variant.frame({ ok: 1 }), variant.frame({ ok: 2 })]));
    await waitUntil(() => got.length === 2);
    raw.write(variant.garbage);
    await closed;
    expect(got).toEqual([{ ok: 1 }, { ok: 2 }]);
  });

  test('maxSendBufferSize exceeded while the peer does not read -> FRIENDS_ERR_SEND_BUFFER_EXCEEDED', async () => {
    const listening = await listenServer(variant.tier, dir);
    server = listening.server;
    const [client, serverSide] = await socketPair(listening.server, listening.address);
    sockets.push(client, serverSide);
    serverSide.pause(); // the peer never reads
    const link = new SocketLink<object>(variant.tier, client, peerOf(variant.tier), variant.codec, {
      maxSendBufferSize: 256 * 1024,
    });
    const closed = once<[Error | undefined]>(link, 'close', 10_000);
    const pad = 'y'.repeat(16 * 1024);
    let sent = 0;
    let sawFalse = false;
    // One message per macrotask, so the kernel buffers fill first and only then our own queue.
    while (!link.closed && sent < 64 * 1024) {
      if (!link.send({ i: sent++, pad })) sawFalse = true;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [err] = await closed;
    expect(sawFalse).toBe(true);
    expect(isFriendsError(err, ErrorCodes.SEND_BUFFER_EXCEEDED)).toBe(true);
    expect(link.send({ after: true })).toBe(false);
  });

  test('a burst above maxSendBufferSize in one tick fails the send that crossed it, asynchronously closed', async () => {
    const { raw } = await setup({});
    const link = new SocketLink<object>(variant.tier, raw, peerOf(variant.tier), variant.codec, {
      maxSendBufferSize: 64 * 1024,
    });
    let closedSync = false;
    let inside = true;
    link.on('close', () => (closedSync ||= inside));
    const results: boolean[] = [];
    const closedAfter: boolean[] = [];
    // Each message is ~10,020 bytes: the 7th takes the queue over 64 KiB.
    for (let i = 0; i < 10; i++) {
      results.push(link.send({ pad: 'z'.repeat(10_000) }));
      closedAfter.push(link.closed);
    }
    inside = false;
    const [err] = await withTimeout(once<[Error | undefined]>(link, 'close'), 3000, 'close');
    expect(closedSync).toBe(false);
    expect(isFriendsError(err, ErrorCodes.SEND_BUFFER_EXCEEDED)).toBe(true);
    expect(closedAfter.indexOf(true)).toBe(6);
    expect(results.slice(6)).toEqual([false, false, false, false]);
  });

  test('maxSendBufferSize 0 disables the limit', async () => {
    const { raw } = await setup({});
    const link = new SocketLink<object>(variant.tier, raw, peerOf(variant.tier), variant.codec, {
      maxSendBufferSize: 0,
    });
    for (let i = 0; i < 100; i++) link.send({ pad: 'z'.repeat(20_000) });
    await delay(50);
    expect(link.closed).toBe(false);
  });

  test('leftover bytes given to the constructor are decoded first, in order', async () => {
    const listening = await listenServer(variant.tier, dir);
    server = listening.server;
    const [client, serverSide] = await socketPair(listening.server, listening.address);
    sockets.push(client, serverSide);
    const third = variant.frame({ n: 3 });
    const leftover = Buffer.concat([variant.frame({ n: 1 }), variant.frame({ n: 2 }), third.subarray(0, 3)]);
    const link = new SocketLink<object>(variant.tier, serverSide, peerOf(variant.tier), variant.codec, {}, leftover);
    const got = collect<object>(link, 4);
    client.write(third.subarray(3));
    client.write(variant.frame({ n: 4 }));
    expect(await got).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
  });
});

describe('SocketLink over tcp, peer failures', () => {
  test('a reset by the peer is reported as the close error', async () => {
    const { server, address } = await listenServer('tcp');
    const [client, serverSide] = await socketPair(server, address);
    const link = new SocketLink<object>('tcp', serverSide, peerOf('tcp'), stockJsonCodec);
    const closed = once<[Error | undefined]>(link, 'close');
    client.resetAndDestroy();
    const [err] = await closed;
    expect((err as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
    await socketClosed(client);
    await closeServer(server);
  });
});
