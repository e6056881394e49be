import 'reflect-metadata';
import { rename } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { friends } from '@friends/grpc';
import { FriendsClient } from '@friends/nest';
import { closesWithin, rawConnect } from '../support/raw.js';
import { Echo, echo, echoClient, startGrpcServer, startNestServer, type EchoClient } from '../support/sec-servers.js';

Logger.overrideLogger(false);

/**
 * Puts a listener that accepts and never answers in place of the server's
 * unix socket (the real one is moved aside): a client told to go there
 * waits for its admission until its own limit.
 */
async function stallUnix(path: string): Promise<() => Promise<void>> {
  await rename(path, `${path}.real`);
  const held = new Set<Socket>();
  const stall: Server = createServer((socket) => {
    held.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => stall.listen(path, resolve));
  return async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => stall.close(() => resolve()));
    await rename(`${path}.real`, path);
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: performance.now() - start };
}

describe('the unix admission wait is an option (client and server), with the former defaults', () => {
  test('Nest client: admissionTimeout bounds the wait for a unix endpoint that never admits (default 2 s)', async () => {
    const { server, port } = await startNestServer();
    const restore = await stallUnix(server.unixPath!);
    const quick = new FriendsClient({ host: '127.0.0.1', port, friends: { memory: false }, admissionTimeout: 300 });
    const plain = new FriendsClient({ host: '127.0.0.1', port, friends: { memory: false } });
    try {
      const [short, long] = await Promise.all([timed(() => quick.tierDecision()), timed(() => plain.tierDecision())]);
      expect([quick.tier, plain.tier]).toEqual(['tcp', 'tcp']);
      // The short wait ends at its own limit, the default one about 2 s later (both pay the same setup).
      expect(short.ms).toBeGreaterThanOrEqual(250);
      expect(long.ms).toBeGreaterThanOrEqual(1_900);
      expect(long.ms - short.ms).toBeGreaterThan(1_000);
    } finally {
      quick.close();
      plain.close();
      await restore();
      await server.close();
    }
  });

  test('gRPC client: admissionTimeout bounds the same wait (default 2 s); calls then go over HTTP/2', async () => {
    const { server, target } = await startGrpcServer();
    const warm = echoClient(target, { friends: { memory: false } });
    expect((await echo(warm, 'warm')).way).toBe('unix');
    warm.close();
    const restore = await stallUnix(server.unixPath!);
    // Own subchannels: the warm client's (already a friend) must not be shared.
    const local = { 'grpc.use_local_subchannel_pool': 1 };
    const make = (admissionTimeout?: number): EchoClient =>
      new Echo(target, grpc.credentials.createInsecure(), {
        ...friends({ friends: { memory: false }, admissionTimeout }),
        ...local,
      }) as EchoClient;
    const quick = make(300);
    const plain = make(undefined);
    try {
      const [short, long] = await Promise.all([timed(() => echo(quick, 'q')), timed(() => echo(plain, 'p'))]);
      expect([short.result, long.result]).toEqual([
        { result: 'q', way: 'http2' },
        { result: 'p', way: 'http2' },
      ]);
      // The short wait ends at its own limit, the default one about 2 s later (both pay the same setup).
      expect(short.ms).toBeGreaterThanOrEqual(250);
      expect(long.ms).toBeGreaterThanOrEqual(1_900);
      expect(long.ms - short.ms).toBeGreaterThan(1_000);
    } finally {
      quick.close();
      plain.close();
      await restore();
      server.forceShutdown();
    }
  });

  test('Nest server: admissionTimeout closes a unix connection that presents no ticket', async () => {
    const { server } = await startNestServer({ admissionTimeout: 200 });
    try {
      const peer = await rawConnect({ path: server.unixPath! });
      expect(await closesWithin(peer, 100)).toBe(false);
      // Closed after 200 ms, far from the 5 s default; the margin is for a loaded machine.
      expect(await closesWithin(peer, 2_500)).toBe(true);
    } finally {
      await server.close();
    }
  });

  test('gRPC server: admissionTimeout closes a unix connection that presents no ticket', async () => {
    const { server, target } = await startGrpcServer({ admissionTimeout: 200 });
    const client = echoClient(target, { friends: { memory: false } });
    try {
      expect((await echo(client, 'x')).way).toBe('unix');
      const peer = await rawConnect({ path: server.unixPath! });
      expect(await closesWithin(peer, 100)).toBe(false);
      // Closed after 200 ms, far from the 5 s default; the margin is for a loaded machine.
      expect(await closesWithin(peer, 2_500)).toBe(true);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
