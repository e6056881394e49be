import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

/**
 * Node's http2 header rules, for the streams that stand in for HTTP/2 between
 * friends. grpc-js hands header objects to `session.request()`,
 * `stream.respond()` and `stream.sendTrailers()` and reads the objects Node
 * builds on the other side; between friends the same objects must come out,
 * and the same objects must be refused. So an outgoing object is checked and
 * flattened here as Node does before HPACK, and an incoming list is folded back
 * into an object as Node does after it (repeated fields joined with ", ").
 */

/** Header fields in the order sent: name, value, name, value, … */
export type HeaderList = string[];

/** Which pseudo-headers a block may carry. */
export type HeaderBlock = 'request' | 'response' | 'trailers';

const PSEUDO: Record<HeaderBlock, ReadonlySet<string>> = {
  request: new Set([':method', ':authority', ':scheme', ':path', ':protocol']),
  response: new Set([':status']),
  trailers: new Set(),
};

/** Fields HTTP/2 allows once per block. */
const SINGLE_VALUE = new Set([
  ':status',
  ':method',
  ':authority',
  ':scheme',
  ':path',
  ':protocol',
  'access-control-allow-credentials',
  'access-control-max-age',
  'access-control-request-method',
  'age',
  'authorization',
  'content-encoding',
  'content-language',
  'content-length',
  'content-location',
  'content-md5',
  'content-range',
  'content-type',
  'date',
  'dnt',
  'etag',
  'expires',
  'from',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'range',
  'referer',
  'retry-after',
  'tk',
  'upgrade-insecure-requests',
  'user-agent',
  'x-content-type-options',
]);

const CONNECTION_SPECIFIC = new Set([
  'connection',
  'upgrade',
  'http2-settings',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
]);

/** A TypeError with Node's code and message, as thrown by the call Node would have refused. */
function nodeError(code: string, message: string): TypeError {
  const error = new TypeError(message) as TypeError & { code: string };
  error.code = code;
  return error;
}

const singleValueError = (key: string): TypeError =>
  nodeError('ERR_HTTP2_HEADER_SINGLE_VALUE', `Header field "${key}" must only have a single value`);

/** What Node's rules say about one header name, worked out once per name. */
interface NameRule {
  key: string;
  pseudo: boolean;
  single: boolean;
  /** Thrown for any value (a space in the name, a connection-specific field). */
  error?: () => TypeError;
  /** `te` is allowed with the value `trailers` only. */
  te: boolean;
}

const rules = new Map<string, NameRule>();

function ruleFor(name: string): NameRule {
  let rule = rules.get(name);
  if (rule) return rule;
  const key = name.toLowerCase();
  const pseudo = key.charCodeAt(0) === 58; /* : */
  rule = { key, pseudo, single: SINGLE_VALUE.has(key), te: key === 'te' };
  if (!pseudo && key.includes(' '))
    rule.error = () => nodeError('ERR_INVALID_HTTP_TOKEN', `Header name must be a valid HTTP token ["${key}"]`);
  else if (CONNECTION_SPECIFIC.has(key))
    rule.error = () => nodeError('ERR_HTTP2_INVALID_CONNECTION_HEADERS', `HTTP/1 Connection specific headers are forbidden: "${key}"`);
  // Bounded: names are few in practice, but a peer-chosen flood must not grow it.
  if (rules.size < 4096) rules.set(name, rule);
  return rule;
}

/**
 * Checks and flattens an outgoing header object; throws what Node's http2
 * throws. `defaults` are pseudo-headers Node adds when the object lacks them.
 */
export function toHeaderList(headers: OutgoingHttpHeaders, block: HeaderBlock, defaults?: Record<string, string>): HeaderList {
  let pseudo: string[] | undefined;
  const regular: string[] = [];
  let renamed = false;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === '') continue;
    const rule = ruleFor(name);
    const key = rule.key;
    if (key !== name) renamed = true;
    let single: string | undefined;
    let many: (string | number)[] | undefined;
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      if (value.length === 1) single = String(value[0]);
      else if (rule.single) throw singleValueError(key);
      else many = value;
    } else {
      single = typeof value === 'string' ? value : String(value);
    }
    if (rule.pseudo) {
      if (!PSEUDO[block].has(key))
        throw nodeError('ERR_HTTP2_INVALID_PSEUDOHEADER', `"${key}" is an invalid pseudoheader or is used incorrectly`);
      (pseudo ??= []).push(key, single!);
      continue;
    }
    if (rule.error) throw rule.error();
    if (rule.te && (many !== undefined || single !== 'trailers'))
      throw nodeError('ERR_HTTP2_INVALID_CONNECTION_HEADERS', `HTTP/1 Connection specific headers are forbidden: "${key}"`);
    if (many) for (const v of many) regular.push(key, String(v));
    else regular.push(key, single!);
  }
  if (defaults)
    for (const key in defaults) if (headers[key] === undefined) (pseudo ??= []).push(key, defaults[key]!);
  // Two names that differ only in case are one field once lowercased.
  if (renamed) checkSingles(pseudo, regular);
  if (!pseudo) return regular;
  // Pseudo-headers go first (their order among themselves is not observable).
  return pseudo.concat(regular);
}

function checkSingles(pseudo: string[] | undefined, regular: string[]): void {
  const seen = new Set<string>();
  for (const list of [pseudo ?? [], regular])
    for (let i = 0; i < list.length; i += 2) {
      const key = list[i]!;
      if (!SINGLE_VALUE.has(key)) continue;
      if (seen.has(key)) throw singleValueError(key);
      seen.add(key);
    }
}

/**
 * nghttp2 drops a received field whose value has leading or trailing
 * whitespace, or NUL, CR or LF anywhere (RFC 9113, 8.2.1), and one whose name
 * is not a lowercase token.
 */
const CONTROL = /[\0\r\n]/;
const GOOD_NAME = /^:?[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const goodNames = new Set<string>();
const goodValues = new Set<string>();

function acceptedField(name: string, value: string): boolean {
  const n = value.length;
  if (n > 0 && !goodValues.has(value)) {
    const first = value.charCodeAt(0);
    const last = value.charCodeAt(n - 1);
    if (first === 32 || first === 9 || last === 32 || last === 9 || CONTROL.test(value)) return false;
    // Most values repeat (content types, methods, authorities): remember a bounded few.
    if (n <= 64 && goodValues.size < 1024) goodValues.add(value);
  }
  if (goodNames.has(name)) return true;
  if (!GOOD_NAME.test(name)) return false;
  if (goodNames.size < 1024) goodNames.add(name);
  return true;
}

/** Node's default SETTINGS_MAX_HEADER_LIST_SIZE and its limit on fields in a block. */
const MAX_HEADER_LIST_SIZE = 65_535;
const MAX_HEADER_PAIRS = 128;

/** A received block as Node's http2 hands it over, or the reset code with which Node refuses it. */
export type ReceivedHeaders = { headers: IncomingHttpHeaders; refused?: undefined } | { refused: number };

/** Folds received fields into the object Node gives its 'stream', 'response' and 'trailers' listeners. */
export function receiveHeaderList(list: HeaderList): ReceivedHeaders {
  if (list.length / 2 > MAX_HEADER_PAIRS) return { refused: constants.NGHTTP2_ENHANCE_YOUR_CALM };
  let chars = 0;
  for (let i = 0; i < list.length; i++) chars += list[i]!.length;
  // Octets are at most three per UTF-16 unit: count them exactly only near the limit.
  if (chars * 3 + 16 * list.length > MAX_HEADER_LIST_SIZE && headerListSize(list) > MAX_HEADER_LIST_SIZE)
    return { refused: constants.NGHTTP2_REFUSED_STREAM };
  const out: Record<string, string | string[] | number> = Object.create(null);
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    if (!acceptedField(name, value)) continue;
    const existing = out[name];
    if (existing === undefined) {
      if (name === ':status') out[name] = Number(value) | 0;
      else out[name] = name === 'set-cookie' ? [value] : value;
    } else if (!SINGLE_VALUE.has(name)) {
      if (name === 'cookie') out[name] = `${existing as string}; ${value}`;
      else if (name === 'set-cookie') (existing as string[]).push(value);
      else out[name] = `${existing as string}, ${value}`;
    }
  }
  return { headers: out as IncomingHttpHeaders };
}

/** HPACK's accounting of a header list: each field costs its name, its value and 32 octets. */
export function headerListSize(list: HeaderList): number {
  let size = 0;
  for (let i = 0; i < list.length; i++) size += Buffer.byteLength(list[i]!);
  return size + 16 * list.length;
}
