import 'reflect-metadata';
import { access, lstat } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { FriendsClient, type FriendsServerOptions } from '@friends/nest';
import { startTestServer } from '../fixtures/src/app.js';
import { startChildServer } from '../support/child-server.js';
import { freePort } from '../support/ports.js';
import type { AnyClient } from '../support/targets.js';

Logger.overrideLogger(false);
const host = '127.0.0.1';

type Tier = 'memory' | 'unix' | 'tcp';
interface Running {
  stop(): Promise<void>;
}

/** Starts the test server so that a default FriendsClient in this process gets `tier`. */
async function serverFor(tier: Tier, port: number, options: FriendsServerOptions = {}): Promise<Running> {
  if (tier === 'memory') {
    const server = await startTestServer('friends', port, options);
    return { stop: () => server.app.close() };
  }
  return startChildServer('friends', port, options);
}

function clientFor(tier: Tier, port: number): FriendsClient {
  return new FriendsClient({ host, port, ...(tier === 'tcp' ? { friends: false } : {}) });
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

const send = <T = unknown>(client: AnyClient, pattern: string, data: unknown = {}): Promise<T> =>
  lastValueFrom(client.send<T>(pattern, data));

/** What the server says the connection's tier is, once the client has decided it. */
async function serverSees(client: FriendsClient): Promise<unknown> {
  await client.tierDecision();
  return send(client, 'tier');
}

/** Where a restarted server lives, so that the client must move to another tier. */
const NEXT: Record<Tier, Tier> = { memory: 'unix', unix: 'memory', tcp: 'tcp' };

describe.each<Tier>(['memory', 'unix', 'tcp'])('lifecycle on %s', (tier) => {
  test('server close fails pending requests with "Connection closed"; the next send reconnects and negotiates again', async () => {
    const port = await freePort();
    let server = await serverFor(tier, port);
    const client = clientFor(tier, port);
    try {
      expect(await serverSees(client)).toBe(tier);
      const pending = [errorOf(send(client, 'hang')), errorOf(send(client, 'hang'))];
      await new Promise((resolve) => setTimeout(resolve, 20));
      await server.stop();
      for (const err of await Promise.all(pending)) expect(err.message).toBe('Connection closed');

      server = await serverFor(NEXT[tier], port);
      expect(await send(client, 'sum.sync', [1, 2])).toBe(3);
      expect(await serverSees(client)).toBe(NEXT[tier]);
      expect(client.tier).toBe(NEXT[tier]);
    } finally {
      client.close();
      await server.stop();
    }
  });

  test('with a grace period, close lets in-flight requests finish and then refuses', async () => {
    const port = await freePort();
    const server = await serverFor(tier, port, { shutdownGracePeriod: 5_000 });
    const client = clientFor(tier, port);
    try {
      await client.tierDecision();
      const slow = send<number>(client, 'slow', 150);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const stopping = server.stop();
      expect(await slow).toBe(150);
      await stopping;
      expect((await errorOf(send(client, 'tier'))).code).toBe('ECONNREFUSED');
    } finally {
      client.close();
    }
  });

  test('requests and events made before the decision go out at once, in order, none lost or doubled', async () => {
    const port = await freePort();
    const server = await serverFor(tier, port);
    const client = clientFor(tier, port);
    try {
      const answers: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        if (i % 3 === 0) client.emit('record', { n: i });
        else answers.push(send(client, 'echo', i));
      }
      const expected = Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 !== 0);
      expect(await Promise.all(answers)).toEqual(expected);
      expect(await client.tierDecision()).toBe(tier);
      const recorded: { n?: number }[] = [];
      for (let i = 0; i < 100 && recorded.length < 200; i++)
        recorded.push(...(await send<{ n?: number }[]>(client, 'recorded')));
      expect(recorded.filter((r) => r.n !== undefined).map((r) => r.n)).toEqual(
        Array.from({ length: 100 }, (_, i) => i * 3),
      );
    } finally {
      client.close();
      await server.stop();
    }
  });

  test('client close() fails pending requests, and a send right after reconnects', async () => {
    const port = await freePort();
    const server = await serverFor(tier, port);
    const client = clientFor(tier, port);
    try {
      await client.connect();
      const pending = errorOf(send(client, 'hang'));
      await new Promise((resolve) => setTimeout(resolve, 10));
      client.close();
      expect((await pending).message).toBe('Connection closed');
      client.close();
      const [a, b] = await Promise.all([send(client, 'sum.sync', [1, 1]), send(client, 'sum.sync', [2, 2])]);
      expect([a, b]).toEqual([2, 4]);
      expect(await client.tierDecision()).toBe(tier);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe('connection refused', () => {
  test.each([
    ['friends client', (port: number) => new FriendsClient({ host, port })],
    ['friends client, friends off', (port: number) => new FriendsClient({ host, port, friends: false })],
    ['stock client', (port: number) => new ClientTCP({ host, port })],
  ])('%s rejects with code ECONNREFUSED on a dead port', async (_name, make) => {
    const client = make(await freePort());
    expect((await errorOf(send(client, 'tier'))).code).toBe('ECONNREFUSED');
    client.close();
  });
});

describe('tier decision', () => {
  test('FRIENDS=off in the client environment forces tcp, even in the same process', async () => {
    const port = await freePort();
    const server = await startTestServer('friends', port);
    const previous = process.env.FRIENDS;
    process.env.FRIENDS = 'off';
    const client = new FriendsClient({ host, port });
    try {
      expect(await serverSees(client)).toBe('tcp');
    } finally {
      if (previous === undefined) delete process.env.FRIENDS;
      else process.env.FRIENDS = previous;
      client.close();
      await server.app.close();
    }
  });

  test('FRIENDS=off in the server environment forces tcp', async () => {
    const port = await freePort();
    const server = await startChildServer('friends', port, {}, { ...process.env, FRIENDS: 'off' });
    expect(server.unixPath).toBeNull();
    const client = new FriendsClient({ host, port });
    try {
      expect(await serverSees(client)).toBe('tcp');
    } finally {
      client.close();
      await server.stop();
    }
  });

  test.each([
    ['client turns unix off', {}, { friends: { unix: false } }, 'tcp'],
    ['server turns unix off', { friends: { unix: false } }, {}, 'tcp'],
    ['client turns memory off (other process: unix still)', {}, { friends: { memory: false } }, 'unix'],
    ['server socket directory cannot be created', { socketDir: '/dev/null/friends' }, {}, 'tcp'],
  ] as const)('%s', async (_name, serverOptions, clientOptions, expected) => {
    const port = await freePort();
    const server = await startChildServer('friends', port, serverOptions as FriendsServerOptions);
    const client = new FriendsClient({ host, port, ...clientOptions });
    try {
      expect(await serverSees(client)).toBe(expected);
    } finally {
      client.close();
      await server.stop();
    }
  });

  test('in the same process with memory off, a client takes unix', async () => {
    const port = await freePort();
    const server = await startTestServer('friends', port);
    const client = new FriendsClient({ host, port, friends: { memory: false } });
    try {
      expect(await serverSees(client)).toBe('unix');
    } finally {
      client.close();
      await server.app.close();
    }
  });

  test('a socket that vanished after the answer leaves the client on tcp, silently', async () => {
    const port = await freePort();
    const server = await startChildServer('friends', port);
    const { rm } = await import('node:fs/promises');
    await rm(server.unixPath!);
    const client = new FriendsClient({ host, port });
    try {
      expect(await serverSees(client)).toBe('tcp');
      expect(await send(client, 'sum.sync', [2, 3])).toBe(5);
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe('socket files', () => {
  test('are 0600 in a 0700 directory while listening and removed on close', async () => {
    const port = await freePort();
    const server = await startTestServer('friends', port);
    const path = server.friends!.unixPath!;
    try {
      expect((await lstat(path)).mode & 0o777).toBe(0o600);
      expect((await lstat(path.slice(0, path.lastIndexOf('/')))).mode & 0o777).toBe(0o700);
    } finally {
      await server.app.close();
    }
    await expect(access(path)).rejects.toThrow();
  });

  test('a dead server leaves a stale socket, which the next server removes', async () => {
    const killed = await startChildServer('friends', await freePort());
    process.kill(killed.pid, 'SIGKILL');
    await killed.stop();
    expect((await lstat(killed.unixPath!)).isSocket()).toBe(true);
    const live = await startChildServer('friends', await freePort());
    try {
      const server = await startTestServer('friends', await freePort());
      await server.app.close();
      await expect(access(killed.unixPath!)).rejects.toThrow();
      expect((await lstat(live.unixPath!)).isSocket()).toBe(true);
    } finally {
      await live.stop();
    }
  });
});
