import { Logger } from '@nestjs/common';
import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer } from '@friends/grpc';
import { FriendsClient } from '@friends/nest';
import { startTestServer } from '../fixtures/src/app.js';
import { echoHandlers, gate as grpcGate, unaryStarts } from '../fixtures/src/grpc/echo-service.js';
import { TestController } from '../fixtures/src/test.controller.js';
import { freePort } from '../support/ports.js';
import { wayOf } from '../support/tier.js';
import { Echo, echoClient, grpcCode, nestSend, nestTier, unary, type Tier } from './support/clients.js';
import { grpcHost, nestHost } from './support/host.js';
import { report } from './support/report.js';
import { testSocketDir, type TestSocketDir } from './support/socket-dir.js';
import { messageOf, Tally, waitFor } from './support/tally.js';

Logger.overrideLogger(false);

/**
 * A graceful shutdown (Nest: close() with shutdownGracePeriod; gRPC:
 * tryShutdown) while 1,000 calls are in flight: their handlers have started
 * and wait on a gate. Calls made after the shutdown began (on the open
 * connections, and from a new client) must fail and start no handler; once the
 * gate opens, all 1,000 complete and the shutdown finishes.
 */
const IN_FLIGHT = 1_000;
const CLIENTS = 4;
const LATE_PER_CLIENT = 10;
const GRACE_MS = 20_000;
const SETTLE_MS = 15_000;

/** A server for the test, wherever it runs. */
interface Placed {
  setGate(open: boolean): Promise<void>;
  /** Handlers of gated calls started so far. */
  starts(): Promise<number>;
  /** Begins the graceful shutdown; resolves once it has begun, with the handler starts then. */
  beginClose(): Promise<number>;
  /** Resolves when the shutdown has completed, with the handler starts then. */
  closed(): Promise<number>;
  /** Ends whatever is left (after a failure). */
  kill(): Promise<void>;
}

interface Client {
  call(n: number): Promise<number>;
  close(): void;
}

async function shutdownWithCallsInFlight(
  name: string,
  placed: Placed,
  connect: () => Promise<Client>,
  lateErrors: string[],
): Promise<void> {
  const clients: Client[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) clients.push(await connect());
    await placed.setGate(false);
    const base = await placed.starts();
    const inFlight = new Tally();
    const answers: number[] = [];
    for (let n = 0; n < IN_FLIGHT; n++)
      void inFlight.track(
        clients[n % CLIENTS]!.call(n).then((answer) => answers.push(answer)),
        errorName,
      );
    const started = await waitFor(async () => (await placed.starts()) - base >= IN_FLIGHT, 20_000, 50);
    expect({ started, starts: (await placed.starts()) - base }).toEqual({ started: true, starts: IN_FLIGHT });

    const startsAtClose = await placed.beginClose();
    const late = new Tally();
    for (const client of clients) for (let i = 0; i < LATE_PER_CLIENT; i++) void late.track(client.call(-1), errorName);
    // A new client cannot even connect.
    void late.track(
      connect().then((client) => client.close()),
      errorName,
    );
    // Give late calls time to arrive (they must start nothing), then let the 1,000 finish.
    await late.settled(1_000);
    const startsBeforeOpening = await placed.starts();
    await placed.setGate(true);
    const startsAfterClose = await placed.closed();
    const lost = (await inFlight.settled(SETTLE_MS)) + (await late.settled(SETTLE_MS));

    report(`graceful shutdown ${name}`, {
      inFlight: inFlight.summary(),
      late: late.summary(),
      lost,
      handlerStartsAfterShutdownBegan: startsAfterClose - startsAtClose,
    });
    expect(lost).toBe(0);
    expect(inFlight.summary()).toEqual({ sent: IN_FLIGHT, succeeded: IN_FLIGHT, failed: 0, errors: {} });
    expect(answers.sort((a, b) => a - b)).toEqual(Array.from({ length: IN_FLIGHT }, (_, n) => n));
    expect(late.succeeded).toBe(0);
    expect(Object.keys(late.summary().errors).filter((e) => !lateErrors.includes(e))).toEqual([]);
    expect({ startsAtClose, startsBeforeOpening, startsAfterClose }).toEqual({
      startsAtClose: base + IN_FLIGHT,
      startsBeforeOpening: base + IN_FLIGHT,
      startsAfterClose: base + IN_FLIGHT,
    });
  } finally {
    for (const client of clients) client.close();
    await placed.setGate(true).catch(() => undefined);
    await placed.kill();
  }
}

/** A gRPC status by name, anything else by its code or message. */
function errorName(err: unknown): string {
  return typeof (err as { code?: unknown }).code === 'number' ? grpcCode(err) : messageOf(err);
}

describe.each(['memory', 'unix', 'tcp'] as Tier[])('graceful shutdown, %s', (tier) => {
  let sockets: TestSocketDir;
  beforeEach(async () => {
    sockets = await testSocketDir();
  });
  afterEach(() => sockets.remove());

  test(`Nest close() with shutdownGracePeriod, ${tier}: all ${IN_FLIGHT} complete, no handler starts after it began`, async () => {
    const port = await freePort();
    const options = { socketDir: sockets.dir, shutdownGracePeriod: GRACE_MS };
    let placed: Placed;
    if (tier === 'memory') {
      const server = await startTestServer('friends', port, options);
      let closing: Promise<void> | undefined;
      placed = {
        setGate: async (open) => (open ? TestController.gate.open() : TestController.gate.close()),
        starts: async () => TestController.counts.gated,
        async beginClose() {
          closing = server.app.close();
          return TestController.counts.gated;
        },
        async closed() {
          await closing;
          return TestController.counts.gated;
        },
        kill: async () => void (await (closing ?? server.app.close())),
      };
    } else {
      const host = await nestHost(port, options);
      placed = {
        setGate: (open) => host.request({ op: 'gate', open }),
        starts: async () => (await host.stats(false)).starts.gated,
        beginClose: async () => (await host.beginClose(true)).starts.gated,
        closed: async () => (await host.closed()).starts.gated,
        kill: () => host.kill(),
      };
    }
    await shutdownWithCallsInFlight(
      `Nest ${tier}`,
      placed,
      async () => {
        const client = new FriendsClient({ host: '127.0.0.1', port, ...(tier === 'tcp' ? { friends: false } : {}) });
        try {
          expect(await nestTier(client)).toBe(tier);
        } catch (err) {
          client.close();
          throw err;
        }
        return { call: (n) => nestSend<number>(client, 'gated', n), close: () => client.close() };
      },
      ['Connection closed', 'ECONNREFUSED'],
    );
    expect(await sockets.leftovers()).toEqual([]);
  }, 60_000);

  test(`gRPC tryShutdown, ${tier}: all ${IN_FLIGHT} complete, no handler starts after it began`, async () => {
    let placed: Placed;
    let port: number;
    if (tier === 'memory') {
      const server = new FriendsGrpcServer({ friends: { socketDir: sockets.dir } });
      server.addService(Echo.service, echoHandlers);
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      let closing: Promise<void> | undefined;
      placed = {
        setGate: async (open) => (open ? grpcGate.open() : grpcGate.close()),
        starts: async () => unaryStarts.count,
        async beginClose() {
          closing = new Promise((resolve) => server.tryShutdown(() => resolve()));
          return unaryStarts.count;
        },
        async closed() {
          await closing;
          return unaryStarts.count;
        },
        kill: async () => server.forceShutdown(),
      };
    } else {
      const host = await grpcHost(0, sockets.dir);
      port = host.port;
      placed = {
        setGate: (open) => host.request({ op: 'gate', open }),
        starts: async () => (await host.stats(false)).starts.unary,
        beginClose: async () => (await host.beginClose(true)).starts.unary,
        closed: async () => (await host.closed()).starts.unary,
        kill: () => host.kill(),
      };
    }
    await shutdownWithCallsInFlight(
      `gRPC ${tier}`,
      placed,
      async () => {
        const client = echoClient(port, tier);
        try {
          const { way } = await wayOf(() => unary(client, { text: 'warm' }));
          expect(way).toBe(tier === 'tcp' ? 'http2' : tier);
        } catch (err) {
          client.close();
          throw err;
        }
        return {
          call: async (n) => (await unary(client, { text: 'gated', count: n })).index,
          close: () => client.close(),
        };
      },
      ['UNAVAILABLE'],
    );
    expect(await sockets.leftovers()).toEqual([]);
  }, 60_000);
});
