import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import {
  CompactFrameDecoder,
  createMemoryLinkPair,
  encodeCompactFrame,
  memoryCopies,
  SocketLink,
  stockJsonCodec,
  type DecoderLimits,
  type Link,
  type MessageCodec,
  type MessageDecoder,
  type SocketLinkOptions,
  type Tier,
} from '../../src/internal.js';

/** Tiny seeded PRNG (mulberry32): deterministic property tests without a dependency. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/** `wire` one byte per chunk. */
export function byteByByte(wire: Buffer): Buffer[] {
  return Array.from({ length: wire.length }, (_, i) => wire.subarray(i, i + 1));
}

/** `wire` cut in two at every boundary, and in three at every pair of boundaries. */
export function everyCut(wire: Buffer): { inTwo: Buffer[][]; inThree: Buffer[][] } {
  const inTwo: Buffer[][] = [];
  const inThree: Buffer[][] = [];
  for (let i = 0; i <= wire.length; i++) {
    inTwo.push([wire.subarray(0, i), wire.subarray(i)]);
    for (let j = i; j <= wire.length; j++) inThree.push([wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)]);
  }
  return { inTwo, inThree };
}

/** Cuts `data` into chunks of random size (1..maxChunk, sometimes 0-length). */
export function randomChunks(rand: () => number, data: Buffer, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    const size = rand() < 0.05 ? 0 : randomInt(rand, 1, maxChunk);
    chunks.push(data.subarray(pos, Math.min(data.length, pos + size)));
    pos += size;
  }
  return chunks;
}

/** Plain JSON objects over the compact framing (type 1), as a unix-tier codec would carry them. */
export const compactJsonCodec: MessageCodec<object> = {
  encode: (message) => encodeCompactFrame(1, 0, JSON.stringify(message)),
  createDecoder(limits: DecoderLimits): MessageDecoder<object> {
    const frames = new CompactFrameDecoder(limits);
    return {
      get partial() {
        return frames.partial;
      },
      push: (chunk) => frames.push(chunk).map((f) => JSON.parse(f.payload.toString('utf8')) as object),
    };
  },
};

export async function makeTempDir(prefix = 'friends-core-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the args of the next `event`, rejects after `ms`. */
export function once<T extends unknown[] = unknown[]>(emitter: EventEmitter, event: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'`));
    }, ms);
    const on = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, on);
  });
}

/** Polls `predicate` every few ms; rejects after `ms`. */
export async function waitUntil(predicate: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(5);
  }
}

/** A connected pair of raw sockets: [client, server side]. */
export async function socketPair(
  server: Server,
  address: string | { port: number; host: string },
): Promise<[Socket, Socket]> {
  const accepted = once<[Socket]>(server, 'connection');
  const client = typeof address === 'string' ? connect(address) : connect(address.port, address.host);
  await once(client, 'connect');
  const [serverSide] = await accepted;
  return [client, serverSide];
}

/** A listening server on a unix path or on 127.0.0.1:0, plus how to reach it. */
export async function listenServer(
  kind: 'unix' | 'tcp',
  dir?: string,
): Promise<{ server: Server; address: string | { port: number; host: string } }> {
  const server = createServer();
  if (kind === 'unix') {
    const path = join(dir!, `pair-${process.pid}-${Math.random().toString(16).slice(2)}.sock`);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    return { server, address: path };
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, address: { port: (server.address() as AddressInfo).port, host: '127.0.0.1' } };
}

export function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

export interface LinkPair {
  a: Link<object>;
  b: Link<object>;
  cleanup(): Promise<void>;
}

/**
 * Two connected ends of one tier. `memory` takes a high-water mark; socket tiers
 * get a fresh server (a temp-dir path for unix, 127.0.0.1:0 for tcp).
 */
export async function makeLinkPair(
  tier: Tier,
  opts: { dir?: string; highWaterMark?: number; linkOptions?: SocketLinkOptions } = {},
): Promise<LinkPair> {
  if (tier === 'memory') {
    const [a, b] = createMemoryLinkPair<object>(
      { peer: { kind: 'memory', endpoint: 'a' }, copy: memoryCopies.json },
      { peer: { kind: 'memory', endpoint: 'b' }, copy: memoryCopies.json },
      opts.highWaterMark === undefined ? {} : { highWaterMark: opts.highWaterMark },
    );
    return {
      a,
      b,
      async cleanup() {
        a.destroy();
        b.destroy();
        await delay(0);
      },
    };
  }
  const { server, address } = await listenServer(tier, opts.dir);
  const [client, serverSide] = await socketPair(server, address);
  const codec = tier === 'unix' ? compactJsonCodec : stockJsonCodec;
  const peer =
    typeof address === 'string'
      ? ({ kind: 'unix', path: address } as const)
      : ({ kind: 'tcp', host: address.host, port: address.port } as const);
  const a = new SocketLink<object>(tier, client, peer, codec, opts.linkOptions);
  const b = new SocketLink<object>(tier, serverSide, peer, codec, opts.linkOptions);
  return {
    a,
    b,
    async cleanup() {
      a.destroy();
      b.destroy();
      await Promise.all([socketClosed(client), socketClosed(serverSide)]);
      await closeServer(server);
    },
  };
}

/** Resolves once the socket has emitted 'close'. */
export function socketClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.closed) return resolve();
    socket.once('close', () => resolve());
  });
}

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Resolves with the first `n` messages `link` delivers from now on. */
export function collect<M = { i: number }>(link: EventEmitter, n: number, ms = 5000): Promise<M[]> {
  return new Promise((resolve, reject) => {
    const got: M[] = [];
    const timer = setTimeout(() => {
      link.off('message', on);
      reject(new Error(`timed out after ${ms} ms with ${got.length}/${n} messages`));
    }, ms);
    const on = (m: M): void => {
      got.push(m);
      if (got.length === n) {
        clearTimeout(timer);
        link.off('message', on);
        resolve(got);
      }
    };
    link.on('message', on);
  });
}

/** `promise`, or a rejection after `ms`; the timer is cleared either way. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True if `promise` settles within `ms`, false otherwise; the timer is cleared either way. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return withTimeout(
    promise.then(() => true),
    ms,
  ).catch(() => false);
}
