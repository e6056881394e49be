import { Logger } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer } from '@friends/grpc';
import { FriendsClient } from '@friends/nest';
import { startTestServer } from '../fixtures/src/app.js';
import { echoHandlers } from '../fixtures/src/grpc/echo-service.js';
import { freePort } from '../support/ports.js';
import { wayOf } from '../support/tier.js';
import { Echo, echoClient, grpcCode, nestSend, nestTier, unary, type Tier } from './support/clients.js';
import { grpcHost, nestHost } from './support/host.js';
import { report } from './support/report.js';
import { testSocketDir, type TestSocketDir } from './support/socket-dir.js';
import { messageOf } from './support/tally.js';

Logger.overrideLogger(false);

/**
 * The server goes away (closed in this process for memory, SIGKILLed in its
 * own process for unix and tcp) and a new one starts on the same port: every
 * client reconnects and negotiates its tier again, which the per-tier counters
 * of this process confirm. A killed server's stale socket is removed by the next.
 */
const CLIENTS = 3;
const TIERS: Tier[] = ['memory', 'unix', 'tcp'];
const WAY: Record<Tier, string> = { memory: 'memory', unix: 'unix', tcp: 'http2' };

interface Running {
  /** `close()` at once in this process, SIGKILL for a child. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** A server that can be taken away and started again (by `launch`) on the same port. */
function restartable(launch: () => Promise<Running>): {
  start(): Promise<void>;
  crash(): Promise<void>;
  stop(): Promise<void>;
} {
  let running: Running | undefined;
  return {
    async start() {
      running = await launch();
    },
    async crash() {
      await running?.kill();
      running = undefined;
    },
    async stop() {
      await running?.stop();
      running = undefined;
    },
  };
}

describe.each(TIERS)('server restarted on the same port, %s', (tier) => {
  let sockets: TestSocketDir;
  beforeEach(async () => {
    sockets = await testSocketDir();
  });
  afterEach(() => sockets.remove());

  test('Nest: clients reconnect on their next send, and take the same tier', async () => {
    const port = await freePort();
    const options = { socketDir: sockets.dir };
    const server = restartable(async () => {
      if (tier !== 'memory') return nestHost(port, options);
      const started = await startTestServer('friends', port, options);
      return { kill: () => started.app.close(), stop: () => started.app.close() };
    });
    await server.start();
    const clients = Array.from(
      { length: CLIENTS },
      () => new FriendsClient({ host: '127.0.0.1', port, ...(tier === 'tcp' ? { friends: false } : {}) }),
    );
    try {
      for (const client of clients) expect(await nestTier(client)).toBe(tier);
      const pending = clients.map((client) => nestSend(client, 'hang').catch(messageOf));
      await server.crash();
      expect(await Promise.all(pending)).toEqual(clients.map(() => 'Connection closed'));
      // While nobody listens, a send fails at once.
      expect(await nestSend(clients[0]!, 'tier').catch(messageOf)).toBe('ECONNREFUSED');

      await server.start();
      for (const client of clients) {
        // The next send reconnects; once the tier is decided, calls take it.
        expect(await nestSend(client, 'sum.sync', [1, 2])).toBe(3);
        await client.tierDecision();
        const { result, way } = await wayOf(() => nestSend(client, 'tier'));
        expect({ result, way, tier: client.tier }).toEqual({
          result: tier,
          way: tier === 'tcp' ? 'http2' : tier,
          tier,
        });
      }
      // Only the new server's socket is there: the killed one's was removed when it started.
      expect(await sockets.leftovers()).toHaveLength(1);
      report(`restart Nest ${tier}`, { clients: CLIENTS, reconnected: CLIENTS, tier });
    } finally {
      for (const client of clients) client.close();
      await server.stop();
    }
    expect(await sockets.leftovers()).toEqual([]);
  }, 60_000);

  test('gRPC: channels reconnect by themselves, and take the same tier', async () => {
    const port = await freePort();
    const server = restartable(async () => {
      if (tier !== 'memory') return grpcHost(port, sockets.dir);
      const local = new FriendsGrpcServer({ friends: { socketDir: sockets.dir } });
      local.addService(Echo.service, echoHandlers);
      await new Promise<number>((resolve, reject) =>
        local.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      return {
        kill: async () => local.forceShutdown(),
        stop: () => new Promise<void>((resolve) => local.tryShutdown(() => resolve())),
      };
    });
    await server.start();
    const clients = Array.from({ length: CLIENTS }, () => echoClient(port, tier));
    try {
      for (const client of clients) expect((await wayOf(() => unary(client, { text: 'a' }))).way).toBe(WAY[tier]);
      const pending = clients.map((client) => unary(client, { text: 'b', delay_ms: 600_000 }).catch(grpcCode));
      await server.crash();
      expect(await Promise.all(pending)).toEqual(clients.map(() => 'UNAVAILABLE'));
      expect(await unary(clients[0]!, { text: 'c' }).catch(grpcCode)).toBe('UNAVAILABLE');

      await server.start();
      const deadline = Date.now() + 15_000;
      for (const client of clients) {
        const { result, way } = await wayOf(() => unary(client, { text: 'd' }, { waitForReady: true, deadline }));
        expect({ text: result.text, way }).toEqual({ text: 'd', way: WAY[tier] });
      }
      expect((await sockets.leftovers()).length).toBe(tier === 'tcp' ? 0 : 1);
      report(`restart gRPC ${tier}`, { clients: CLIENTS, reconnected: CLIENTS, way: WAY[tier] });
    } finally {
      for (const client of clients) client.close();
      await server.stop();
    }
    expect(await sockets.leftovers()).toEqual([]);
  }, 60_000);
});
