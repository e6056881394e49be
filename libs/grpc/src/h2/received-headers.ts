import { constants, type IncomingHttpHeaders } from 'node:http2';
import { SINGLE_VALUE, type HeaderList } from './headers.js';

/**
 * The receiving side of Node's http2 for one header block: nghttp2's checks
 * (RFC 9113, 8.2 and 8.3) and Node's folding of the fields into an object.
 * A field nghttp2 would ignore is dropped; a block it would reject resets the
 * stream with the code it would use.
 */

/** Which block: a request's headers, a response's headers, or trailers. */
export type ReceivedBlock = 'request' | 'response' | 'trailers';

/** A received block as Node's http2 hands it over, or the reset code with which it refuses it. */
export type ReceivedHeaders = { headers: IncomingHttpHeaders; refused?: undefined } | { refused: number };

const { NGHTTP2_PROTOCOL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_REFUSED_STREAM } = constants;

/**
 * Node's limits on a received block with its default settings: 128 fields, and
 * octets counted as name + value + 12 per field, at most 65,519 (measured
 * against Node's http2 by test/headers.spec.ts).
 */
const MAX_HEADER_OCTETS = 65_519;
const FIELD_OVERHEAD = 12;
const MAX_HEADER_PAIRS = 128;

const REQUEST_PSEUDO = new Set([':authority', ':method', ':path', ':scheme', ':protocol']);
const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

const TOKEN_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const HAS_UPPER = /[A-Z]/;
const CONTROL = /[\0\r\n]/;
const AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]+$/;
const DIGITS = /^[0-9]+$/;

/** Names and values seen before (most repeat on every call), so their checks run once. */
const goodNames = new Set<string>();
const goodValues = new Set<string>();

function goodValue(value: string): boolean {
  const n = value.length;
  if (n === 0 || goodValues.has(value)) return true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  if (first === 32 || first === 9 || last === 32 || last === 9 || CONTROL.test(value)) return false;
  if (n <= 64 && goodValues.size < 1024) goodValues.add(value);
  return true;
}

/** What nghttp2 makes of one regular field: keep it, ignore it, or refuse the block. */
function regularField(name: string, value: string, block: ReceivedBlock): 'keep' | 'ignore' | 'refuse' {
  if (!goodNames.has(name)) {
    if (!TOKEN_NAME.test(name)) return HAS_UPPER.test(name) ? 'refuse' : 'ignore';
    if (goodNames.size < 1024) goodNames.add(name);
  }
  if (FORBIDDEN.has(name)) return 'refuse';
  if (name === 'te' && value.toLowerCase() !== 'trailers') return 'refuse';
  if (block === 'request' && name === 'host' && !AUTHORITY.test(value)) return 'refuse';
  if (name === 'content-length' && block !== 'trailers' && !DIGITS.test(value)) return 'refuse';
  return goodValue(value) ? 'keep' : 'ignore';
}

/** Folds received fields into the object Node gives its 'stream', 'response' and 'trailers' listeners. */
export function receiveHeaderList(list: HeaderList, block: ReceivedBlock): ReceivedHeaders {
  if (list.length / 2 > MAX_HEADER_PAIRS) return { refused: NGHTTP2_ENHANCE_YOUR_CALM };
  let chars = 0;
  for (let i = 0; i < list.length; i++) chars += list[i]!.length;
  // Octets are at most three per UTF-16 unit: count them exactly only near the limit.
  const overhead = (FIELD_OVERHEAD * list.length) / 2;
  if (chars * 3 + overhead > MAX_HEADER_OCTETS && headerOctets(list) + overhead > MAX_HEADER_OCTETS)
    return { refused: NGHTTP2_REFUSED_STREAM };
  const refuse = { refused: NGHTTP2_PROTOCOL_ERROR };
  const out: Record<string, string | string[] | number> = Object.create(null);
  let regularSeen = false;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    if (name.charCodeAt(0) === 58 /* : */) {
      // Pseudo-headers: known ones only, once each, before every regular field, well formed.
      if (regularSeen || out[name] !== undefined || !goodValue(value)) return refuse;
      if (block === 'request') {
        if (!REQUEST_PSEUDO.has(name)) return refuse;
        if (name === ':path' && value.length === 0) return refuse;
        if (name === ':authority' && !AUTHORITY.test(value)) return refuse;
      } else if (block === 'response') {
        if (name !== ':status' || !/^[0-9]{3}$/.test(value)) return refuse;
      } else {
        return refuse;
      }
      out[name] = name === ':status' ? Number(value) | 0 : value;
      continue;
    }
    regularSeen = true;
    const verdict = regularField(name, value, block);
    if (verdict === 'refuse') return refuse;
    if (verdict === 'ignore') continue;
    const existing = out[name];
    if (existing === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if ((name === 'host' || name === 'content-length') && block !== 'trailers') return refuse;
    else if (!SINGLE_VALUE.has(name)) {
      if (name === 'cookie') out[name] = `${existing as string}; ${value}`;
      else if (name === 'set-cookie') (existing as string[]).push(value);
      else out[name] = `${existing as string}, ${value}`;
    }
  }
  if (
    block === 'request' &&
    (out[':method'] === undefined || out[':path'] === undefined || out[':scheme'] === undefined)
  )
    return refuse;
  if (block === 'response' && out[':status'] === undefined) return refuse;
  return { headers: out as IncomingHttpHeaders };
}

function headerOctets(list: HeaderList): number {
  let size = 0;
  for (let i = 0; i < list.length; i++) size += Buffer.byteLength(list[i]!);
  return size;
}
