import type { Json } from './describe.js';
import type { Trace } from './trace.js';

/**
 * THE place where values that must differ between placements are made equal.
 * Nothing else in the harness rewrites a trace. Each rule is listed in
 * docs/PARITY.md (## gRPC) with its reason.
 *
 * 1. Peers (`getPeer()` on either side, interceptors' peer): any well-formed
 *    peer string becomes `<peer>`; the address family and tier (127.0.0.1:port,
 *    [::1]:port, memory:…, unix:…) are what friends changes by design, and
 *    ephemeral ports differ between runs. Anything else ('unknown', '') stays.
 * 2. Server ports: every port of a server started for the run becomes `<port>`
 *    (`<port2>`… for the next ones) wherever it appears after a colon
 *    (getHost(), `:authority`, service_url, a target echoed back).
 * 3. Time left until a deadline (`getDeadline()` minus now) becomes a bucket:
 *    the exact milliseconds depend on when the call arrived.
 * 4. The `date` header's value becomes `<date>`: it is the HTTP date of the
 *    response.
 * 5. DEADLINE_EXCEEDED details become "Deadline exceeded" (plus
 *    ",wait_for_ready" if the call had it). The client's timer says "Deadline
 *    exceeded after 0.101s,name resolution: 0.002s,LB pick: 0.000s,
 *    remote_addr=…": which phase the call was in and for how long, all
 *    depending on the millisecond it fired; the server's timer, which races
 *    it on every call that reached a server, says just "Deadline exceeded".
 * 6. ISO timestamps in text (grpc-js puts the time of the last connection
 *    failure into UNAVAILABLE details) become `<time>`.
 * 7. Server logs of a config with several backends are grouped by backend,
 *    keeping each backend's own order: calls on two servers have no order
 *    between them (which of two ready backends round_robin starts with is
 *    not stock's to fix).
 */
export interface NormalizeContext {
  /** Ports of the servers the run used, in the order scenarios name them. */
  ports: readonly number[];
}

const PEER = /^(?:(?:\d{1,3}\.){3}\d{1,3}:\d+|\[[0-9a-fA-F:.]+\]:\d+|memory:.*|unix:.+)$/s;
const DEADLINE_DETAILS = /Deadline exceeded(?: after [\s\S]*)?$/;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export function normalizeTrace(trace: Trace, context: NormalizeContext): Trace {
  return {
    client: normalize(trace.client, context) as Json[],
    server: normalize(byBackend(trace.server), context) as Json[],
  };
}

function byBackend(logs: Json[]): Json[] {
  const backendOf = (entry: Json): number => {
    const body = Array.isArray(entry) ? entry[1] : undefined;
    return body && typeof body === 'object' && !Array.isArray(body) && typeof body.backend === 'number'
      ? body.backend
      : 0;
  };
  return logs
    .map((entry, index) => ({ entry, index, backend: backendOf(entry) }))
    .sort((a, b) => a.backend - b.backend || a.index - b.index)
    .map(({ entry }) => entry);
}

export function normalize(value: Json, context: NormalizeContext): Json {
  const portPattern =
    context.ports.length > 0 ? new RegExp(`:(${context.ports.map(String).join('|')})(?!\\d)`, 'g') : null;
  const portName = (port: string): string => {
    const index = context.ports.indexOf(Number(port));
    return index === 0 ? ':<port>' : `:<port${index + 1}>`;
  };
  const walk = (node: Json): Json => {
    if (typeof node === 'string') {
      const text = node.replace(DEADLINE_DETAILS, deadlineDetails).replace(ISO_TIME, '<time>');
      return portPattern ? text.replace(portPattern, (_m, port: string) => portName(port)) : text;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    if (node.$ === 'peer') {
      const normalized = peer(node.v!);
      return typeof normalized === 'string' ? normalized : { $: 'peer', v: walk(node.v!) };
    }
    if (node.$ === 'remaining' && typeof node.v === 'number') return remainingBucket(node.v);
    if (node.$ === 'metadata' && Array.isArray(node.v)) return { $: 'metadata', v: node.v.map(dateHeader).map(walk) };
    const out: { [key: string]: Json } = {};
    for (const [key, child] of Object.entries(node)) out[key] = walk(child);
    return out;
  };
  return walk(value);
}

function peer(value: Json): Json {
  return typeof value === 'string' && PEER.test(value) ? '<peer>' : { $: 'peer', v: value };
}

function deadlineDetails(details: string): string {
  const parts = details.split(',');
  return ['Deadline exceeded', ...parts.filter((part) => part === 'wait_for_ready')].join(',');
}

function dateHeader(entry: Json): Json {
  if (!Array.isArray(entry) || entry[0] !== 'date' || !Array.isArray(entry[1])) return entry;
  return ['date', entry[1].map((v) => (typeof v === 'string' && HTTP_DATE.test(v) ? '<date>' : v))];
}

/** Coarse enough that scheduling noise never crosses a boundary for the deadlines scenarios use. */
export function remainingBucket(ms: number): string {
  if (ms <= 0) return 'passed';
  const bounds: [number, string][] = [
    [200, '<200ms'],
    [2_000, '<2s'],
    [20_000, '<20s'],
    [600_000, '<10min'],
    [86_400_000, '<1d'],
    [31_536_000_000, '<1y'],
  ];
  for (const [bound, label] of bounds) if (ms < bound) return label;
  return '>=1y';
}
