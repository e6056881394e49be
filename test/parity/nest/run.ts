import { fileURLToPath } from 'node:url';
import { ClientTCP } from '@nestjs/microservices';
import { FriendsClient } from '@friends/nest';
import { spawnReady } from '../../support/child-process.js';
import type { HostPool, ServerHost } from './hosts.js';
import type { Placement } from './placements.js';
import { callerStore } from './src/context.js';
import { captureLogger, type LogLine } from './src/logs.js';
import { Recorder, type Entry } from './src/recorder.js';
import type { ClientSettings, ObserveOptions, ParityClient, Scenario, ScenarioContext } from './src/scenario.js';

const PROBE_ENTRY = fileURLToPath(new URL('./dist/exit-probe.js', import.meta.url));
const RUN_TIMEOUT_MS = 15_000;
const UNTIL_TIMEOUT_MS = 2_000;
const EXIT_WAIT_MS = 3_000;

/** Everything one run observed, before normalisation. */
export interface Trace {
  client: Entry[];
  server: Entry[];
  logs: LogLine[];
}

export interface RunResult {
  trace: Trace;
  /** The tier of every FriendsClient connection made during the run. */
  tiers: string[];
}

/** Runs one scenario in one placement with fresh clients and returns what both sides saw. */
export async function runScenario(scenario: Scenario, placement: Placement, hosts: HostPool): Promise<RunResult> {
  const host = await hosts.get(placement, scenario.server ?? 'default');
  await host.take();
  captureLogger.take();
  const baseline = process.getActiveResourcesInfo();
  const clientSide = new Recorder();
  const aside = new Recorder();
  const tiers: string[] = [];
  const clients: ParityClient[] = [];
  const note: ScenarioContext['note'] = (label, ...value) => clientSide.add(label, ...(value as [unknown]));
  const asideNote: ScenarioContext['note'] = (label, ...value) => aside.add(label, ...(value as [unknown]));
  const settings =
    typeof scenario.client === 'function' ? scenario.client({ note, aside: asideNote }) : (scenario.client ?? {});
  const newClient = (extra: ClientSettings = {}): ParityClient => {
    const client = createClient(placement, host.port, { ...settings, ...extra }, tiers);
    clients.push(client);
    return client;
  };
  const client = newClient();
  if (!scenario.fresh) await ready(client);
  const t: ScenarioContext = {
    client,
    newClient,
    server: {
      get port() {
        return host.port;
      },
      close: () => host.close(),
      restart: () => host.start(),
      until: (done, timeoutMs) => until(host, done, timeoutMs),
    },
    note,
    observe: (label, source, options) => observe(clientSide, label, source, options),
    call: (label, pattern, data, options) => observe(clientSide, label, client.send(pattern, data), options),
    serverSaw: (count) => until(host, (entries) => entries.length >= count),
    sleep,
    processExitsAfterClose: () => probeExit(placement, host.port, tiers),
    leftoverResources: () => leftover(baseline),
  };
  try {
    await withTimeout(scenario.run(t), RUN_TIMEOUT_MS, `${scenario.id} on ${placement.name}`);
  } finally {
    for (const c of clients) c.close();
  }
  await settle();
  if (!host.running) await host.start();
  const { entries, logs } = await host.take();
  const seen = [...clientSide.take(), ...aside.take()];
  return { trace: { client: seen, server: entries, logs: [...logs, ...captureLogger.take()] }, tiers };
}

/** Connected, and for a FriendsClient on the tier it takes: what a scenario's client is unless it is `fresh`. */
export async function ready(client: ParityClient): Promise<void> {
  await client.connect();
  await client.tierDecision?.();
}

export function createClient(
  placement: Placement,
  port: number,
  settings: ClientSettings,
  tiers: string[],
): ParityClient {
  const options = { host: '127.0.0.1', port, ...settings };
  if (placement.client === 'stock') return new ClientTCP(options) as unknown as ParityClient;
  const client = new FriendsClient({ ...options, ...(placement.client === 'friends-off' ? { friends: false } : {}) });
  client.on('tier', (tier) => tiers.push(tier));
  return client as unknown as ParityClient;
}

export function observe(
  rec: Recorder,
  label: string,
  source: import('rxjs').Observable<unknown>,
  options: ObserveOptions = {},
): Promise<void> {
  const seen = (value?: unknown): unknown => (options.store ? { value, store: callerStore.getStore() ?? null } : value);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const subscription = source.subscribe({
      next: (value) => rec.add(`${label}: next`, seen(value)),
      error: (err) => {
        rec.add(`${label}: error`, seen(err));
        done();
      },
      complete: () => {
        if (options.store) rec.add(`${label}: complete`, seen());
        else rec.add(`${label}: complete`);
        done();
      },
    });
    if (options.within !== undefined && !subscription.closed) {
      timer = setTimeout(() => {
        subscription.unsubscribe();
        rec.add(`${label}: still pending after ${options.within} ms`);
        resolve();
      }, options.within);
    }
  });
}

export async function until(
  host: ServerHost,
  done: (entries: readonly Entry[]) => boolean,
  timeoutMs = UNTIL_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(await host.peek()) && Date.now() < deadline) await sleep(2);
}

/** Lets what the last step set in motion arrive: a few loop turns and a moment for sockets. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  await sleep(5);
}

async function leftover(baseline: string[]): Promise<string[]> {
  const deadline = Date.now() + 1_000;
  let extra: string[];
  do {
    await sleep(5);
    const now = process.getActiveResourcesInfo();
    extra = [...now];
    for (const resource of baseline) {
      const i = extra.indexOf(resource);
      if (i >= 0) extra.splice(i, 1);
    }
  } while (extra.length > 0 && Date.now() < deadline);
  return extra.sort();
}

/** The probe's client talks to this placement's server, or hosts its own for the memory tier. */
async function probeExit(placement: Placement, port: number, tiers: string[]): Promise<boolean> {
  const args = placement.tier === 'memory' ? [placement.client, '0', 'friends'] : [placement.client, String(port)];
  const { child, ready } = await spawnReady<{ answer: number; tier: string }>('exit probe', PROBE_ENTRY, args);
  if (ready.tier !== 'stock') tiers.push(ready.tier);
  const exited = await new Promise<boolean>((resolve) => {
    if (child.exitCode !== null) return resolve(true);
    const timer = setTimeout(() => resolve(false), EXIT_WAIT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (!exited) child.kill('SIGKILL');
  return exited && ready.answer === 42;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      // Unref'd: it must not show among the resources a scenario left behind.
      timer = setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms).unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
