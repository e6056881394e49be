import type { Placement } from './placements.js';
import type { Trace } from './run.js';
import type { Described } from './src/describe.js';
import type { LogLine } from './src/logs.js';
import { NEST_MAJOR } from '../../support/nest-major.js';
import type { Entry } from './src/recorder.js';

/**
 * THE place where a placement's trace may differ from stock's. Each rule is
 * listed with its reason in docs/PARITY.md (## Nest); whatever no rule
 * rewrites must be equal, entry by entry and in order.
 *
 * `against` is the placement the trace is compared with (for the oracle's
 * trace) or the placement that produced it: kept differences apply to both
 * sides of a comparison only where that placement has them. `side` says which
 * the trace is: what stock's trace is expected to look like in a placement is
 * rewritten on the oracle's side only, so the placement's own value must be exact.
 */
export function normalize(trace: Trace, scenarioId: string, against: Placement, side: Side): Trace {
  let { client, server, logs } = trace;
  for (const kept of KEPT_DIFFERENCES) {
    const scenarios = typeof kept.scenario === 'string' ? [kept.scenario] : kept.scenario;
    if ((scenarios !== undefined && !scenarios.includes(scenarioId)) || !kept.applies(against)) continue;
    if (kept.rewrite) [client, server] = kept.rewrite(client, server);
    if (kept.dropsLog) logs = logs.filter((line) => !kept.dropsLog!(line));
  }
  const entry = (e: Entry): Entry => normalizeEntry(e, side === 'oracle' ? against : undefined);
  return { client: client.map(entry), server: server.map(entry), logs: normalizeLogs(logs) };
}

/** Which trace of a comparison is being normalized. */
export type Side = 'oracle' | 'placement';

/** What user serializers and deserializers record (test/parity/nest/src/scenarios/serde.ts). */
const SERIALIZER_ENTRIES = new Set([
  'client serializer',
  'client deserializer',
  'async deserializer',
  'server serializer',
  'server deserializer',
]);

/**
 * Rules for every trace: values that name where a peer is, or are random.
 * `expectedIn` is the placement an oracle trace is compared with.
 */
function normalizeEntry(entry: Entry, expectedIn: Placement | undefined): Entry {
  if (entry.v === undefined) return entry;
  const v = rewrite(entry.v, expectedIn);
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

function rewrite(value: Described, expectedIn: Placement | undefined): Described {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, expectedIn));
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Described } = {};
  for (const [key, item] of Object.entries(value)) out[key] = rewrite(item, expectedIn);
  // 1. A refused connection's error names the port it dialled; each placement's server has its own.
  if (out.code === 'ECONNREFUSED' && typeof out.port === 'number') out.port = '<port>';
  // 2. The socket behind a handler's socket ref: the stock server's net.Socket is expected as it is on
  //    tcp and unix (a unix socket is a net.Socket), and as null in memory, where there is no socket.
  if (expectedIn?.tier === 'memory' && isRecord(out.socketRef ?? null)) {
    out.socketRef = { ...(out.socketRef as { [key: string]: Described }), netSocket: null };
  }
  return out;
}

/**
 * 4. Logs, at every level. Only what cannot be equal is rewritten:
 *  a. the logger's context names the class (ClientTCP or FriendsClient, ServerTCP's 'Server' or
 *     FriendsServer): it becomes the side;
 *  b. lines of the two sides interleave as processes schedule them: each side's lines are compared
 *     in their own order (a stable sort by side);
 *  c. the buffered length in a packet-length error depends on how reads were split and on the
 *     length of packet ids (docs/PARITY.md, "Where maxBufferSize draws the line"); the limit and
 *     the rest of the line are compared.
 * Kept difference 9: the connection lines friends add at 'log' level are set aside (they name
 * ports, paths and endpoints, and stock has no such lines); a friends line of any other shape or
 * level stays and differs.
 */
function normalizeLogs(lines: LogLine[]): LogLine[] {
  const side = (context: string): string => SIDES[context] ?? context;
  const mapped = lines
    .filter((line) => !isFriendsConnectionLine(line))
    .map((line) => ({
      level: line.level,
      context: side(line.context),
      message: line.message.replace(BUFFERED_LENGTH, '$1<buffered>$2'),
    }));
  return mapped.sort((a, b) => (a.context < b.context ? -1 : a.context > b.context ? 1 : 0));
}

/** 4c. The stock framing's error names the length it had buffered when the limit tripped. */
const BUFFERED_LENGTH = /^(The packet length \()\d+(\) exceeds the maximum allowed length)/;

/** 9. What friends logs about each connection's tier, and only that. */
const FRIENDS_CONNECTION_LINES: Record<string, RegExp[]> = {
  FriendsServer: [/^(memory|unix|tcp) connection from (memory|unix|tcp):\S+$/],
  FriendsClient: [
    /^connected to \S+:\d+ over tcp \(tcp:\S+\)$/,
    /^connection to \S+:\d+ moved to (memory|unix) \((memory|unix):\S+\)$/,
    /^tcp to \S+:\d+: .+$/,
  ],
};

function isFriendsConnectionLine(line: LogLine): boolean {
  return (
    line.level === 'log' && (FRIENDS_CONNECTION_LINES[line.context] ?? []).some((shape) => shape.test(line.message))
  );
}

const SIDES: Record<string, string> = {
  ClientTCP: 'client',
  FriendsClient: 'client',
  Server: 'server',
  ServerTCP: 'server',
  FriendsServer: 'server',
};

interface KeptDifference {
  /** Every scenario when undefined; a list names several. */
  scenario?: string | string[];
  applies(placement: Placement): boolean;
  rewrite?(client: Entry[], server: Entry[]): [Entry[], Entry[]];
  /** Log lines to set aside. */
  dropsLog?(line: LogLine): boolean;
}

/** The hello, and the barrier a client sends before moving when it made calls while its tier was being decided. */
const RESERVED_PATTERNS: Described[] = ['$friends.hello.v1', '$friends.barrier.v1'];

/** How the stock client fails a call made while connecting, then close(): Nest 12, and Nest 11. */
const STOCK_CLOSED_BEFORE_CONNECTED = [
  "Cannot read properties of null (reading 'sendMessage')",
  "Cannot read properties of null (reading 'on')",
];
const CLOSED_BEFORE_CONNECTED: Entry = { at: 'queued: error', v: '<failed: closed before connected>' };
const ANSWERED_IN_GRACE: Entry = { at: 'in flight: <answered within shutdownGracePeriod, or failed by the close>' };

/** 11. Per scenario: the labels of calls and connects made after close(), each compared as one token. */
const USED_AFTER_CLOSE: Record<string, string[]> = {
  'lifecycle/client-close-fails-pending-requests': ['after close'],
  'lifecycle/close-then-connect-at-once': ['a', 'b'],
  'lifecycle/close-before-any-connect-and-twice': ['call again'],
  'lifecycle/call-then-close-before-connected': ['after'],
  'lifecycle/close-while-connecting': ['first connect', 'call'],
};

function tokenizeAfterClose(client: Entry[]): Entry[] {
  const labels = new Set(Object.values(USED_AFTER_CLOSE).flat());
  const out: Entry[] = [];
  const seen = new Set<string>();
  for (const entry of client) {
    if (entry.at === 'status' && entry.v === 'disconnected') continue;
    const label = entry.at.replace(/: (next|complete|error)$/, '');
    if (!labels.has(label)) {
      out.push(entry);
      continue;
    }
    if (seen.has(label)) continue;
    seen.add(label);
    out.push({ at: `${label}: <as Nest 12's ClientTCP, or as Nest 11's after a replaced connection's late close>` });
  }
  return out;
}

/** Differences kept on purpose (docs/PARITY.md, "Kept differences"). */
const KEPT_DIFFERENCES: KeptDifference[] = [
  {
    // 5. A FriendsClient's hello is an ordinary request on a reserved pattern, so that any server
    //    speaking the user's wire format can answer it: user serializers and deserializers on both
    //    sides see it and its answer, once per connection, and the barrier and its answer when calls
    //    were made while the tier was being decided.
    applies: (placement) => placement.client !== 'stock',
    rewrite: (client, server) => {
      const hello = new Set<Described>();
      for (const entry of [...client, ...server]) {
        if (SERIALIZER_ENTRIES.has(entry.at) && isRecord(entry.v!) && RESERVED_PATTERNS.includes(entry.v.pattern!)) {
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
        e.at === 'queued: error' && [...STOCK_CLOSED_BEFORE_CONNECTED, 'Connection closed'].includes(messageOf(e))
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
  {
    // 11. Nest 11's ClientTCP lets the late 'close' of a connection it replaced tear down the new one
    //     (Nest 12 fixed it): after close(), its next calls fail with 'Connection closed', status says
    //     'disconnected', and a connect() made while the closed socket was connecting rejects with a
    //     TypeError. A FriendsClient keeps Nest 12's behaviour on both majors. In the lifecycle
    //     scenarios that use a client again after close(), what those calls and connects got is
    //     compared as a token, and status 'disconnected' is set aside, on Nest 11 only.
    scenario: Object.keys(USED_AFTER_CLOSE),
    applies: (placement) => NEST_MAJOR < 12 && placement.client !== 'stock',
    rewrite: (client, server) => [tokenizeAfterClose(client), server],
  },
];
