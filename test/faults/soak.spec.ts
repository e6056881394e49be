import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { FriendsGrpcServer } from '@friends/grpc';
import { FriendsClient } from '@friends/nest';
import { lastValueFrom, toArray } from 'rxjs';
import { startTestServer } from '../fixtures/src/app.js';
import { usage, type Usage } from '../fixtures/src/faults/measure.js';
import { echoHandlers, serverEvents } from '../fixtures/src/grpc/echo-service.js';
import { freePort } from '../support/ports.js';
import { Echo, echoClient, nestSend, unary, type EchoClient, type Tier } from './support/clients.js';
import { startHost } from './support/host.js';
import { report } from './support/report.js';
import { testSocketDir } from './support/socket-dir.js';
import { sleep, Tally } from './support/tally.js';

Logger.overrideLogger(false);

/**
 * Steady load on every tier of both transports at once, with connections
 * opened and closed throughout, while this process (clients, and the servers
 * of the memory tier) and the server process are sampled: heap after a full
 * collection, RSS, active handles and file descriptors. None may trend
 * upwards: the last third of the samples is compared with the first (after a
 * warm-up). 60 s under CI=true, 10 s otherwise; FRIENDS_SOAK_SECONDS overrides.
 */
const SECONDS = Number(process.env.FRIENDS_SOAK_SECONDS ?? (/^(1|true)$/i.test(process.env.CI ?? '') ? 60 : 10));
const SAMPLES = 24;
/** Samples left out at the start: JIT, pools and caches fill up there. */
const WARM_UP = 4;
const CONCURRENCY = 8;
const TIERS: Tier[] = ['memory', 'unix', 'tcp'];

/** How much a quantity may grow from the first third of the run to the last. */
const TOLERANCE: Record<'heap' | 'rss' | 'fds' | 'handles', { ratio: number; plus: number }> = {
  heap: { ratio: 1.15, plus: 2 * 1024 * 1024 },
  rss: { ratio: 1.15, plus: 24 * 1024 * 1024 },
  // Connections churn while samples are taken, so a few descriptors and handles come and go between
  // samples; a leak of one per churned connection would add hundreds.
  fds: { ratio: 1, plus: 8 },
  handles: { ratio: 1, plus: 10 },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The first and last thirds' medians of each quantity, and whether it stayed within its tolerance. */
function trend(samples: Usage[]): Record<string, { first: number; last: number; ok: boolean }> {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const out: Record<string, { first: number; last: number; ok: boolean }> = {};
  for (const key of Object.keys(TOLERANCE) as (keyof typeof TOLERANCE)[]) {
    const first = median(samples.slice(0, third).map((s) => s[key]));
    const last = median(samples.slice(-third).map((s) => s[key]));
    out[key] = { first, last, ok: last <= first * TOLERANCE[key].ratio + TOLERANCE[key].plus };
  }
  return out;
}

test(
  `soak: ${SECONDS} s of steady load on every tier of both transports, no growth on either side`,
  async () => {
    const sockets = await testSocketDir();
    const nestPort = await freePort();
    const localNestPort = await freePort();
    const localNest = await startTestServer('friends', localNestPort, { socketDir: sockets.dir });
    const localGrpc = new FriendsGrpcServer({ friends: { socketDir: sockets.dir } });
    localGrpc.addService(Echo.service, echoHandlers);
    const localGrpcPort = await new Promise<number>((resolve, reject) =>
      localGrpc.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const remote = await startHost('soak server');
    await remote.request({ op: 'nest-server', port: nestPort, options: { socketDir: sockets.dir } });
    const { port: grpcPort } = await remote.request<{ port: number }>({
      op: 'grpc-server',
      port: 0,
      socketDir: sockets.dir,
    });

    const nestClient = (tier: Tier): FriendsClient =>
      new FriendsClient({
        host: '127.0.0.1',
        port: tier === 'memory' ? localNestPort : nestPort,
        ...(tier === 'tcp' ? { friends: false } : {}),
      });
    const grpcClient = (tier: Tier): EchoClient => echoClient(tier === 'memory' ? localGrpcPort : grpcPort, tier);

    const tally = new Tally();
    const churn = new Tally();
    const nest = TIERS.map(nestClient);
    const channels = TIERS.map(grpcClient);
    let running = true;
    // Each worker makes one call after another: requests, streams and events, on every tier.
    const work = [nest, channels].flatMap((group) =>
      group.map(async (client, c) => {
        const workers = Array.from({ length: CONCURRENCY }, async (_, w) => {
          for (let n = 0; running; n++) {
            if (client instanceof FriendsClient) {
              const kind = (n + w) % 4;
              if (kind === 0) await tally.track(nestSend(client, 'sum.sync', [n, c]));
              else if (kind === 1) await tally.track(nestSend(client, 'echo', { n, text: 'x'.repeat(n % 512) }));
              else if (kind === 2) await tally.track(lastValueFrom(client.send('range.sync', 4).pipe(toArray())));
              else await tally.track(lastValueFrom(client.emit('tick', n)));
            } else if ((n + w) % 2 === 0) {
              await tally.track(unary(client, { text: 'x'.repeat(n % 512) }));
            } else {
              const stream = client.ServerStream({ text: 's', count: 4 }) as grpc.ClientReadableStream<unknown>;
              await tally.track(
                new Promise((resolve, reject) => {
                  stream.on('data', () => undefined);
                  stream.on('error', reject);
                  stream.on('end', resolve);
                }),
              );
            }
          }
        });
        await Promise.all(workers);
      }),
    );
    // Connections come and go throughout: one new client per tier and transport, twice a second.
    const churning = (async () => {
      while (running) {
        await Promise.all(
          TIERS.flatMap((tier) => [
            churn.track(
              (async () => {
                const client = nestClient(tier);
                try {
                  await nestSend(client, 'sum.sync', [1, 2]);
                } finally {
                  client.close();
                }
              })(),
            ),
            churn.track(
              (async () => {
                const client = grpcClient(tier);
                try {
                  await unary(client, { text: 'churn' });
                } finally {
                  client.close();
                }
              })(),
            ),
          ]),
        );
        await sleep(500);
      }
    })();

    const client: Usage[] = [];
    const server: Usage[] = [];
    try {
      const every = (SECONDS * 1000) / SAMPLES;
      for (let i = 0; i < SAMPLES; i++) {
        await sleep(every);
        // The echo service's log of what it saw grows by an entry per call: test bookkeeping, not server state.
        serverEvents.length = 0;
        const local = usage(true);
        const { usage: far } = await remote.stats(true);
        if (i >= WARM_UP) {
          client.push(local);
          server.push(far);
        }
      }
    } finally {
      running = false;
      await Promise.all([...work, churning]);
      for (const c of nest) c.close();
      for (const c of channels) c.close();
      await remote.stop();
      await localNest.app.close();
      await new Promise<void>((resolve) => localGrpc.tryShutdown(() => resolve()));
    }
    const lost = (await tally.settled(10_000)) + (await churn.settled(10_000));
    const clientTrend = trend(client);
    const serverTrend = trend(server);
    report(`soak ${SECONDS} s`, {
      calls: tally.summary(),
      churn: churn.summary(),
      lost,
      callsPerSecond: Math.round(tally.sent / SECONDS),
      client: clientTrend,
      server: serverTrend,
      heapSeriesMiB: {
        client: client.map((u) => Math.round(u.heap / 1024 / 102.4) / 10),
        server: server.map((u) => Math.round(u.heap / 1024 / 102.4) / 10),
      },
      handleKinds: { first: client[0]?.handleKinds, last: client.at(-1)?.handleKinds },
    });
    expect(await sockets.leftovers()).toEqual([]);
    await sockets.remove();
    expect(lost).toBe(0);
    expect(tally.failed + churn.failed).toBe(0);
    expect(tally.sent).toBeGreaterThan(SECONDS * 100);
    for (const [side, trends] of Object.entries({ client: clientTrend, server: serverTrend }))
      for (const [key, { first, last, ok }] of Object.entries(trends))
        expect({ side, key, first, last, ok }).toEqual({ side, key, first, last, ok: true });
  },
  (SECONDS + 60) * 1000,
);
