import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { metricsSnapshot } from '@friends/core';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { FriendsClient } from '@friends/nest';
import { startTestServer } from '../fixtures/src/app.js';
import { fdCount } from '../fixtures/src/faults/measure.js';
import { echoHandlers } from '../fixtures/src/grpc/echo-service.js';
import { freePort } from '../support/ports.js';
import { Echo, echoClient, grpcCode, nestTier, unary, type EchoClient, type Tier } from './support/clients.js';
import { grpcHost, nestHost, type FaultHost } from './support/host.js';
import { report } from './support/report.js';
import { testSocketDir, type TestSocketDir } from './support/socket-dir.js';
import { messageOf, waitFor } from './support/tally.js';

/**
 * A capacity test, not a timing one: hundreds of hellos and unix admissions at once on a loaded
 * machine may take longer than the default waits, after which a connection rightly stays on tcp.
 */
const CAPACITY_WAITS = { helloTimeout: 20_000, admissionTimeout: 20_000 };

Logger.overrideLogger(false);

/**
 * 1,000 clients at once, spread over the tiers (a server in this process for
 * memory, one in another process for unix and tcp), each making one call: all
 * succeed on their tier, and once they are closed this process and the server
 * process are back to the file descriptors they had before.
 */
const PER_TIER: Record<Tier, number> = { memory: 334, unix: 333, tcp: 333 };
const TOTAL = PER_TIER.memory + PER_TIER.unix + PER_TIER.tcp;
/** Descriptors above the baseline still tolerated once everything closed (timing of unrelated handles). */
const FD_SLACK = 4;
const RELEASE_MS = 15_000;

let sockets: TestSocketDir;
beforeEach(async () => {
  sockets = await testSocketDir();
});
afterEach(async () => {
  await sockets.remove();
});

function tiers(): Tier[] {
  return (Object.keys(PER_TIER) as Tier[]).flatMap((tier) => Array.from({ length: PER_TIER[tier] }, () => tier));
}

async function backToBaseline(
  remote: FaultHost,
  local: number,
  remoteBase: number,
): Promise<{ local: number; remote: number }> {
  let now = { local: fdCount(), remote: (await remote.stats(false)).usage.fds };
  await waitFor(
    async () => {
      now = { local: fdCount(), remote: (await remote.stats(false)).usage.fds };
      return now.local <= local + FD_SLACK && now.remote <= remoteBase + FD_SLACK;
    },
    RELEASE_MS,
    100,
  );
  return now;
}

test(`Nest: ${TOTAL} concurrent clients across the tiers all succeed; descriptors return to baseline`, async () => {
  const memoryPort = await freePort();
  const port = await freePort();
  const local = await startTestServer('friends', memoryPort, { socketDir: sockets.dir });
  const remote = await nestHost(port, { socketDir: sockets.dir });
  const clients: FriendsClient[] = [];
  try {
    const fdBase = fdCount();
    const remoteBase = (await remote.stats(false)).usage.fds;
    for (const tier of tiers())
      clients.push(
        new FriendsClient({
          host: '127.0.0.1',
          port: tier === 'memory' ? memoryPort : port,
          ...(tier === 'tcp' ? { friends: false } : CAPACITY_WAITS),
        }),
      );
    const answers = await Promise.all(clients.map((client) => nestTier(client).catch(messageOf)));
    const seen: Record<string, number> = {};
    for (const answer of answers) seen[answer] = (seen[answer] ?? 0) + 1;
    const peak = fdCount();
    for (const client of clients) client.close();
    const after = await backToBaseline(remote, fdBase, remoteBase);
    report(`${TOTAL} concurrent connections, Nest`, {
      seen,
      fdBase,
      fdPeak: peak,
      fdAfter: after.local,
      remoteBase,
      remoteAfter: after.remote,
    });
    expect(seen).toEqual(PER_TIER);
    expect(after.local).toBeLessThanOrEqual(fdBase + FD_SLACK);
    expect(after.remote).toBeLessThanOrEqual(remoteBase + FD_SLACK);
  } finally {
    for (const client of clients) client.close();
    await remote.stop();
    await local.app.close();
  }
  expect(await sockets.leftovers()).toEqual([]);
}, 90_000);

test(`gRPC: ${TOTAL} concurrent channels across the tiers all succeed; descriptors return to baseline`, async () => {
  const server = new FriendsGrpcServer({ friends: { socketDir: sockets.dir } });
  server.addService(Echo.service, echoHandlers);
  const memoryPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const remote = await grpcHost(0, sockets.dir);
  const clients: EchoClient[] = [];
  try {
    const fdBase = fdCount();
    const remoteBase = (await remote.stats(false)).usage.fds;
    const before = metricsSnapshot();
    for (const tier of tiers())
      clients.push(
        echoClient(tier === 'memory' ? memoryPort : remote.port, tier, tier === 'tcp' ? {} : friends(CAPACITY_WAITS)),
      );
    const answers = await Promise.all(
      clients.map((client, i) => unary(client, { text: `${i}` }).then((reply) => reply.text, grpcCode)),
    );
    const after = metricsSnapshot();
    const peak = fdCount();
    for (const client of clients) client.close();
    const released = await backToBaseline(remote, fdBase, remoteBase);
    // Link ends opened in this process: both ends of each memory link, the client end of each unix one.
    const opened = {
      memory: after.memory.connectionsOpened - before.memory.connectionsOpened,
      unix: after.unix.connectionsOpened - before.unix.connectionsOpened,
    };
    report(`${TOTAL} concurrent connections, gRPC`, {
      succeeded: answers.filter((text, i) => text === `${i}`).length,
      opened,
      fdBase,
      fdPeak: peak,
      fdAfter: released.local,
      remoteBase,
      remoteAfter: released.remote,
    });
    expect(answers).toEqual(clients.map((_, i) => `${i}`));
    expect(opened).toEqual({ memory: 2 * PER_TIER.memory, unix: PER_TIER.unix });
    expect(released.local).toBeLessThanOrEqual(fdBase + FD_SLACK);
    expect(released.remote).toBeLessThanOrEqual(remoteBase + FD_SLACK);
  } finally {
    for (const client of clients) client.close();
    await remote.stop();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
  expect(await sockets.leftovers()).toEqual([]);
}, 90_000);
