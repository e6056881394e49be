import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import {
  encodeCompactFrame,
  encodeStockFrame,
  ErrorCodes,
  AUTH_OK_FRAME,
  clientEnd,
  connectionTuple,
  kernelIdentity,
  kernelProof,
  memoryCopies,
  openPendingEndpoint,
  pendingEndpointCount,
} from '@friends/core/internal';
import type { Socket } from 'node:net';
import { handshakeService } from '@friends/grpc/internal';
import { rawGrpcHello } from '../fixtures/src/grpc/raw-hello.js';
import { closesWithin, rawConnect, rawHello, ticketFrame, type RawPeer } from '../support/raw.js';
import { startGrpcServer, startNestServer } from '../support/sec-servers.js';

Logger.overrideLogger(false);

type Answer = { tier: string; path?: string; ticket?: string; reason?: string };

/** One server under test, as a hostile peer sees it: hellos over its standard port, tickets on its socket. */
type Hello = Record<string, unknown> | ((socket: Socket) => Record<string, unknown>);

interface Target {
  /** A hello over a new connection; a function makes it once the connection is up (a proof is bound to it). */
  hello(data: Hello): Promise<Answer>;
  /** Warnings with codes, where the server hands them over (gRPC's onWarning). */
  warnings: { code?: string }[];
  close(): Promise<void>;
}

const nonce = (): string => randomBytes(16).toString('hex');
/** A hello that proves this kernel on the connection it is sent on. */
const provenHello =
  () =>
  (socket: Socket): Record<string, unknown> => {
    const n = nonce();
    return { v: 1, nonce: n, kernel: kernelProof(kernelIdentity()!, n, clientEnd(connectionTuple(socket), 'client')) };
  };

/** Time a unix connection has to present its ticket, on both servers (room for a loaded machine). */
const ADMISSION_MS = 1_000;

async function nestTarget(options: { ticketTtl?: number }): Promise<Target> {
  const { server, port } = await startNestServer({ ...options, admissionTimeout: ADMISSION_MS });
  const open: RawPeer[] = [];
  return {
    async hello(data) {
      const { peer, answer } = await rawHello(port, data);
      open.push(peer);
      return answer.response as Answer;
    },
    warnings: [],
    async close() {
      for (const peer of open) peer.socket.destroy();
      await server.close();
    },
  };
}

async function grpcTarget(options: { ticketTtl?: number }): Promise<Target> {
  const warnings: { code?: string }[] = [];
  const { server, target } = await startGrpcServer({
    ...options,
    admissionTimeout: ADMISSION_MS,
    onWarning: (err) => warnings.push(err as { code?: string }),
  });
  const port = Number(target.slice(target.lastIndexOf(':') + 1));
  return {
    async hello(data) {
      const answer = await rawGrpcHello('127.0.0.1', port, (socket) => ({
        endpoint: '',
        kernel: '',
        ...(typeof data === 'function' ? data(socket) : data),
      }));
      if (!answer) throw new Error('no answer to the Hello');
      return answer;
    },
    warnings,
    async close() {
      server.forceShutdown();
    },
  };
}

/** Presents `bytes` on the unix socket; resolves with the peer once admitted or closed. */
async function present(path: string, bytes: Buffer): Promise<RawPeer> {
  const peer = await rawConnect({ path });
  peer.socket.write(bytes);
  await Promise.race([
    peer.closed,
    new Promise<void>((resolve) => peer.socket.once('data', () => resolve())),
    new Promise<void>((resolve) => setTimeout(resolve, 1_000)),
  ]);
  return peer;
}

/** Whether the server admitted the peer: it proved itself with an AUTH_OK frame and kept the connection. */
function admitted(peer: RawPeer): boolean {
  const data = Buffer.concat(peer.received);
  return !peer.isClosed() && data.length >= 9 && data[4] === AUTH_OK_FRAME;
}

describe.each([
  ['Nest', nestTarget],
  ['gRPC', grpcTarget],
])('%s server: unix tickets', (name, start) => {
  let target: Target;
  const peers: RawPeer[] = [];
  const keep = (peer: RawPeer): RawPeer => (peers.push(peer), peer);

  beforeAll(async () => {
    target = await start({ ticketTtl: 200 });
  });
  afterAll(async () => {
    for (const peer of peers) peer.socket.destroy();
    await target.close();
  });

  const ticket = async (): Promise<{ path: string; ticket: string }> => {
    const answer = await target.hello(provenHello());
    expect(answer.tier).toBe('unix');
    return { path: answer.path!, ticket: answer.ticket! };
  };

  test('a real ticket admits once', async () => {
    const { path, ticket: t } = await ticket();
    expect(admitted(keep(await present(path, ticketFrame(t))))).toBe(true);
  });

  test('a forged ticket is refused: closed, never answered', async () => {
    const { path } = await ticket();
    for (const forged of [
      randomBytes(24).toString('base64url'),
      'A'.repeat(32),
      randomBytes(48).toString('base64url'),
    ]) {
      const peer = keep(await present(path, ticketFrame(forged)));
      expect(await closesWithin(peer, 1_000)).toBe(true);
      expect(peer.received).toEqual([]);
    }
    if (name === 'gRPC') expect(target.warnings.some((w) => w.code === ErrorCodes.BAD_TICKET)).toBe(true);
  });

  test('a replayed ticket is refused, and the connection it admitted stays', async () => {
    const { path, ticket: t } = await ticket();
    const first = keep(await present(path, ticketFrame(t)));
    expect(admitted(first)).toBe(true);
    const replay = keep(await present(path, ticketFrame(t)));
    expect(await closesWithin(replay, 1_000)).toBe(true);
    expect(replay.received).toEqual([]);
    expect(first.isClosed()).toBe(false);
  });

  test('one ticket presented on several connections at once admits exactly one', async () => {
    const { path, ticket: t } = await ticket();
    const racers = await Promise.all(Array.from({ length: 8 }, () => rawConnect({ path })));
    for (const peer of racers) keep(peer).socket.write(ticketFrame(t));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(racers.filter(admitted)).toHaveLength(1);
    expect(racers.filter((peer) => peer.isClosed())).toHaveLength(7);
  });

  test('a ticket of another server is refused by this one', async () => {
    const other = await start({});
    try {
      const foreign = await other.hello(provenHello());
      const { path } = await ticket();
      expect(foreign.path).not.toBe(path);
      const peer = keep(await present(path, ticketFrame(foreign.ticket!)));
      expect(await closesWithin(peer, 1_000)).toBe(true);
      expect(peer.received).toEqual([]);
    } finally {
      await other.close();
    }
  });

  test.each([
    ['in a frame of another type', (t: string) => encodeCompactFrame(1, 0, t)],
    ['in the server-proof frame type', (t: string) => encodeCompactFrame(AUTH_OK_FRAME, 0, t)],
    [
      'followed by more frames in the same write',
      (t: string) => Buffer.concat([ticketFrame(t), encodeCompactFrame(1, 0, '{}')]),
    ],
    ['cut short, then silence', (t: string) => ticketFrame(t).subarray(0, 12)],
  ])('a real ticket %s does not admit', async (_case, frame) => {
    const { path, ticket: t } = await ticket();
    const peer = keep(await present(path, frame(t)));
    expect(await closesWithin(peer, ADMISSION_MS + 2_000)).toBe(true);
    expect(peer.received).toEqual([]);
  });

  test('an expired ticket is refused', async () => {
    const { path, ticket: t } = await ticket();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const peer = keep(await present(path, ticketFrame(t)));
    expect(await closesWithin(peer, 1_000)).toBe(true);
    expect(peer.received).toEqual([]);
  });
});

describe.each([
  ['Nest', nestTarget, 'grpc-streams/1'],
  ['gRPC', grpcTarget, 'nest-packets/1'],
])('%s server: forged memory endpoints and bad hellos are answered tcp', (_name, start, otherProtocol) => {
  let target: Target;

  beforeAll(async () => {
    target = await start({});
  });
  afterAll(async () => {
    await target.close();
  });

  test('an endpoint id nobody opened', async () => {
    for (let i = 0; i < 20; i++) {
      const answer = await target.hello({ v: 1, nonce: nonce(), endpoint: nonce() });
      expect(answer.tier).toBe('tcp');
    }
  });

  test('an endpoint opened for the other protocol is neither paired nor used up', async () => {
    const endpoint = openPendingEndpoint(otherProtocol, memoryCopies.json);
    const pending = pendingEndpointCount();
    try {
      expect((await target.hello({ v: 1, nonce: nonce(), endpoint: endpoint.id })).tier).toBe('tcp');
      expect(endpoint.link).toBeUndefined();
      expect(pendingEndpointCount()).toBe(pending);
    } finally {
      endpoint.cancel();
    }
  });

  test.each([
    ['an endpoint id in capitals', () => ({ v: 1, nonce: nonce(), endpoint: nonce().toUpperCase() })],
    ['an endpoint id one character short', () => ({ v: 1, nonce: nonce(), endpoint: nonce().slice(1) })],
    ['a nonce that is not hex', () => ({ v: 1, nonce: 'z'.repeat(32) })],
    ['another version', () => ({ v: 2, nonce: nonce() })],
    ['a kernel proof for another nonce', () => (socket: Socket) => ({ ...provenHello()(socket), nonce: nonce() })],
    [
      'a kernel proof made for another connection',
      () => provenHello()({ localAddress: '127.0.0.1', localPort: 1 } as Socket),
    ],
    ['a kernel proof of the wrong length', () => ({ v: 1, nonce: nonce(), kernel: 'ab'.repeat(31) })],
  ])('%s', async (_case, make) => {
    expect((await target.hello(make())).tier).toBe('tcp');
  });
});

describe('oversize hellos', () => {
  test('Nest: a hello of 1 Mi characters is answered tcp at once, and the connection goes on', async () => {
    const { server, port } = await startNestServer();
    try {
      const started = performance.now();
      const { peer, answer } = await rawHello(port, { v: 1, nonce: 'a'.repeat(1024 * 1024), pad: 'b'.repeat(1024) });
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(answer.response).toEqual({ v: 1, tier: 'tcp', reason: 'malformed hello' });
      peer.received.length = 0;
      peer.socket.write(encodeStockFrame(JSON.stringify({ pattern: 'sum', data: [2, 3], id: 'after' })));
      await new Promise((resolve) => peer.socket.once('data', resolve));
      expect(Buffer.concat(peer.received).toString()).toBe(
        encodeStockFrame(JSON.stringify({ response: 5, isDisposed: true, id: 'after' })),
      );
      peer.socket.destroy();
    } finally {
      await server.close();
    }
  });

  test('gRPC: a Hello over 1 KiB is refused with RESOURCE_EXHAUSTED, and the next one is answered', async () => {
    const { server, target } = await startGrpcServer();
    const Handshake = grpc.makeGenericClientConstructor(handshakeService, 'Handshake');
    const client = new Handshake(target, grpc.credentials.createInsecure()) as unknown as Record<string, Function> &
      grpc.Client;
    const hello = (request: Record<string, unknown>): Promise<Answer> =>
      new Promise((resolve, reject) =>
        client.Hello(request, (err: Error | null, answer: Answer) => (err ? reject(err) : resolve(answer))),
      );
    try {
      await expect(hello({ v: 1, nonce: 'a'.repeat(64 * 1024), endpoint: '', kernel: '' })).rejects.toMatchObject({
        code: grpc.status.RESOURCE_EXHAUSTED,
      });
      expect((await hello({ v: 1, nonce: nonce(), endpoint: '', kernel: '' })).tier).toBe('tcp');
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
