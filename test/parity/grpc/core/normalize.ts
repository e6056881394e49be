import type { Json } from './describe.js';

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
 */
export interface NormalizeContext {
  /** Ports of the servers the run used, in the order scenarios name them. */
  ports: readonly number[];
}

const PEER = /^(?:(?:\d{1,3}\.){3}\d{1,3}:\d+|\[[0-9a-fA-F:.]+\]:\d+|memory:.*|unix:.+)$/s;
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export function normalize(value: Json, context: NormalizeContext): Json {
  const portPattern =
    context.ports.length > 0 ? new RegExp(`:(${context.ports.map(String).join('|')})(?!\\d)`, 'g') : null;
  const portName = (port: string): string => {
    const index = context.ports.indexOf(Number(port));
    return index === 0 ? ':<port>' : `:<port${index + 1}>`;
  };
  const walk = (node: Json): Json => {
    if (typeof node === 'string')
      return portPattern ? node.replace(portPattern, (_m, port: string) => portName(port)) : node;
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    if (node.$ === 'peer')
      return typeof node.v === 'string' && PEER.test(node.v) ? '<peer>' : { $: 'peer', v: node.v! };
    if (node.$ === 'remaining' && typeof node.v === 'number') return remainingBucket(node.v);
    if (node.$ === 'metadata' && Array.isArray(node.v)) return { $: 'metadata', v: node.v.map(dateHeader).map(walk) };
    const out: { [key: string]: Json } = {};
    for (const [key, child] of Object.entries(node)) out[key] = walk(child);
    return out;
  };
  return walk(value);
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
