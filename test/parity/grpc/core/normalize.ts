import type { DeadlineSet } from './client-calls.js';
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
 * 3. A handler's deadline (`getDeadline()`, an interceptor's too) is compared
 *    with the deadlines the client's calls were started with, as grpc-js
 *    carries one: grpc-timeout is the time left at the client's pick, rounded
 *    up in the smallest unit (ms, s, min, h) that keeps it under 10^8, which
 *    the server adds to its own clock truncated to 32 bits. No earlier than
 *    one of them and later by at most the time from the call's start to the
 *    handler's look (20 ms at least) plus that unit, or, for a deadline that
 *    had passed at the start, between the start and the look, it becomes
 *    "the client's";
 *    otherwise (a service config's timeout, or none the client set) the time
 *    left becomes a bucket. Whether it had passed when the handler looked is
 *    kept.
 * 4. The `date` header's value becomes `<date>`: it is the HTTP date of the
 *    response.
 * 5. The client's deadline text "Deadline exceeded after 0.101s,name
 *    resolution: 0.002s,LB pick: 0.000s,remote_addr=…" keeps how long the
 *    client waited: "the client's deadline" when that is the time a call's
 *    deadline gave it (within WAIT_TOLERANCE_MS), else rounded to 50 ms; and
 *    ",wait_for_ready" if the call had it. Which phase the call was in, and
 *    for how long, depends on the millisecond the timer fired: dropped. In a
 *    deadline race (CallSetup.deadlineRace: the server's timer, which says
 *    just "Deadline exceeded", races the client's), the tagged text becomes
 *    "Deadline exceeded" whichever timer won.
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
  /** Deadlines the client's calls were started with. */
  deadlines: readonly DeadlineSet[];
}

/** How much later than the client's pick a call may reach a handler (ms): a loaded machine's few ms. */
const TRANSIT_MS = 20;
/**
 * How far the client's wait may be from the time a call's deadline gave it
 * (ms): its timer fires late on a loaded machine, and starts when grpc-js
 * makes the call (a propagated deadline's child call, a few ms later).
 */
const WAIT_TOLERANCE_MS = 40;

const PEER = /^(?:(?:\d{1,3}\.){3}\d{1,3}:\d+|\[[0-9a-fA-F:.]+\]:\d+|memory:.*|unix:.+)$/s;
/** The client timer's text, in details or in an error message ("4 DEADLINE_EXCEEDED: …"). */
const CLIENT_DEADLINE_TEXT = /^((?:4 DEADLINE_EXCEEDED: )?)Deadline exceeded after (\d+(?:\.\d+)?)s((?:,[^,]*)*)$/;
/** Either timer's text. */
const ANY_DEADLINE_TEXT = /^((?:4 DEADLINE_EXCEEDED: )?)Deadline exceeded(?: after \d+(?:\.\d+)?s(?:,[^,]*)*)?$/;
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
      const text = node
        .replace(CLIENT_DEADLINE_TEXT, (_m, prefix: string, seconds: string, phases: string) =>
          clientDeadlineText(prefix, Number(seconds) * 1000, phases, context.deadlines),
        )
        .replace(ISO_TIME, '<time>');
      return portPattern ? text.replace(portPattern, (_m, port: string) => portName(port)) : text;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    if (node.$ === 'peer') {
      const normalized = peer(node.v!);
      return typeof normalized === 'string' ? normalized : { $: 'peer', v: walk(node.v!) };
    }
    if (node.$ === 'deadline' && typeof node.v === 'number' && typeof node.seen === 'number')
      return handlerDeadline(node.v, node.seen, context.deadlines);
    if (node.$ === 'deadline race' && typeof node.v === 'string')
      return walk(node.v.replace(ANY_DEADLINE_TEXT, '$1Deadline exceeded'));
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

function clientDeadlineText(prefix: string, waitedMs: number, phases: string, set: readonly DeadlineSet[]): string {
  const given = set.some(({ at, startedAt }) => {
    const wait = Math.max(at - startedAt, 0);
    return Math.abs(waitedMs - wait) <= WAIT_TOLERANCE_MS;
  });
  const waited = given ? "the client's deadline" : `~${Math.round(waitedMs / 50) * 50}ms`;
  const waitForReady = phases.split(',').includes('wait_for_ready') ? ',wait_for_ready' : '';
  return `${prefix}Deadline exceeded after ${waited}${waitForReady}`;
}

/** grpc-js's units for grpc-timeout, smallest first (deadline.ts). */
const TIMEOUT_UNITS_MS = [1, 1_000, 60_000, 3_600_000];

/**
 * The deadline a server sets when, at `now`, a call arrives whose client set
 * `at`: the time left, rounded up in the smallest unit that keeps it under
 * 10^8 (grpc-js's client), multiplied back and truncated to 32 bits (its
 * server). Undefined when grpc-js cannot carry it. Returns the unit too.
 */
function carriedDeadline(at: number, now: number): { deadline: number; unit: number } | undefined {
  const left = Math.max(at - now, 0);
  const unit = TIMEOUT_UNITS_MS.find((factor) => left / factor < 1e8);
  if (unit === undefined) return undefined;
  return { deadline: now + ((Math.ceil(left / unit) * unit) | 0), unit };
}

function handlerDeadline(deadline: number, seen: number, set: readonly DeadlineSet[]): Json {
  const passed = deadline <= seen;
  const clients = set.some(({ at, startedAt }) => {
    // Passed when the call started: grpc-js sends no time left, so the server's deadline is
    // when the call reached it, which is between the start and the handler's look, however loaded.
    if (at <= startedAt && passed && deadline >= startedAt) return true;
    const carried = carriedDeadline(at, seen);
    if (carried === undefined) return false;
    // The server adds the time left at the pick to its clock when the call arrives: no earlier
    // than the client's deadline, and later by at most the time from start to handler (and a unit).
    const late = deadline - at;
    if (late >= -1 && late <= Math.max(seen - startedAt, TRANSIT_MS) + carried.unit) return true;
    return Math.abs(deadline - carried.deadline) <= TRANSIT_MS + carried.unit;
  });
  if (clients) return { set: "the client's", passed };
  return {
    set: set.length > 0 ? "not the client's" : 'none by the client',
    remaining: remainingBucket(deadline - seen),
  };
}

function dateHeader(entry: Json): Json {
  if (!Array.isArray(entry) || entry[0] !== 'date' || !Array.isArray(entry[1])) return entry;
  return ['date', entry[1].map((v) => (typeof v === 'string' && HTTP_DATE.test(v) ? '<date>' : v))];
}

/** Coarse enough that scheduling noise never crosses a boundary for the deadlines scenarios use. */
function remainingBucket(ms: number): string {
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
