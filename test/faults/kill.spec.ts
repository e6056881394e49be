import { basename } from 'node:path';
import { Logger } from '@nestjs/common';
import { metricsSnapshot } from '@friends/core';
import { FriendsClient } from '@friends/nest';
import { freePort } from '../support/ports.js';
import { wayOf } from '../support/tier.js';
import { echoClient, grpcCode, nestSend, nestTier, unary, type EchoClient } from './support/clients.js';
import { grpcHost, nestHost, type FaultHost } from './support/host.js';
import { testSocketDir, type TestSocketDir } from './support/socket-dir.js';
import { report } from './support/report.js';
import { messageOf, sleep, Tally, waitFor } from './support/tally.js';

Logger.overrideLogger(false);

/**
 * The server process is SIGKILLed while clients have calls in flight: every
 * call settles (answered before the kill, or failed), none hangs, and the
 * counts add up. A killed server cannot remove its socket file: it is the only
 * thing left in the socket directory (the next server removes it, see restart.spec.ts).
 */
const CLIENTS = 4;
/** Calls the server never answers: they can only end by the connection's loss. */
const NEVER_ANSWERED = 50;
const OUTSTANDING = 200;
const ANSWERED_BEFORE_KILL = 2_000;
const SENDING_AFTER_KILL_MS = 300;
const SETTLE_MS = 10_000;

interface Load {
  /** Sends call number `n`, one the server answers. */
  answered(n: number): Promise<unknown>;
  neverAnswered(n: number): Promise<unknown>;
  describeError(err: unknown): string;
  /** What a call in flight at the kill, or sent after it, may fail with. */
  expectedErrors: string[];
}

async function killUnderLoad(host: FaultHost, load: Load): Promise<{ tally: Tally; hung: number }> {
  const tally = new Tally();
  const track = (call: Promise<unknown>): void => void tally.track(call, load.describeError);
  for (let n = 0; n < NEVER_ANSWERED; n++) track(load.neverAnswered(n));
  let killedAt = 0;
  let n = 0;
  const loading = (async () => {
    while (!killedAt || Date.now() - killedAt < SENDING_AFTER_KILL_MS) {
      // Before the kill, keep the server busy; after it, keep sending at a modest pace.
      const target = killedAt ? tally.outstanding + 1 : NEVER_ANSWERED + OUTSTANDING;
      while (tally.outstanding < target) track(load.answered(n++));
      await sleep(1);
    }
  })();
  const loaded = await waitFor(() => tally.succeeded >= ANSWERED_BEFORE_KILL, 15_000);
  await host.kill();
  killedAt = Date.now();
  await loading;
  const hung = await tally.settled(SETTLE_MS);
  expect(loaded).toBe(true);
  return { tally, hung };
}

function expectAllSettled(
  name: string,
  { tally, hung }: { tally: Tally; hung: number },
  expectedErrors: string[],
): void {
  const summary = tally.summary();
  report(name, { ...summary, lost: hung });
  expect(hung).toBe(0);
  expect(summary.sent).toBe(summary.succeeded + summary.failed);
  expect(summary.succeeded).toBeGreaterThanOrEqual(ANSWERED_BEFORE_KILL);
  expect(summary.failed).toBeGreaterThanOrEqual(NEVER_ANSWERED);
  expect(Object.keys(summary.errors).filter((e) => !expectedErrors.includes(e))).toEqual([]);
}

describe.each(['unix', 'tcp'] as const)('SIGKILL under load, %s', (tier) => {
  let sockets: TestSocketDir;
  beforeEach(async () => {
    sockets = await testSocketDir();
  });
  afterEach(() => sockets.remove());

  test('Nest: every call settles, none hangs, sent = succeeded + failed', async () => {
    const port = await freePort();
    const host = await nestHost(port, { socketDir: sockets.dir });
    const active = metricsSnapshot()[tier].connectionsActive;
    const clients = Array.from(
      { length: CLIENTS },
      () => new FriendsClient({ host: '127.0.0.1', port, ...(tier === 'tcp' ? { friends: false } : {}) }),
    );
    try {
      for (const client of clients) expect(await nestTier(client)).toBe(tier);
      // A reconnect that meets the dying server may also be reset.
      const expectedErrors = ['Connection closed', 'ECONNREFUSED', 'ECONNRESET'];
      const result = await killUnderLoad(host, {
        answered: (n) => nestSend(clients[n % CLIENTS]!, 'slow', n % 5),
        neverAnswered: (n) => nestSend(clients[n % CLIENTS]!, 'hang'),
        describeError: messageOf,
        expectedErrors,
      });
      expectAllSettled(`kill Nest ${tier}`, result, expectedErrors);
      // The clients let go of their dead connections.
      expect(metricsSnapshot()[tier].connectionsActive).toBe(active);
      expect(clients.map((client) => client.tier)).toEqual(clients.map(() => undefined));
    } finally {
      for (const client of clients) client.close();
      await host.kill();
    }
    expect(await sockets.leftovers()).toEqual([basename(host.unixPath!)]);
  }, 60_000);

  test('gRPC: every call settles, none hangs, sent = succeeded + failed', async () => {
    const host = await grpcHost(0, sockets.dir);
    const clients: EchoClient[] = Array.from({ length: CLIENTS }, () => echoClient(host.port, tier));
    try {
      for (const client of clients) {
        const { way } = await wayOf(() => unary(client, { text: 'warm' }));
        expect(way).toBe(tier === 'tcp' ? 'http2' : tier);
      }
      const { unixPaths } = await host.stats(false);
      const expectedErrors = ['UNAVAILABLE'];
      const result = await killUnderLoad(host, {
        answered: (n) => unary(clients[n % CLIENTS]!, { text: 'x', delay_ms: n % 5 }),
        neverAnswered: (n) => unary(clients[n % CLIENTS]!, { text: 'hang', delay_ms: 600_000 }),
        describeError: grpcCode,
        expectedErrors,
      });
      expectAllSettled(`kill gRPC ${tier}`, result, expectedErrors);
      // The server opens its socket when the first hello asks for it: not at all for tcp clients.
      expect(await sockets.leftovers()).toEqual(unixPaths.grpc ? [basename(unixPaths.grpc)] : []);
      if (tier === 'unix') expect(unixPaths.grpc).not.toBeNull();
    } finally {
      for (const client of clients) client.close();
      await host.kill();
    }
  }, 60_000);
});
