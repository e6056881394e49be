import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { FriendsClient, HELLO_PATTERN, type FriendsClientOptions } from '@friends/nest';
import { BARRIER_PATTERN } from '../../../libs/nest/src/constants.js';
import { startParityServer, type ParityServer } from './src/app.js';
import { Recorder } from './src/recorder.js';
import { clientSerde } from './src/scenarios/serde.js';

/**
 * What docs/PARITY.md says about the differences kept on purpose, pinned down
 * on the friends side (the harness normalizes them away when it compares).
 */
Logger.overrideLogger(false);

const TIERS: [string, FriendsClientOptions][] = [
  ['memory', {}],
  ['unix', { friends: { memory: false } }],
  ['tcp', { friends: false }],
];

let socketDir: string;
beforeAll(async () => {
  socketDir = await mkdtemp(join(tmpdir(), 'friends-kept-'));
});
afterAll(() => rm(socketDir, { recursive: true, force: true }));

async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (err) {
    return (err as Error).message;
  }
}

describe.each(TIERS)('shutdownGracePeriod on %s', (tier, tierOptions) => {
  let rec: Recorder;
  let server: ParityServer;
  let client: FriendsClient;

  beforeEach(async () => {
    rec = new Recorder();
    server = await startParityServer('friends', 'grace', 0, rec, socketDir);
    client = new FriendsClient({ host: '127.0.0.1', port: server.port, ...tierOptions });
    expect(await client.tierDecision()).toBe(tier);
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  test('a request in flight at close() is answered; what arrives afterwards is not dispatched', async () => {
    const inFlight = outcome(lastValueFrom(client.send('rr.timer', { ms: 60, value: 'answered' })));
    while (rec.size === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    const closing = server.close();
    const late = outcome(lastValueFrom(client.send('rr.sum', [1])));
    client.emit('ev.record', 'late event');
    expect(await inFlight).toBe('answered');
    expect(await late).toBe('Connection closed');
    await closing;
    expect(rec.take().map((e) => e.at)).toEqual(['rr.timer start', 'rr.timer end']);
  });

  test('requests of a client that left do not hold close() back', async () => {
    void outcome(lastValueFrom(client.send('rr.hang', 1)));
    while (rec.size === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    client.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe.each(TIERS)('the hello and user serializers on %s', (tier, tierOptions) => {
  test('a custom pair sees the hello once per connection, as an ordinary request, and friends still works', async () => {
    const rec = new Recorder();
    const server = await startParityServer('friends', 'serde', 0, rec, socketDir);
    const seen = new Recorder();
    const note = (label: string, value?: unknown): void => seen.add(label, value);
    const client = new FriendsClient({
      host: '127.0.0.1',
      port: server.port,
      ...tierOptions,
      ...clientSerde({ note, aside: note }),
    });
    try {
      const started = Date.now();
      expect(await lastValueFrom(client.send('rr.sum', [1, 2]))).toBe(3);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await lastValueFrom(client.send('rr.sum', [3]))).toBe(3);
      expect(await client.tierDecision()).toBe(tier);
      expect(await lastValueFrom(client.send('rr.sum', [4]))).toBe(4);
      const reserved = (entries: { at: string; v?: unknown }[], at: string, pattern: string) =>
        entries.filter((e) => e.at === at && (e.v as { pattern?: unknown }).pattern === pattern).length;
      const clientSide = seen.take();
      const serverSide = rec.take();
      const expected = tier === 'tcp' ? 0 : 1;
      expect(reserved(clientSide, 'client serializer', HELLO_PATTERN)).toBe(expected);
      expect(reserved(serverSide, 'server deserializer', HELLO_PATTERN)).toBe(expected);
      // The calls made while the tier was being decided went on tcp: a barrier preceded the move.
      expect(reserved(clientSide, 'client serializer', BARRIER_PATTERN)).toBeLessThanOrEqual(expected);
    } finally {
      client.close();
      await server.close();
    }
  });
});
