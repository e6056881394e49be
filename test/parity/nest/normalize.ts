import type { Placement } from './placements.js';
import type { Trace } from './run.js';
import type { Described } from './src/describe.js';
import type { LogLine } from './src/logs.js';
import type { Entry } from './src/recorder.js';

/**
 * THE place where a placement's trace may differ from stock's. Each rule is
 * listed with its reason in docs/PARITY.md (## Nest); whatever no rule
 * rewrites must be equal, entry by entry and in order.
 *
 * `against` is the placement the trace is compared with (for the oracle's
 * trace) or the placement that produced it: kept differences apply to both
 * sides of a comparison only where that placement has them.
 */
export function normalize(trace: Trace, scenarioId: string, against: Placement): Trace {
  let { client, server } = trace;
  for (const kept of KEPT_DIFFERENCES) {
    if ((kept.scenario !== undefined && kept.scenario !== scenarioId) || !kept.applies(against)) continue;
    [client, server] = kept.rewrite(client, server);
  }
  return { client: client.map(normalizeEntry), server: server.map(normalizeEntry), logs: normalizeLogs(trace.logs) };
}

/** What user serializers and deserializers record (test/parity/nest/src/scenarios/serde.ts). */
const SERIALIZER_ENTRIES = new Set([
  'client serializer',
  'client deserializer',
  'async deserializer',
  'server serializer',
  'server deserializer',
]);

/** Rules for every trace: values that name where a peer is, or are random. */
function normalizeEntry(entry: Entry): Entry {
  if (entry.v === undefined) return entry;
  const v = rewrite(entry.v);
  // 3. Packet ids are random: only their kind (a 21-character string on every tier) is compared.
  if (SERIALIZER_ENTRIES.has(entry.at) && isRecord(v) && 'id' in v)
    return { at: entry.at, v: { ...v, id: idKind(v.id!) } };
  return { at: entry.at, v };
}

function idKind(id: Described): Described {
  return typeof id === 'string' ? `<${id.length}-character string>` : isRecord(id) ? id : `<${typeof id}>`;
}

function messageOf(entry: Entry): string {
  const message = entry.v !== undefined && isRecord(entry.v) ? entry.v.message : undefined;
  return typeof message === 'string' ? message : '';
}

function isRecord(value: Described): value is { [key: string]: Described } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rewrite(value: Described): Described {
  if (Array.isArray(value)) return value.map(rewrite);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Described } = {};
  for (const [key, item] of Object.entries(value)) out[key] = rewrite(item);
  // 1. A refused connection's error names the port it dialled; each placement's server has its own.
  if (out.code === 'ECONNREFUSED' && typeof out.port === 'number') out.port = '<port>';
  // 2. The socket behind a handler's socket ref: a net.Socket on tcp and unix, none (null) in memory.
  if (typeof out.socketRef === 'object' && out.socketRef !== null && !Array.isArray(out.socketRef)) {
    out.socketRef = { ...out.socketRef, netSocket: '<socket or none>' };
  }
  return out;
}

/**
 * 4. Logs: the logger's context names the class (ClientTCP or FriendsClient,
 * ServerTCP's 'Server' or FriendsServer), numbers in messages are buffer
 * lengths that depend on how reads were chunked, and lines of the two sides
 * interleave as processes schedule them: compared per side, in order.
 */
function normalizeLogs(lines: LogLine[]): LogLine[] {
  const side = (context: string): string => SIDES[context] ?? context;
  const mapped = lines.map((line) => ({ context: side(line.context), message: line.message.replace(/\d+/g, 'N') }));
  return mapped.sort((a, b) => (a.context < b.context ? -1 : a.context > b.context ? 1 : 0));
}

const SIDES: Record<string, string> = {
  ClientTCP: 'client',
  FriendsClient: 'client',
  Server: 'server',
  ServerTCP: 'server',
  FriendsServer: 'server',
};

interface KeptDifference {
  /** Every scenario when undefined. */
  scenario?: string;
  applies(placement: Placement): boolean;
  rewrite(client: Entry[], server: Entry[]): [Entry[], Entry[]];
}

const HELLO_PATTERN = '$friends.hello.v1';
const STOCK_CLOSED_BEFORE_CONNECTED = "Cannot read properties of null (reading 'sendMessage')";
const CLOSED_BEFORE_CONNECTED: Entry = { at: 'queued: error', v: '<failed: closed before connected>' };
const ANSWERED_IN_GRACE: Entry = { at: 'in flight: <answered within shutdownGracePeriod, or failed by the close>' };

/** Differences kept on purpose (docs/PARITY.md, "Kept differences"). */
const KEPT_DIFFERENCES: KeptDifference[] = [
  {
    // 5. A FriendsClient's hello is an ordinary request on a reserved pattern, so that any server
    //    speaking the user's wire format can answer it: user serializers and deserializers on both
    //    sides see it and its answer, once per connection.
    applies: (placement) => placement.client !== 'stock',
    rewrite: (client, server) => {
      const hello = new Set<Described>();
      for (const entry of [...client, ...server]) {
        if (SERIALIZER_ENTRIES.has(entry.at) && isRecord(entry.v!) && entry.v.pattern === HELLO_PATTERN) {
          hello.add(entry.v.id!);
        }
      }
      const other = (entry: Entry): boolean =>
        !(SERIALIZER_ENTRIES.has(entry.at) && isRecord(entry.v!) && hello.has(entry.v.id!));
      return hello.size === 0 ? [client, server] : [client.filter(other), server.filter(other)];
    },
  },
  {
    // 6. A call made while the first connection is being made, then close(): the stock client sends
    //    it on a socket it has already dropped and fails it with a TypeError; a FriendsClient fails it
    //    with 'Connection closed', as any call pending at close().
    scenario: 'lifecycle/call-then-close-before-connected',
    applies: (placement) => placement.client !== 'stock',
    rewrite: (client, server) => [
      client.map((e) =>
        e.at === 'queued: error' && [STOCK_CLOSED_BEFORE_CONNECTED, 'Connection closed'].includes(messageOf(e))
          ? CLOSED_BEFORE_CONNECTED
          : e,
      ),
      server,
    ],
  },
  {
    // 7. shutdownGracePeriod is FriendsServer's: a request in flight at close() is answered, where the
    //    stock server (which has no such option) drops the connection and the request fails.
    scenario: 'grace/in-flight-request-at-close',
    applies: (placement) => placement.server === 'friends',
    rewrite: (client, server) => {
      const failed = (e: Entry): boolean => e.at === 'in flight: error' && messageOf(e) === 'Connection closed';
      const answered = (e: Entry): boolean =>
        (e.at === 'in flight: next' && e.v === 'finished') || e.at === 'in flight: complete';
      return [[ANSWERED_IN_GRACE, ...client.filter((e) => !failed(e) && !answered(e))], server];
    },
  },
];
