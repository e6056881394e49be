import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { SINGLE_VALUE, visitHeaders, type FieldSink, type HeaderBlock } from './headers.js';

/*
 * The receiving side of Node's http2 for one header block: nghttp2's checks
 * (RFC 9113, 8.2 and 8.3) and Node's folding of the fields into an object.
 * A field nghttp2 would ignore is dropped; a block it would reject resets the
 * stream with the code it would use.
 */

/** A received block as Node hands it over, or its refusal; `connection` when that ends the connection (HPACK). */
export type ReceivedHeaders =
  { headers: IncomingHttpHeaders; refused?: undefined } | { refused: number; connection?: boolean };

const { NGHTTP2_PROTOCOL_ERROR, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_COMPRESSION_ERROR } = constants;

/** Node refuses a block of more than 128 fields (grpc-js leaves its session limits unbounded otherwise). */
export const MAX_HEADER_PAIRS = 128;
/** nghttp2's HPACK decoder takes no name or value longer than this once encoded. */
const MAX_ENCODED_STRING = 65_536;

/** Bits of each printable ASCII character (0x20–0x7e) in HPACK's Huffman code (RFC 7541, appendix B). */
const HUFFMAN_BITS = [
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6,
  5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13,
];

/** A string's length as HPACK sends it: Huffman-coded when that is shorter than its octets. */
function encodedLength(text: string): number {
  if (text.length <= MAX_ENCODED_STRING) return text.length;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // Outside printable ASCII no code is shorter than 20 bits: such strings go as octets.
    bits += code >= 0x20 && code <= 0x7e ? HUFFMAN_BITS[code - 0x20]! : 30;
  }
  return Math.min(Buffer.byteLength(text), Math.ceil(bits / 8));
}

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
function regularField(name: string, value: string, block: HeaderBlock): 'keep' | 'ignore' | 'refuse' {
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

/**
 * Folds received fields into the object Node gives its 'stream', 'response'
 * and 'trailers' listeners. Fields come from bytes (`receiveBlock`) or, in
 * memory, straight from the sender's checked object (`sendBlock`), which never
 * puts a pseudo-header after a regular field.
 */
export class HeaderFold implements FieldSink {
  private readonly out: Record<string, string | string[] | number> = Object.create(null);
  /** Fields seen, including ignored and refused ones. */
  count = 0;
  private tooLong = false;
  private refused = false;
  private regularSeen = false;

  constructor(private readonly block: HeaderBlock) {}

  field(name: string, value: string): void {
    if (++this.count > MAX_HEADER_PAIRS) return;
    if (encodedLength(name) > MAX_ENCODED_STRING || encodedLength(value) > MAX_ENCODED_STRING) this.tooLong = true;
    if (this.refused || this.tooLong) return;
    if (!this.fold(name, value)) this.refused = true;
  }

  /** A field from bytes: a pseudo-header after a regular field breaks the block. */
  wireField(name: string, value: string): void {
    if (this.regularSeen && name.charCodeAt(0) === 58 /* : */) this.refused = true;
    this.field(name, value);
  }

  private fold(name: string, value: string): boolean {
    const { out, block } = this;
    if (name.charCodeAt(0) === 58 /* : */) {
      // Pseudo-headers: known ones only, once each, well formed.
      if (out[name] !== undefined || !goodValue(value)) return false;
      if (block === 'request') {
        if (!REQUEST_PSEUDO.has(name)) return false;
        // nghttp2 takes an absolute path, or '*' (for OPTIONS).
        if (name === ':path' && value.charCodeAt(0) !== 47 /* / */ && value !== '*') return false;
        if (name === ':authority' && !AUTHORITY.test(value)) return false;
      } else if (block === 'response') {
        if (name !== ':status' || !/^[0-9]{3}$/.test(value)) return false;
      } else {
        return false;
      }
      out[name] = name === ':status' ? Number(value) | 0 : value;
      return true;
    }
    this.regularSeen = true;
    const verdict = regularField(name, value, block);
    if (verdict === 'refuse') return false;
    if (verdict === 'ignore') return true;
    const existing = out[name];
    if (existing === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if ((name === 'host' || name === 'content-length') && block !== 'trailers') return false;
    else if (!SINGLE_VALUE.has(name)) {
      if (name === 'cookie') out[name] = `${existing as string}; ${value}`;
      else if (name === 'set-cookie') (existing as string[]).push(value);
      else out[name] = `${existing as string}, ${value}`;
    }
    return true;
  }

  /** The block as Node hands it over, or the code it is refused with (a count or HPACK refusal first). */
  finish(): ReceivedHeaders {
    if (this.count > MAX_HEADER_PAIRS) return { refused: NGHTTP2_ENHANCE_YOUR_CALM };
    if (this.tooLong) return { refused: NGHTTP2_COMPRESSION_ERROR, connection: true };
    const out = this.out;
    if (
      this.refused ||
      (this.block === 'request' &&
        (out[':method'] === undefined || out[':path'] === undefined || out[':scheme'] === undefined)) ||
      (this.block === 'response' && out[':status'] === undefined)
    )
      return { refused: NGHTTP2_PROTOCOL_ERROR };
    return { headers: out as IncomingHttpHeaders };
  }
}

/**
 * Fields as bytes, for a peer behind a socket: `u32 count`, then each name and
 * value as `u32 byte length | UTF-8`, pseudo-headers first (as Node sends them).
 */
class BlockWriter implements FieldSink {
  readonly fields: string[] = [];
  private pseudoEnd = 0;

  field(key: string, value: string, pseudo: boolean): void {
    if (!pseudo) this.fields.push(key, value);
    else this.fields.splice((this.pseudoEnd += 2) - 2, 0, key, value);
  }
}

export function encodeFields(fields: readonly string[]): Buffer {
  let bound = 4;
  for (const text of fields) bound += 4 + 3 * text.length;
  const out = Buffer.allocUnsafe(bound);
  let at = out.writeUInt32LE(fields.length >> 1, 0);
  for (const text of fields) {
    const n = out.write(text, at + 4);
    at = out.writeUInt32LE(n, at) + n;
  }
  return out.subarray(0, at);
}

/**
 * An outgoing block, checked as Node's sending side checks it (throwing what
 * it throws): for a peer in memory, folded at once as its receiving side
 * would fold it (no list in between); for one behind a socket, as bytes.
 * `defaults` are pseudo-headers Node adds, `status` replaces `:status`, `date`
 * goes last.
 */
export function sendBlock(
  inMemory: boolean,
  headers: OutgoingHttpHeaders,
  block: HeaderBlock,
  defaults?: Record<string, string>,
  status?: string,
  date?: string,
): HeaderFold | Buffer {
  const sink = inMemory ? new HeaderFold(block) : new BlockWriter();
  visitHeaders(headers, block, sink, defaults, status);
  if (date !== undefined) sink.field('date', date, false);
  return sink instanceof HeaderFold ? sink : encodeFields(sink.fields);
}

/**
 * A received block, folded; undefined when its bytes are malformed. Every
 * length is checked against what is left before it is read, and past Node's
 * field limit the rest is not read (the block is refused for its count).
 */
export function receiveBlock(h: HeaderFold | Buffer, block: HeaderBlock): HeaderFold | undefined {
  if (!Buffer.isBuffer(h)) return h;
  const fold = new HeaderFold(block);
  let at = 4;
  const text = (): string | undefined => {
    const n = h.length - at >= 4 ? h.readUInt32LE(at) : Infinity;
    if (n > h.length - at - 4) return undefined;
    return h.toString('utf8', at + 4, (at += 4 + n));
  };
  const count = h.length >= 4 ? h.readUInt32LE(0) : -1;
  for (let i = 0; i < count && fold.count <= MAX_HEADER_PAIRS; i++) {
    const name = text();
    const value = name === undefined ? undefined : text();
    if (value === undefined) return undefined;
    fold.wireField(name!, value);
  }
  return count < 0 || (fold.count <= MAX_HEADER_PAIRS && at !== h.length) ? undefined : fold;
}

/** nghttp2's bound of a block's size (`nghttp2_hd_deflate_bound`), what Node's send limit is checked against. */
export function blockBound(bytes: Buffer): number {
  // 12, and 6 more than its octets per name and per value; a block stores 4 more per string.
  return 12 + bytes.length - 4 + 2 * bytes.readUInt32LE(0) * (6 - 4);
}
