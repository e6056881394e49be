import type { OutgoingHttpHeaders } from 'node:http2';
import { nodeError } from './lite-emitter.js';

/*
 * Node's http2 header rules on the sending side: between friends the objects
 * grpc-js hands to request(), respond() and sendTrailers() are refused as Node
 * refuses them; received-headers.ts folds the fields as Node's receiving side.
 */

/** Which pseudo-headers a block may carry. */
export type HeaderBlock = 'request' | 'response' | 'trailers';

/** What a sender accepts: Node checks only that a request's are HTTP/2 pseudo-headers at all. */
const PSEUDO: Record<HeaderBlock, ReadonlySet<string>> = {
  request: new Set([':status', ':method', ':authority', ':scheme', ':path', ':protocol']),
  response: new Set([':status']),
  trailers: new Set(),
};

/** Fields HTTP/2 allows once per block (Node's list). */
export const SINGLE_VALUE = new Set(
  (
    ':status :method :authority :scheme :path :protocol access-control-allow-credentials access-control-max-age ' +
    'access-control-request-method age authorization content-encoding content-language content-length ' +
    'content-location content-md5 content-range content-type date dnt etag expires from host if-match ' +
    'if-modified-since if-none-match if-range if-unmodified-since last-modified location max-forwards ' +
    'proxy-authorization range referer retry-after tk upgrade-insecure-requests user-agent x-content-type-options'
  ).split(' '),
);

const CONNECTION_SPECIFIC = new Set(
  'connection upgrade http2-settings keep-alive proxy-connection transfer-encoding'.split(' '),
);

/** A TypeError with Node's code and message, as thrown by the call Node would have refused. */
const typeError = (code: string, message: string): TypeError => nodeError(code, message, TypeError);

const hasOwn = Object.prototype.hasOwnProperty;

const singleValueError = (key: string): TypeError =>
  typeError('ERR_HTTP2_HEADER_SINGLE_VALUE', `Header field "${key}" must only have a single value`);
const pseudoError = (key: string): TypeError =>
  typeError('ERR_HTTP2_INVALID_PSEUDOHEADER', `"${key}" is an invalid pseudoheader or is used incorrectly`);
const connectionError = <E extends Error>(key: string, Type?: new (m: string) => E): E =>
  nodeError('ERR_HTTP2_INVALID_CONNECTION_HEADERS', `HTTP/1 Connection specific headers are forbidden: "${key}"`, Type);

/** What Node's rules say about one header name, worked out once per name. `error`: thrown for any value. */
interface NameRule {
  key: string;
  pseudo: boolean;
  single: boolean;
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
    rule.error = () => typeError('ERR_INVALID_HTTP_TOKEN', `Header name must be a valid HTTP token ["${key}"]`);
  else if (CONNECTION_SPECIFIC.has(key)) rule.error = () => connectionError(key, TypeError);
  // Bounded: names are few in practice, but a peer-chosen flood must not grow it.
  if (rules.size < 4096) rules.set(name, rule);
  return rule;
}

/** Where the fields of a checked outgoing block go: bytes (unix) or the peer's object (memory). */
export interface FieldSink {
  field(key: string, value: string, pseudo: boolean): void;
}

/**
 * Checks an outgoing header object as Node's http2 does, throwing what it
 * throws, and hands each field to `sink`. `defaults` are pseudo-headers Node
 * adds when the object lacks them; `status` replaces the value of `:status`.
 */
export function visitHeaders(
  headers: OutgoingHttpHeaders,
  block: HeaderBlock,
  sink: FieldSink,
  defaults?: Record<string, string>,
  status?: string,
): void {
  let singles: string[] | undefined;
  // Node's request() refuses a bad pseudo-header before it looks at anything else.
  if (block === 'request')
    for (const name in headers) {
      if (name.charCodeAt(0) !== 58 /* : */ || headers[name] === undefined || !hasOwn.call(headers, name)) continue;
      const key = ruleFor(name).key;
      if (!PSEUDO[block].has(key)) throw pseudoError(key);
    }
  for (const name in headers) {
    if (!hasOwn.call(headers, name)) continue;
    let value = headers[name];
    if (value === undefined || name === '') continue;
    if (status !== undefined && name === ':status') value = status;
    const rule = ruleFor(name);
    const key = rule.key;
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
    if (rule.single) {
      // Two names that differ only in case are one field once lowercased.
      if (singles?.includes(key)) throw singleValueError(key);
      (singles ??= []).push(key);
    }
    if (rule.pseudo) {
      if (!PSEUDO[block].has(key)) throw pseudoError(key);
      sink.field(key, single!, true);
      continue;
    }
    if (rule.error) throw rule.error();
    if (rule.te && (many !== undefined || single !== 'trailers')) throw connectionError(key);
    if (many) for (const v of many) sink.field(key, String(v), false);
    else sink.field(key, single!, false);
  }
  if (defaults) for (const key in defaults) if (headers[key] === undefined) sink.field(key, defaults[key]!, true);
}

/**
 * A response's `:status` as Node's `respond()` makes it: coerced to a number
 * (200 when that gives 0) and checked to be a final status.
 */
export function responseStatus(headers: OutgoingHttpHeaders): string {
  const raw = headers[':status'];
  const status = (raw as unknown as number) | 0 || 200;
  if (status < 200 || status > 599)
    throw nodeError('ERR_HTTP2_STATUS_INVALID', `Invalid status code: ${status}`, RangeError);
  return String(status);
}

/** Whether Node adds its date to a response with these headers (unless the application set one). */
export const wantsDate = (headers: OutgoingHttpHeaders): boolean => headers.date === undefined || headers.date === null;

export const STATUS_DEFAULT = { ':status': '200' };
