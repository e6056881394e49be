import { randomBytes } from 'node:crypto';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import fc from 'fast-check';
import * as grpc from '@grpc/grpc-js';
import {
  clientEnd,
  CompactFrameDecoder,
  connectionTuple,
  encodeCompactFrame,
  kernelIdentity,
  kernelProof,
  metricsSnapshot,
} from '@friends/core/internal';
import { rawGrpcHello } from '../fixtures/src/grpc/raw-hello.js';
import { type FriendsGrpcServer } from '@friends/grpc';
import { handshakeService } from '@friends/grpc/internal';
import { admissionInput, chunked, compactInput, fuzz, settle, Traffic, writeAll } from '../support/fuzz.js';
import { closesWithin, rawConnect, ticketFrame, type RawPeer } from '../support/raw.js';
import { echo, echoClient, startGrpcServer, type EchoClient } from '../support/sec-servers.js';

/** Time a unix connection has to present its ticket: room for a loaded machine, short enough to check. */
const ADMISSION_MS = 1_000;
const Hello = handshakeService.Hello!;
/** The one frame type of the friend stream protocol (libs/grpc/src/h2/frames.ts): a batch of records. */
const BATCH = 1;

/** A header block as the protocol writes it: count, then each name and value with its byte length. */
const headerBlock = fc.array(fc.string({ maxLength: 20 }), { maxLength: 10 }).map((list) => {
  const parts = [Buffer.alloc(4)];
  parts[0]!.writeUInt32LE(list.length >> 1);
  for (const text of list.slice(0, list.length & ~1)) {
    const bytes = Buffer.from(text);
    parts.push(Buffer.alloc(4), bytes);
    parts[parts.length - 2]!.writeUInt32LE(bytes.length);
  }
  return Buffer.concat(parts);
});

/** Batches of records of any kind, id and payload, some of them lying about their length. */
const batchInput: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.record({
      type: fc.nat({ max: 11 }),
      s: fc.oneof(fc.nat({ max: 9 }), fc.nat()),
      payload: fc.oneof(
        headerBlock,
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        fc.constant(Buffer.alloc(4, 1)),
      ),
      declared: fc.option(fc.nat(), { freq: 8 }),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((records) => {
    const body = records.map(({ type, s, payload, declared }) => {
      const head = Buffer.alloc(9);
      head[0] = type;
      head.writeUInt32LE(s >>> 0, 1);
      head.writeUInt32LE((declared ?? payload.length) >>> 0, 5);
      return Buffer.concat([head, payload]);
    });
    return new Uint8Array(encodeCompactFrame(BATCH, records.length, Buffer.concat(body)));
  });

type Answer = { v: number; tier: string; path: string; ticket: string; reason: string };

/** A gRPC message as it goes on an HTTP/2 stream: flag, length, bytes. */
function framed(body: Uint8Array, flag = 0, declared = body.length): Uint8Array {
  const out = Buffer.alloc(5 + body.length);
  out[0] = flag;
  out.writeUInt32BE(declared >>> 0, 1);
  Buffer.from(body).copy(out, 5);
  return new Uint8Array(out);
}

/** What may come as the body of a Hello call: framed or not, proto or not, of any size. */
const helloBody: fc.Arbitrary<Uint8Array> = (() => {
  const text = fc.oneof(fc.hexaString({ maxLength: 64 }), fc.string({ maxLength: 80 }));
  const message = fc
    .record({ v: fc.integer(), nonce: text, endpoint: text, kernel: text })
    .map((m) => new Uint8Array(Hello.requestSerialize(m)));
  const bytes = fc.uint8Array({ maxLength: 2048 });
  return fc.oneof(
    message.map((m) => framed(m)),
    bytes.map((b) => framed(b)),
    fc.tuple(message, fc.nat({ max: 1 }), fc.nat()).map(([m, flag, declared]) => framed(m, flag, declared)),
    fc.tuple(message, message).map(([a, b]) => new Uint8Array(Buffer.concat([framed(a), framed(b)]))),
    fc.uint8Array({ minLength: 1100, maxLength: 4096 }).map((b) => framed(b)),
    bytes,
  );
})();

/** One Hello stream with `body` on a raw HTTP/2 session: its grpc-status and what it answered. */
function rawHelloCall(session: ClientHttp2Session, body: Uint8Array): Promise<{ status: string; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/friends.v1.Handshake/Hello',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    stream.on('response', (headers) => (status ??= headers['grpc-status'] as string | undefined));
    stream.on('trailers', (trailers) => (status ??= trailers['grpc-status'] as string | undefined));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => resolve({ status: status ?? `closed ${stream.rstCode}`, data: Buffer.concat(chunks) }));
    stream.end(body);
  });
}

/**
 * Adversarial input against a FriendsGrpcServer, server side: the Hello RPC
 * with random bytes, the unix admission, and the friend stream frames after
 * it. Each costs only its own call or connection; memory, unix and HTTP/2
 * clients keep calling meanwhile and every call succeeds.
 */
describe('fuzz: gRPC server', () => {
  let server: FriendsGrpcServer;
  let target: string;
  let unixPath: string;
  const clients: Record<string, EchoClient> = {};
  let traffic: Traffic;
  let okBefore = 0;
  let unixLinksBefore = 0;
  const peers = new Set<RawPeer>();

  beforeAll(async () => {
    ({ server, target } = await startGrpcServer({ admissionTimeout: ADMISSION_MS }));
    clients.memory = echoClient(target, {});
    clients.unix = echoClient(target, { friends: { memory: false } });
    clients.http2 = echoClient(target);
    for (const [way, client] of Object.entries(clients)) expect((await echo(client, way)).way).toBe(way);
    unixPath = server.unixPath!;
    let n = 0;
    traffic = new Traffic(
      Object.fromEntries(
        Object.entries(clients).map(([name, client]) => [
          name,
          async () => {
            const text = `${name}-${n++}`;
            const { result } = await echo(client, text);
            if (result !== text) throw new Error(`echo of ${text} gave ${result}`);
          },
        ]),
      ),
    );
    unixLinksBefore = metricsSnapshot().unix.connectionsActive;
  });

  afterAll(async () => {
    await traffic?.stop();
    for (const client of Object.values(clients)) client.close();
    server?.forceShutdown();
  });

  beforeEach(() => {
    okBefore = traffic.ok;
  });

  afterEach(async () => {
    for (const peer of peers) peer.socket.destroy();
    await Promise.all([...peers].map((peer) => peer.closed));
    peers.clear();
    for (let i = 0; i < 50 && metricsSnapshot().unix.connectionsActive !== unixLinksBefore; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(metricsSnapshot().unix.connectionsActive).toBe(unixLinksBefore);
    expect(traffic.failures).toEqual([]);
    expect(traffic.ok).toBeGreaterThan(okBefore);
  });

  const connect = async (path: string): Promise<RawPeer> => {
    const peer = await rawConnect({ path });
    peers.add(peer);
    return peer;
  };

  test('Hello RPC with random bytes: answered tcp, or INTERNAL / RESOURCE_EXHAUSTED; never a fast tier', async () => {
    const session = http2Connect(`http://${target}`);
    session.on('error', () => undefined);
    const seen = new Set<string>();
    try {
      await fuzz('grpc hello bytes', fc.array(helloBody, { minLength: 1, maxLength: 8 }), async (bodies) => {
        const results = await Promise.all(bodies.map((body) => rawHelloCall(session, body)));
        for (const { status, data } of results) {
          seen.add(status);
          expect([
            String(grpc.status.OK),
            String(grpc.status.INTERNAL),
            String(grpc.status.RESOURCE_EXHAUSTED),
          ]).toContain(status);
          if (status !== String(grpc.status.OK)) continue;
          const answer = Hello.responseDeserialize(data.subarray(5)) as Answer;
          expect(answer.tier).toBe('tcp');
        }
      });
    } finally {
      session.close();
    }
    expect([...seen].sort()).toEqual(['0', '13', '8']);
  });

  test('unix, before admission: anything but a live ticket closes the connection, which never gets an answer', async () => {
    const waiting: RawPeer[] = [];
    await fuzz(
      'grpc unix admission',
      fc.array(chunked(admissionInput()), { minLength: 1, maxLength: 8 }),
      async (inputs) => {
        await Promise.all(
          inputs.map(async (chunks) => {
            const peer = await connect(unixPath);
            writeAll(peer, chunks);
            // Most inputs are refused at once; a partial one waits for the admission timeout, checked below.
            if ((await settle(peer, 20)) === 'open') waiting.push(peer);
            expect(peer.received).toEqual([]);
          }),
        );
      },
    );
    // Each one that was left waiting is closed by the admission timeout, still without a word.
    const deadline = Date.now() + ADMISSION_MS + 2_000;
    for (const peer of waiting) {
      expect(await closesWithin(peer, Math.max(0, deadline - Date.now()))).toBe(true);
      expect(peer.received).toEqual([]);
    }
  });

  test('unix, after admission: stream frames of any kind close only that connection; answers are well framed', async () => {
    const identity = kernelIdentity()!;
    await fuzz(
      'grpc unix frames',
      fc.array(chunked(fc.oneof(batchInput, compactInput([BATCH]))), { minLength: 1, maxLength: 4 }),
      async (inputs) => {
        await Promise.all(
          inputs.map(async (chunks) => {
            const nonce = randomBytes(16).toString('hex');
            // A proof bound to the connection it travels on: a raw HTTP/2 Hello, whose socket is known.
            const port = Number(target.slice(target.lastIndexOf(':') + 1));
            const answer = (await rawGrpcHello('127.0.0.1', port, (socket) => ({
              v: 1,
              nonce,
              kernel: kernelProof(identity, nonce, clientEnd(connectionTuple(socket), 'client')),
              endpoint: '',
            })))!;
            expect(answer.tier).toBe('unix');
            const peer = await connect(answer.path);
            peer.socket.write(ticketFrame(answer.ticket));
            while (peer.received.length === 0 && !peer.isClosed()) await new Promise((r) => setTimeout(r, 2));
            expect(peer.isClosed()).toBe(false);
            writeAll(peer, chunks);
            await settle(peer, 10);
            peer.socket.destroy();
            const decoder = new CompactFrameDecoder({ maxFrameSize: 1 << 24 });
            const frames = peer.received.flatMap((chunk) => decoder.push(chunk));
            expect(decoder.partial).toBe(false);
            expect(frames.slice(1).every((frame) => frame.type === BATCH)).toBe(true);
          }),
        );
      },
    );
  });
});
