import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { kernelIdentity, unixAnswerProof } from '@friends/core/internal';
import { friends } from '@friends/grpc';
import { FriendsClient } from '@friends/nest';
import { loadEcho } from '../fixtures/src/grpc/echo-service.js';
import {
  helloAnswerBytes,
  hostileGrpcServer,
  hostileNestServer,
  mkfifo,
  nonceOf,
  ownedUnixSocket,
  provenUnixAnswer,
  releaseFifoLater,
  socketName,
  TICKET,
  watchEventLoop,
  type OwnedSocket,
} from '../support/hostile.js';
import { wayOf } from '../support/tier.js';

Logger.overrideLogger(false);
const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;
type Hello = Record<string, unknown>;
/** Makes the unix answer a hostile server sends for a hello. */
type Forge = (hello: Hello, path: string) => Record<string, unknown>;

/**
 * A server the client dials (or a MITM, or a local user who took the port) may
 * answer `unix` with any path. The client touches that path only when its
 * hello asked for unix and the answer proves this kernel, bound to the nonce,
 * the path and the ticket; it connects only to a socket, and nothing it does
 * with the path blocks its event loop. Whatever the answer, the connection
 * stays on the standard wire and calls keep working.
 */
const badProofs: [string, Forge][] = [
  ['no proof (the answer shape before proofs)', (_h, path) => ({ v: 1, tier: 'unix', path, ticket: TICKET })],
  ['a proof of zeros', (_h, path) => ({ v: 1, tier: 'unix', path, ticket: TICKET, proof: '0'.repeat(64) })],
  [
    "the client's own kernel proof echoed back",
    (hello, path) => ({ v: 1, tier: 'unix', path, ticket: TICKET, proof: hello.kernel }),
  ],
  [
    'a valid proof for another path',
    (hello, path) => ({ ...provenUnixAnswer(hello, join(path, '..', socketName())), path }),
  ],
  [
    'a valid proof for another ticket',
    (hello, path) => ({ ...provenUnixAnswer(hello, path, 'U'.repeat(32)), ticket: TICKET }),
  ],
  [
    'a proof made with another kernel identity',
    (hello, path) => ({
      v: 1,
      tier: 'unix',
      path,
      ticket: TICKET,
      proof: unixAnswerProof('not-this-kernel', nonceOf(hello), path, TICKET),
    }),
  ],
  [
    'a proof keyed by another nonce',
    (_h, path) => ({
      v: 1,
      tier: 'unix',
      path,
      ticket: TICKET,
      proof: unixAnswerProof(kernelIdentity()!, 'f'.repeat(32), path, TICKET),
    }),
  ],
];

let dir: string;
let owned: OwnedSocket;
/** A second owned socket, for tests that need one under another name. */
let extra: OwnedSocket | undefined;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'friends-sec-'));
});
beforeEach(async () => {
  owned = await ownedUnixSocket(dir);
});
afterEach(async () => {
  await owned.close();
  await extra?.close();
  extra = undefined;
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A long path whose parent is a FIFO: opening the parent to shorten the path would block. */
async function fifoParentPath(): Promise<{ path: string; fifo: string }> {
  const long = join(dir, 'd'.repeat(110));
  await mkdir(long, { recursive: true });
  const fifo = join(long, `pipe${children.length}-${Date.now()}`);
  mkfifo(fifo);
  return { path: join(fifo, socketName()), fifo };
}

/** A long path that is itself a FIFO named like a socket. */
async function fifoPath(): Promise<{ path: string; fifo: string }> {
  const long = join(dir, 'e'.repeat(110));
  await mkdir(long, { recursive: true });
  const fifo = join(long, socketName());
  mkfifo(fifo);
  return { path: fifo, fifo };
}

describe('Nest client against a hostile server answering unix', () => {
  async function dial(
    forge: (hello: Hello) => Record<string, unknown>,
    friendsOption: ConstructorParameters<typeof FriendsClient>[0] = {},
  ): Promise<{ tier: string | undefined; reply: unknown; hellos: Hello[] }> {
    const server = await hostileNestServer((hello) => ({ response: forge(hello), isDisposed: true }));
    const client = new FriendsClient({ host: '127.0.0.1', port: server.port, ...friendsOption });
    try {
      await client.connect();
      const reply = await firstValueFrom(client.send('echo', { n: 1 }));
      return { tier: client.tier, reply, hellos: server.hellos };
    } finally {
      client.close();
      await server.close();
    }
  }

  test('control: a valid proof makes the client connect (and, refused there, stay on tcp)', async () => {
    const result = await dial((hello) => provenUnixAnswer(hello, owned.path));
    expect(owned.connections).toBe(1);
    expect(result).toMatchObject({ tier: 'tcp', reply: { from: 'hostile', data: { n: 1 } } });
  });

  test.each(badProofs)('%s: the client never connects to the path', async (_name, forge) => {
    const result = await dial((hello) => forge(hello, owned.path));
    expect(result.hellos).toHaveLength(1);
    expect(owned.connections).toBe(0);
    expect(result).toMatchObject({ tier: 'tcp', reply: { from: 'hostile', data: { n: 1 } } });
  });

  test('a client with unix off ignores a unix answer, even a proven one', async () => {
    const result = await dial((hello) => provenUnixAnswer(hello, owned.path), { friends: { unix: false } });
    expect(result.hellos[0]).not.toHaveProperty('kernel');
    expect(owned.connections).toBe(0);
    expect(result).toMatchObject({ tier: 'tcp', reply: { from: 'hostile', data: { n: 1 } } });
  });

  test.each([
    ['whose parent is a FIFO', fifoParentPath],
    ['that is a FIFO', fifoPath],
  ])('a proven answer naming a long path %s never blocks the event loop', async (_name, make) => {
    const { path, fifo } = await make();
    // Were the FIFO opened for reading, only this writer (2 s later) would release it.
    children.push(releaseFifoLater(fifo, 2_000));
    const loop = watchEventLoop();
    const result = await dial((hello) => provenUnixAnswer(hello, path));
    expect(loop.stop()).toBeLessThan(500);
    expect(result).toMatchObject({ tier: 'tcp', reply: { from: 'hostile', data: { n: 1 } } });
  });

  /** Each names the owned socket in a way a strict client refuses: it must never connect. */
  test.each<[string, () => Promise<string>]>([
    [
      'a socket not named like a friends socket',
      async () => {
        extra = await ownedUnixSocket(dir, 'service.sock');
        return extra.path;
      },
    ],
    [
      'a path through ..',
      async () => {
        await mkdir(join(dir, 'x'), { recursive: true });
        return `${dir}/x/../${basename(owned.path)}`;
      },
    ],
    [
      'a path with a newline (it would reach the logs)',
      async () => {
        const odd = join(dir, 'line\nbreak');
        await mkdir(odd, { recursive: true });
        extra = await ownedUnixSocket(odd);
        return extra.path;
      },
    ],
    [
      'a symlink to the socket, named like a friends socket',
      async () => {
        const link = join(dir, socketName());
        await symlink(owned.path, link);
        return link;
      },
    ],
  ])('%s: refused', async (_name, make) => {
    const path = await make();
    const result = await dial((hello) => provenUnixAnswer(hello, path));
    expect(owned.connections + (extra?.connections ?? 0)).toBe(0);
    expect(result).toMatchObject({ tier: 'tcp', reply: { from: 'hostile', data: { n: 1 } } });
  });
});

describe('gRPC client against a hostile server answering unix', () => {
  async function dial(
    forge: (hello: Hello) => Record<string, unknown>,
    friendsOption: Parameters<typeof friends>[0] = {},
  ): Promise<{ way: string; text: string; hellos: Hello[] }> {
    const server = await hostileGrpcServer(Echo.service, (hello) => helloAnswerBytes(forge(hello)));
    const client = new Echo(server.target, grpc.credentials.createInsecure(), friends(friendsOption)) as EchoClient;
    try {
      const { result, way } = await wayOf(
        () =>
          new Promise<{ text: string }>((resolve, reject) =>
            client.Unary({ text: 'hi' }, (err: Error | null, reply: { text: string }) =>
              err ? reject(err) : resolve(reply),
            ),
          ),
      );
      return { way, text: result.text, hellos: server.hellos };
    } finally {
      client.close();
      server.close();
    }
  }

  test('control: a valid proof makes the client connect (and, refused there, stay on HTTP/2)', async () => {
    const result = await dial((hello) => provenUnixAnswer(hello, owned.path));
    expect(owned.connections).toBe(1);
    expect(result).toMatchObject({ way: 'http2', text: 'hostile:hi' });
  });

  test.each(badProofs)('%s: the client never connects to the path', async (_name, forge) => {
    const result = await dial((hello) => forge(hello, owned.path));
    expect(result.hellos).toHaveLength(1);
    expect(owned.connections).toBe(0);
    expect(result).toMatchObject({ way: 'http2', text: 'hostile:hi' });
  });

  test('a client with unix off ignores a unix answer, even a proven one', async () => {
    const result = await dial((hello) => provenUnixAnswer(hello, owned.path), { friends: { unix: false } });
    expect(result.hellos[0]?.kernel).toBe('');
    expect(owned.connections).toBe(0);
    expect(result).toMatchObject({ way: 'http2', text: 'hostile:hi' });
  });

  test.each([
    ['whose parent is a FIFO', fifoParentPath],
    ['that is a FIFO', fifoPath],
  ])('a proven answer naming a long path %s never blocks the event loop', async (_name, make) => {
    const { path, fifo } = await make();
    children.push(releaseFifoLater(fifo, 2_000));
    const loop = watchEventLoop();
    const result = await dial((hello) => provenUnixAnswer(hello, path));
    expect(loop.stop()).toBeLessThan(500);
    expect(result).toMatchObject({ way: 'http2', text: 'hostile:hi' });
  });
});
