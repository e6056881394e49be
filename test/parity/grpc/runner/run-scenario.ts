import type * as grpc from '@grpc/grpc-js';
import { describe, type Json } from '../core/describe.js';
import type { Trace } from '../core/trace.js';
import { normalizeTrace } from '../core/normalize.js';
import { pathCounts, pathCountsSince, type PathCounts } from '../core/path-counts.js';
import type { ParityClient, Scenario } from '../core/scenario.js';
import type { ServerHostApi, StartedGroup, TlsFiles } from '../core/server-host.js';
import { ClientRun } from './client-run.js';
import type { Placement } from './placements.js';
import { settledClientResources, snapshotResources } from './resources.js';
import { reachedServer, type TierRecord } from './tier-check.js';

const DEFAULT_TIMEOUT_MS = 2_000;

export interface PlacementEnv {
  placement: Placement;
  host: ServerHostApi;
  tls: TlsFiles | null;
  Client: new (target: string, credentials: grpc.ChannelCredentials, options?: object) => ParityClient;
}

export type RunResult =
  { trace: Trace; skipped?: undefined; tiers?: TierRecord } | { skipped: string; trace?: undefined; tiers?: undefined };

/**
 * Runs a scenario once in one placement: the client code (bounded in time),
 * then the close of every client it made and a look at what they left
 * running, then the server logs. Returns the normalized trace.
 */
export async function runScenario(
  scenario: Scenario,
  env: PlacementEnv,
  /** Entries to end the client trace with, read once the run is over (an isolated run's uncaught errors). */
  lastClientEntries: () => Json[] = () => [],
): Promise<RunResult> {
  if (scenario.needsTls && !env.tls) return { skipped: 'openssl not found: no TLS material' };
  const config = scenario.server ?? 'plain';
  let group: StartedGroup;
  try {
    group = scenario.freshServer ? await env.host.fresh(config) : await env.host.shared(config);
  } catch (error) {
    return { trace: { client: [['harness: the server did not start', describe(error)]], server: [] } };
  }
  const countsBefore = await counts(env.host);
  const before = snapshotResources();
  const run = new ClientRun(scenario, group, env.host, env.placement.clientOptions, env.Client, env.tls, before);
  const timeoutMs = scenario.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const outcome = await bounded(() => scenario.client(run), timeoutMs);
  if (outcome === 'timed out') {
    run.rec('harness', `timed out after ${timeoutMs} ms`);
    run.cancelAll();
  } else if (outcome !== 'done') {
    run.rec('client code threw', describe(outcome.error));
  }
  run.closeClients();
  run.rec('client connections left after close', await settledClientResources(before));
  run.entries.push(...lastClientEntries());

  const server: Json[] = [];
  const paths = [run.path, ...(scenario.paths ?? [])];
  const groups = [group, ...run.extraServers];
  for (const [index, started] of groups.entries()) {
    const logs = await env.host
      .collect(started.id, paths, scenario.serverSettleMs)
      .catch((error: Error) => [['harness: no server log', error.message]]);
    if (index === 0) server.push(...logs);
    else server.push([`server ${index + 1} (started by the scenario)`, logs]);
  }
  for (const started of groups) if (started !== group || scenario.freshServer) await env.host.stop(started.id);
  const countsAfter = await counts(env.host);
  const tiers: TierRecord | undefined = countsBefore &&
    countsAfter && {
      client: pathCountsSince(countsBefore.client, countsAfter.client, 'client'),
      server: pathCountsSince(countsBefore.server, countsAfter.server, 'server'),
      reachedServer: reachedServer(server),
    };

  const ports = [...new Set([...groups.flatMap((started) => started.ports), ...run.freePorts])];
  return {
    trace: normalizeTrace(
      { client: JSON.parse(JSON.stringify(run.entries)), server },
      { ports, deadlines: run.deadlines },
    ),
    tiers,
  };
}

/** The counters of this process (the clients') and of the servers' (the same one unless they run in a child). */
async function counts(host: ServerHostApi): Promise<{ client: PathCounts; server: PathCounts } | undefined> {
  const server = await host.counters().catch(() => undefined);
  return server && { client: pathCounts(), server };
}

async function bounded(action: () => Promise<void>, ms: number): Promise<'done' | 'timed out' | { error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(action)
        .then(
          () => 'done' as const,
          (error: unknown) => ({ error }),
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
