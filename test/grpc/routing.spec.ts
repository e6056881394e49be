import * as grpc from '@grpc/grpc-js';
import { metricsSnapshot } from '@friends/core';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { echoHandlers, loadEcho } from '../fixtures/src/grpc/echo-service.js';
import { startChildInteropServer } from '../support/grpc-interop/servers.js';
import { freePort } from '../support/ports.js';
import { wayOf, type Way } from '../support/tier.js';

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;

/** One unary call: its status code, the server's name for itself, and the friend tier that carried it. */
async function call(client: EchoClient, text = 'x'): Promise<{ code: number; server?: string; tier: Way }> {
  const { result, way } = await wayOf(
    () =>
      new Promise<{ code: number; server?: string }>((resolve) =>
        client.Unary({ text }, (err: grpc.ServiceError | null, reply?: { text: string }) =>
          resolve({ code: err?.code ?? 0, server: reply?.text }),
        ),
      ),
  );
  return { ...result, tier: way };
}

/** A friends server whose Unary answers with `name` instead of the request's text. */
async function serve(name = 'server', port = 0): Promise<{ server: FriendsGrpcServer; port: number }> {
  const server = new FriendsGrpcServer();
  server.addService(Echo.service, {
    ...echoHandlers,
    Unary: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { text: name }),
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { server, port: bound };
}

const client = (target: string, options: grpc.ClientOptions = friends()): EchoClient =>
  new Echo(target, grpc.credentials.createInsecure(), options) as EchoClient;

describe('gRPC routing', () => {
  test('in one process, calls go in memory over the connection the hello came on', async () => {
    const { server, port } = await serve();
    const echo = client(`localhost:${port}`);
    try {
      for (let i = 0; i < 3; i++) expect(await call(echo)).toEqual({ code: 0, server: 'server', tier: 'memory' });
      expect(echo.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.READY);
    } finally {
      echo.close();
      server.forceShutdown();
    }
  });

  test('clients with the same options share one connection, and one friend link', async () => {
    const { server, port } = await serve();
    const options = friends({ friends: { memory: false } });
    const before = metricsSnapshot().unix.connectionsOpened;
    const a = client(`127.0.0.1:${port}`, options);
    const b = client(`127.0.0.1:${port}`, options);
    try {
      const calls = await Promise.all([call(a), call(b), call(a)]);
      expect(calls.every((c) => c.code === 0)).toBe(true);
      expect((await call(b)).tier).toBe('unix');
      // Both ends of the one link are in this process.
      expect(metricsSnapshot().unix.connectionsOpened - before).toBe(2);
    } finally {
      a.close();
      b.close();
      server.forceShutdown();
    }
  });

  test('a call made before the server starts waits for it, then calls go in memory', async () => {
    const port = await freePort();
    const echo = client(`127.0.0.1:${port}`);
    let server: FriendsGrpcServer | undefined;
    try {
      const early = new Promise<number>((resolve) =>
        echo.Unary(
          { text: 'early' },
          new grpc.Metadata({ waitForReady: true }),
          { deadline: Date.now() + 10_000 },
          (err: grpc.ServiceError | null) => resolve(err?.code ?? 0),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      server = (await serve('late', port)).server;
      expect(await early).toBe(0);
      expect(await call(echo)).toEqual({ code: 0, server: 'late', tier: 'memory' });
    } finally {
      echo.close();
      server?.forceShutdown();
    }
  });

  test('a server replaced on the same port is negotiated again (unix in another process, then memory here)', async () => {
    const child = await startChildInteropServer('friends');
    const port = child.port;
    const echo = client(`127.0.0.1:${port}`);
    let local: FriendsGrpcServer | undefined;
    try {
      // The interop server does not serve Echo: UNIMPLEMENTED, but over the unix tier.
      expect(await call(echo)).toMatchObject({ code: grpc.status.UNIMPLEMENTED, tier: 'unix' });
      await child.stop();
      local = (await serve('here', port)).server;
      let next = await call(echo);
      for (let i = 0; i < 50 && next.code !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        next = await call(echo);
      }
      expect(next).toMatchObject({ code: 0, server: 'here' });
      expect((await call(echo)).tier).toBe('memory');
    } finally {
      echo.close();
      local?.forceShutdown();
    }
  });

  test('several backends: the load-balancing policy spreads calls, each backend over its own friend link', async () => {
    const one = await serve('one');
    const two = await serve('two');
    const echo = client(`ipv4:127.0.0.1:${one.port},127.0.0.1:${two.port}`, {
      ...friends(),
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    });
    try {
      await new Promise<void>((resolve, reject) =>
        echo.waitForReady(Date.now() + 5_000, (err) => (err ? reject(err) : resolve())),
      );
      const seen = new Map<string, Set<string>>();
      // Each backend is asked its hello when its own connection is up; round_robin uses those that are ready.
      const deadline = Date.now() + 5_000;
      for (let i = 0; i < 20 || (seen.size < 2 && Date.now() < deadline); i++) {
        const result = await call(echo);
        expect(result.code).toBe(0);
        if (!seen.has(result.server!)) seen.set(result.server!, new Set());
        seen.get(result.server!)!.add(result.tier);
      }
      expect([...seen.keys()].sort()).toEqual(['one', 'two']);
      expect([...seen.values()].map((tiers) => [...tiers])).toEqual([['memory'], ['memory']]);
    } finally {
      echo.close();
      one.server.forceShutdown();
      two.server.forceShutdown();
    }
  });

  test.each([
    ['memory', friends()],
    ['unix', friends({ friends: { memory: false } })],
  ] as const)('a closed client releases its %s link on both ends', async (tier, options) => {
    const { server, port } = await serve();
    const active = (): number => metricsSnapshot()[tier].connectionsActive;
    const before = active();
    const echo = client(`127.0.0.1:${port}`, options);
    try {
      expect((await call(echo)).tier).toBe(tier);
      expect(active()).toBe(before + 2);
      echo.close();
      for (let i = 0; i < 100 && active() > before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(active()).toBe(before);
    } finally {
      echo.close();
      server.forceShutdown();
    }
  });

  test('drain() closes friend links as it closes HTTP/2 connections; the client connects and negotiates again', async () => {
    const { server, port } = await serve();
    const echo = client(`127.0.0.1:${port}`);
    try {
      expect((await call(echo)).tier).toBe('memory');
      const active = metricsSnapshot().memory.connectionsActive;
      server.drain(`127.0.0.1:${port}`, 1_000);
      for (let i = 0; i < 50 && metricsSnapshot().memory.connectionsActive >= active; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(metricsSnapshot().memory.connectionsActive).toBeLessThan(active);
      let next = await call(echo);
      for (let i = 0; i < 50 && next.tier !== 'memory'; i++) next = await call(echo);
      expect(next).toMatchObject({ code: 0, tier: 'memory' });
    } finally {
      echo.close();
      server.forceShutdown();
    }
  });
});
