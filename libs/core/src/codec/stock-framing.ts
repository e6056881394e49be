import { StringDecoder } from 'node:string_decoder';
import { ErrorCodes, FriendsError, frameTooLarge } from '../errors.js';
import { safeLogText } from '../log-text.js';
import { mapFrames, type DecoderLimits, type MessageCodec, type MessageDecoder } from './codec.js';

/**
 * The stock NestJS TCP framing: `<length>#<json>` back to back, where length is
 * the JSON string's length in UTF-16 code units (not bytes), written as UTF-8.
 */
export function encodeStockFrame(json: string): string {
  return `${json.length}#${json}`;
}

/** Longest length prefix we read before deciding it is garbage (2^53 has 16 digits). */
const MAX_PREFIX_DIGITS = 16;

/** Splits a character stream into the JSON texts of stock frames. */
export class StockFrameDecoder {
  private buffer = '';
  private expected = -1;
  private readonly utf8 = new StringDecoder('utf8');

  constructor(private readonly limits: DecoderLimits) {}

  get partial(): boolean {
    return this.expected >= 0 || this.buffer.length > 0;
  }

  push(chunk: Buffer | string): string[] {
    const text = typeof chunk === 'string' ? chunk : this.utf8.write(chunk);
    const buffer = this.buffer.length === 0 ? text : this.buffer + text;
    const frames: string[] = [];
    let pos = 0;
    for (;;) {
      if (this.expected < 0) {
        const hash = buffer.indexOf('#', pos);
        if (hash === -1) {
          if (buffer.length - pos > MAX_PREFIX_DIGITS) throw badPrefix(buffer.slice(pos, pos + MAX_PREFIX_DIGITS));
          break;
        }
        this.expected = parseLength(buffer, pos, hash, this.limits.maxFrameSize);
        pos = hash + 1;
      }
      if (buffer.length - pos < this.expected) break;
      frames.push(buffer.slice(pos, pos + this.expected));
      pos += this.expected;
      this.expected = -1;
    }
    this.buffer = pos === buffer.length ? '' : pos === 0 ? buffer : buffer.slice(pos);
    return frames;
  }
}

function parseLength(buffer: string, start: number, end: number, max: number): number {
  if (end === start || end - start > MAX_PREFIX_DIGITS) throw badPrefix(buffer.slice(start, Math.min(end, start + 32)));
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buffer.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw badPrefix(buffer.slice(start, Math.min(end, start + 32)));
    n = n * 10 + d;
  }
  if (n > max) throw frameTooLarge(n);
  return n;
}

function badPrefix(raw: string): FriendsError {
  // JSON quotes and escapes C0 controls; what it leaves (C1, separators, bidi) must not reach a log either.
  return new FriendsError(ErrorCodes.BAD_FRAME, `Corrupted length prefix ${safeLogText(JSON.stringify(raw))}`);
}

export function parseJsonFrame(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new FriendsError(ErrorCodes.BAD_JSON, `Frame is not valid JSON (${json.length} characters)`, { cause });
  }
}

/**
 * Whole JSON values framed the stock way. `null` decodes to `{}`, as stock does.
 */
export const stockJsonCodec: MessageCodec<object> = {
  encode(message: object): string {
    return encodeStockFrame(JSON.stringify(message));
  },
  createDecoder: (limits: DecoderLimits): MessageDecoder<object> =>
    mapFrames(new StockFrameDecoder(limits), (json) => (parseJsonFrame(json) as object | null) ?? {}),
};
