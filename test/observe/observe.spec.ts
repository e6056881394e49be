import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as grpc from '@grpc/grpc-js';
import * as prom from 'prom-client';
import { lastValueFrom } from 'rxjs';
import { friendsStats, type SeriesCounters, type TierMessage } from '@friends/core';
import { registerFriendsMetrics } from '@friends/core/prometheus';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { startChildInteropServer, startInteropServer } from '../support/grpc-interop/servers.js';
import { createInteropClients } from '../support/grpc-interop/targets.js';
import { openTarget, type Target, type TargetName } from '../support/targets.js';

/** Every tier message published while `work` runs. */
async function tierMessages<T>(work: () => Promise<T>): Promise<{ result: T; messages: TierMessage[] }> {
  const messages: TierMessage[] = [];
  const listener = (message: unknown): void => void messages.push(message as TierMessage);
  subscribe('friends:connection:tier', listener);
  try {
    return { result: await work(), messages };
  } finally {
    unsubscribe('friends:connection:tier', listener);
  }
}

function series(match: Partial<SeriesCounters>): SeriesCounters | undefined {
  return friendsStats().series.find((s) =>
    Object.entries(match).every(([key, value]) => s[key as keyof SeriesCounters] === value),
  );
}

function fallbacks(transport: string, target: string, reason: string): number {
  return friendsStats()
    .fallbacks.filter((f) => f.transport === transport && f.target === target && f.reason === reason)
    .reduce((sum, f) => sum + f.count, 0);
}

const CALLS = 3;

const fallbackMessages: TierMessage[] = [];
const onFallback = (message: unknown): void => void fallbackMessages.push(message as TierMessage);
beforeAll(() => subscribe('friends:connection:fallback', onFallback));
afterAll(() => unsubscribe('friends:connection:fallback', onFallback));

describe('Nest: tier events, labelled counters and fallback reasons on every placement', () => {
  const cases: { name: TargetName; tier: 'memory' | 'unix' | 'tcp'; reason?: string }[] = [
    { name: 'memory', tier: 'memory' },
    { name: 'unix', tier: 'unix' },
    { name: 'tcp', tier: 'tcp', reason: 'switched-off' },
    { name: 'friends client -> stock server', tier: 'tcp', reason: 'stock-peer' },
  ];

  test.each(cases)('$name', async ({ name, tier, reason }) => {
    fallbackMessages.length = 0;
    let target: Target | undefined;
    try {
      const { messages } = await tierMessages(async () => {
        // Connected, and the tier decided: the calls below take it.
        target = await openTarget(name);
        for (let i = 0; i < CALLS; i++) await lastValueFrom(target.client.send('sum.sync', [1, 2]));
        target.client.emit('record', { who: 'observe' });
      });
      const mine = messages.filter((m) => m.transport === 'nest' && m.role === 'client');
      expect(mine).toHaveLength(1);
      const [message] = mine;
      expect(message!.tier).toBe(tier);
      expect(message!.reason).toBe(reason);
      const counters = series({ transport: 'nest', role: 'client', target: message!.target, tier })!;
      expect(counters).toBeDefined();
      expect(counters.calls).toBe(CALLS + 1);
      expect(counters.messagesOut).toBeGreaterThanOrEqual(CALLS + 1);
      expect(counters.messagesIn).toBeGreaterThanOrEqual(CALLS);
      expect(counters.connectionsActive).toBe(1);
      if (tier !== 'memory') expect(counters.bytesOut).toBeGreaterThan(0);
      if (reason) expect(fallbacks('nest', message!.target, reason)).toBe(1);
      expect(fallbackMessages.filter((m) => m.transport === 'nest' && m.role === 'client')).toEqual(
        reason ? [message] : [],
      );
      if (tier === 'memory') {
        const server = series({ transport: 'nest', role: 'server', target: message!.target, tier: 'memory' })!;
        expect(server.calls).toBe(CALLS + 1);
      }
      await target!.client.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(series({ transport: 'nest', role: 'client', target: message!.target, tier })!.connectionsActive).toBe(0);
    } finally {
      await target?.stop();
    }
  });
});

type Empty = (request: object, callback: (err: grpc.ServiceError | null) => void) => void;

describe('gRPC: tier events, labelled counters and fallback reasons on every placement', () => {
  const cases = [
    { name: 'memory', tier: 'memory', start: () => startInteropServer(FriendsGrpcServer), options: friends() },
    { name: 'unix', tier: 'unix', start: () => startChildInteropServer('friends'), options: friends() },
    {
      name: 'friends client -> stock server',
      tier: 'tcp',
      reason: 'stock-peer',
      start: () => startChildInteropServer('stock'),
      options: friends(),
    },
    {
      name: 'friends client with unix off -> server in another process',
      tier: 'tcp',
      reason: 'refused',
      start: () => startChildInteropServer('friends'),
      options: friends({ friends: { unix: false } }),
    },
  ] as const;

  test.each(cases)('$name', async ({ tier, start, options, ...rest }) => {
    const reason = 'reason' in rest ? rest.reason : undefined;
    const server = await start();
    const { client, unimplementedClient } = createInteropClients(server.port, options);
    unimplementedClient.close();
    const target = `127.0.0.1:${server.port}`;
    try {
      const { messages } = await tierMessages(async () => {
        for (let i = 0; i < CALLS; i++) {
          await new Promise<void>((resolve, reject) =>
            (client.EmptyCall as unknown as Empty)({}, (err) => (err ? reject(err) : resolve())),
          );
        }
      });
      const mine = messages.filter((m) => m.transport === 'grpc' && m.role === 'client');
      expect(mine.map((m) => [m.tier, m.target, m.reason])).toEqual([[tier, target, reason]]);
      const counters = series({ transport: 'grpc', role: 'client', target, tier })!;
      expect(counters.calls).toBe(CALLS);
      if (tier !== 'tcp') expect(counters.messagesOut).toBeGreaterThanOrEqual(CALLS);
      if (reason) expect(fallbacks('grpc', target, reason)).toBe(1);
      if (tier === 'memory') {
        const served = series({ transport: 'grpc', role: 'server', target, tier: 'memory' })!;
        expect(served.calls).toBe(CALLS);
      }
    } finally {
      client.close();
      await server.stop();
    }
  });
});

describe('prometheus: the labelled counters in a prom-client registry', () => {
  test('a scrape shows each series with its labels, and moves with calls', async () => {
    const registry = new prom.Registry();
    registerFriendsMetrics(prom, registry);
    let target: Target | undefined;
    try {
      const { messages } = await tierMessages(async () => {
        target = await openTarget('memory');
        await lastValueFrom(target.client.send('sum.sync', [1]));
      });
      const where = messages.find((m) => m.role === 'client')!.target;
      const before = await registry.getSingleMetricAsString('friends_calls_total');
      const line = before
        .split('\n')
        .find((l) => l.includes(`target="${where}"`) && l.includes('role="client"') && l.includes('tier="memory"'));
      expect(line).toMatch(/network_transport="inproc"/);
      const count = (text: string, labels: string): number =>
        Number(
          text
            .split('\n')
            .find((l) => l.startsWith('friends_calls_total{') && l.includes(labels))
            ?.split(' ')
            .pop(),
        );
      const labels = line!.slice(line!.indexOf('{'), line!.indexOf('}') + 1);
      await lastValueFrom(target!.client.send('sum.sync', [1]));
      const after = await registry.getSingleMetricAsString('friends_calls_total');
      expect(count(after, labels)).toBe(count(before, labels) + 1);
      const text = await registry.metrics();
      for (const name of [
        'friends_connections_opened_total',
        'friends_connections_active',
        'friends_calls_total',
        'friends_messages_total',
        'friends_bytes_total',
        'friends_link_errors_total',
        'friends_fallbacks_total',
      ]) {
        expect(text).toContain(`# TYPE ${name}`);
      }
    } finally {
      await target?.stop();
    }
  });
});

describe('friends:link:error', () => {
  test.each(['memory', 'unix'] as const)('a link that ends with an error is reported (%s)', async (name) => {
    const errors: { transport: string; role: string; tier: string; error: Error }[] = [];
    const listener = (message: unknown): void => void errors.push(message as (typeof errors)[number]);
    subscribe('friends:link:error', listener);
    // An answer longer than the client accepts ends its connection with FRIENDS_ERR_FRAME_TOO_LARGE.
    const target = await openTarget(name, { maxBufferSize: 1_000 });
    try {
      await lastValueFrom(target.client.send('sum.sync', [1, 2]));
      await expect(lastValueFrom(target.client.send('echo', 'x'.repeat(2_000)))).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const mine = errors.filter((e) => e.role === 'client');
      expect(mine.map((e) => [e.transport, e.tier, (e.error as { code?: string }).code])).toEqual([
        ['nest', name, 'FRIENDS_ERR_FRAME_TOO_LARGE'],
      ]);
    } finally {
      unsubscribe('friends:link:error', listener);
      await target.stop();
    }
  });
});
