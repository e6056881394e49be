import 'reflect-metadata';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { lastValueFrom } from 'rxjs';
import { firstDifference } from './diff.js';
import { HostPool, type ServerHost } from './hosts.js';
import { normalize } from './normalize.js';
import { ORACLE, placementsUnderTest, type Placement } from './placements.js';
import { createClient, observe, settle, until, type Trace } from './run.js';
import { captureLogger } from './src/logs.js';
import { NEST_MAJOR } from '../../support/nest-major.js';
import { Recorder } from './src/recorder.js';
import type { ParityClient } from './src/scenario.js';
import { PROPERTY_PATTERN } from './src/scenarios/properties.js';

/**
 * Generated payloads, patterns and packet metadata, each sent in every
 * placement: what the handler and the client observe must equal stock's.
 * Fixed seed and bounded runs; PARITY_RUNS and PARITY_SEED override them.
 */
Logger.overrideLogger(captureLogger);

const SEED = Number(process.env.PARITY_SEED ?? 20_251_125);
const RUNS = Number(process.env.PARITY_RUNS ?? 120);
const TIME_LIMIT_MS = 25_000;

interface Sample {
  kind: 'request' | 'object pattern' | 'event' | 'unknown pattern';
  payload: unknown;
  /** Key order of the object pattern. */
  keys: string[];
  unknown: string;
  metadata: Record<string, unknown> | undefined;
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const tricky = fc.constantFrom('"', '\\', '\n', '\u2028', '\u0000', '\u007f', '😀', 'é', '\ufeff');
const text = fc.string({
  unit: fc.oneof({ arbitrary: fc.fullUnicode(), weight: 4 }, loneSurrogate, tricky),
  maxLength: 12,
});
const key = fc.oneof(text, fc.constantFrom('a', 'toJSON', 'constructor', '', '0', '1e3'));
const number = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 53 + 1, 1e308, 5e-324, Number.MAX_SAFE_INTEGER),
);
const date = fc.oneof(fc.date(), fc.constant(new Date(NaN)));
const leaf = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.constant(undefined), date);
const { value } = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown>; toJSON: unknown }>(
  (tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, leaf, tie('array'), tie('object'), tie('toJSON')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    toJSON: tie('value').map((inner) => ({ toJSON: () => inner })),
  }),
);
const sample: fc.Arbitrary<Sample> = fc.record({
  kind: fc.constantFrom<Sample['kind']>('request', 'request', 'object pattern', 'event', 'unknown pattern'),
  payload: value,
  keys: fc.shuffledSubarray(Object.keys(PROPERTY_PATTERN), { minLength: 3, maxLength: 3 }),
  unknown: text,
  metadata:
    NEST_MAJOR >= 12
      ? fc.option(fc.dictionary(key, value, { maxKeys: 3 }), { nil: undefined })
      : fc.constant(undefined),
});

interface Peer {
  client: ParityClient;
  host: ServerHost;
}

const placements = [ORACLE, ...placementsUnderTest()];
const peers = new Map<string, Peer>();
const tiers: string[] = [];
let socketDir: string;
let hosts: HostPool;

beforeAll(async () => {
  socketDir = await mkdtemp(join(tmpdir(), 'friends-parity-'));
  hosts = new HostPool(socketDir);
  for (const placement of placements) {
    const host = await hosts.get(placement, 'default');
    const client = createClient(placement, host.port, {}, tiers);
    await client.connect();
    peers.set(placement.name, { client, host });
  }
});

afterAll(async () => {
  for (const { client } of peers.values()) client.close();
  await hosts?.dispose();
  const left = await readdir(socketDir);
  await rm(socketDir, { recursive: true, force: true });
  expect(left).toEqual([]);
});

/** Sends one sample in one placement and returns what both sides saw. */
async function observeSample(placement: Placement, s: Sample): Promise<Trace> {
  const { client, host } = peers.get(placement.name)!;
  await host.take();
  captureLogger.take();
  const rec = new Recorder();
  // Nest 11 has no dispatch hook: its clients send no metadata (the sample's is left undefined there).
  if (NEST_MAJOR >= 12) {
    client.setOnDispatchHook((packet) => {
      if (s.metadata !== undefined) packet.metadata = s.metadata;
    });
  }
  switch (s.kind) {
    case 'event': {
      const sent = await lastValueFrom(client.emit('prop.event', s.payload)).then(
        () => true,
        (err: unknown) => (rec.add('emit: error', err), false),
      );
      if (sent) await until(host, (entries) => entries.length > 0, 1_000);
      break;
    }
    case 'object pattern': {
      const pattern = Object.fromEntries(s.keys.map((k) => [k, PROPERTY_PATTERN[k as keyof typeof PROPERTY_PATTERN]]));
      await observe(rec, 'call', client.send(pattern, s.payload), { within: 2_000 });
      break;
    }
    case 'unknown pattern':
      await observe(rec, 'call', client.send(`prop.unknown.${s.unknown}`, s.payload), { within: 2_000 });
      break;
    case 'request':
      await observe(rec, 'call', client.send('prop.echo', s.payload), { within: 2_000 });
  }
  await settle();
  const { entries, logs } = await host.take();
  return { client: rec.take(), server: entries, logs: [...logs, ...captureLogger.take()] };
}

test('handlers and clients observe generated payloads, patterns and metadata as on stock', async () => {
  await fc.assert(
    fc.asyncProperty(sample, async (s) => {
      const oracle = await observeSample(ORACLE, s);
      for (const placement of placements.slice(1)) {
        const trace = await observeSample(placement, s);
        const diff = firstDifference(
          normalize(oracle, 'property', placement, 'oracle'),
          normalize(trace, 'property', placement, 'placement'),
          'stock',
          placement.name,
        );
        if (diff) throw new Error(diff);
      }
    }),
    {
      seed: SEED,
      numRuns: RUNS,
      interruptAfterTimeLimit: TIME_LIMIT_MS,
      markInterruptAsFailure: false,
      endOnFailure: true,
    },
  );
  // Every connection took its placement's tier: a silent fallback would have tested the wrong path.
  for (const placement of placements) {
    const tier = (peers.get(placement.name)!.client as { tier?: string }).tier;
    if (placement.tier) expect(`${placement.name}: ${tier}`).toBe(`${placement.name}: ${placement.tier}`);
  }
}, 60_000);
