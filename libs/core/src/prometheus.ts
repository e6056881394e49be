import type { Counter, Gauge, Registry } from 'prom-client';
import { friendsStats, type SeriesCounters } from './observe.js';
import { networkTransport } from './tier.js';

/** The parts of the `prom-client` module this adapter uses. */
export interface PromClientModule {
  Counter: typeof Counter;
  Gauge: typeof Gauge;
}

const SERIES_LABELS = ['transport', 'role', 'target', 'tier', 'network_transport'] as const;

function labelsOf(s: SeriesCounters): Record<(typeof SERIES_LABELS)[number], string> {
  return {
    transport: s.transport,
    role: s.role,
    target: s.target,
    tier: s.tier,
    network_transport: networkTransport(s.tier),
  };
}

/**
 * Registers the friends counters of this process in a prom-client registry,
 * read at scrape time. `prom-client` stays the application's choice: pass the
 * module you use, so the metrics land in your registry and nothing here
 * imports it.
 *
 *   import * as prom from 'prom-client';
 *   registerFriendsMetrics(prom, prom.register);
 *
 * Every series has `transport` (nest, grpc), `role` (client, server), `target`
 * (what a client dialled, or the address a server listens on) and `tier`
 * (memory, unix, tcp) labels.
 */
export function registerFriendsMetrics(prom: PromClientModule, registry: Registry, prefix = 'friends_'): void {
  const counter = (
    name: string,
    help: string,
    pick: (s: SeriesCounters) => number,
    extra?: { label: string; value: string },
  ): void => {
    const labelNames = extra ? [...SERIES_LABELS, extra.label] : [...SERIES_LABELS];
    new prom.Counter({
      name: `${prefix}${name}`,
      help,
      labelNames,
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        for (const s of friendsStats().series) {
          this.inc(extra ? { ...labelsOf(s), [extra.label]: extra.value } : labelsOf(s), pick(s));
        }
      },
    });
  };
  counter('connections_opened_total', 'Connections opened, by the tier they took.', (s) => s.connectionsOpened);
  counter('calls_total', 'Calls (Nest requests and events, gRPC calls) started, by tier.', (s) => s.calls);
  counter('link_errors_total', 'Connections that ended with an error, by tier.', (s) => s.errors);
  new prom.Gauge({
    name: `${prefix}connections_active`,
    help: 'Connections open now, by tier.',
    labelNames: [...SERIES_LABELS],
    registers: [registry],
    collect(this: Gauge) {
      this.reset();
      for (const s of friendsStats().series) this.set(labelsOf(s), s.connectionsActive);
    },
  });
  const directional = (
    name: string,
    help: string,
    inOf: (s: SeriesCounters) => number,
    outOf: (s: SeriesCounters) => number,
  ): void => {
    new prom.Counter({
      name: `${prefix}${name}`,
      help,
      labelNames: [...SERIES_LABELS, 'direction'],
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        for (const s of friendsStats().series) {
          this.inc({ ...labelsOf(s), direction: 'in' }, inOf(s));
          this.inc({ ...labelsOf(s), direction: 'out' }, outOf(s));
        }
      },
    });
  };
  directional(
    'messages_total',
    'Frames carried on friends links and Nest tcp connections.',
    (s) => s.messagesIn,
    (s) => s.messagesOut,
  );
  directional(
    'bytes_total',
    'Bytes carried on sockets friends reads and writes itself (none on the memory tier).',
    (s) => s.bytesIn,
    (s) => s.bytesOut,
  );
  new prom.Counter({
    name: `${prefix}fallbacks_total`,
    help: 'Connections that stayed on the standard wire, by reason.',
    labelNames: ['transport', 'role', 'target', 'reason'],
    registers: [registry],
    collect(this: Counter) {
      this.reset();
      for (const f of friendsStats().fallbacks) {
        this.inc({ transport: f.transport, role: f.role, target: f.target, reason: f.reason }, f.count);
      }
    },
  });
}
