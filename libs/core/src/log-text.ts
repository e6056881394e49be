import { FriendsError, isFriendsError } from './errors.js';

/** Longest piece of a peer's text a log line carries by default. */
export const LOG_TEXT_MAX = 200;

/**
 * Characters a terminal or a log collector may act on: C0 controls (newlines,
 * ESC and so ANSI sequences), DEL, C1 controls (0x9B is a one-byte CSI), the
 * Unicode line and paragraph separators, and bidirectional overrides (text
 * that reads differently from what it is).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A peer's text as a log line may carry it: one line, printable, at most
 * `maxLength` characters of the original (the rest is counted, not kept).
 * Unsafe characters become visible escapes (`\n`, `\x1b`, `\u2028`).
 */
export function safeLogText(value: unknown, maxLength = LOG_TEXT_MAX): string {
  const text = typeof value === 'string' ? value : String(value);
  const kept = text.length > maxLength ? text.slice(0, maxLength) : text;
  const escaped = kept.replace(UNSAFE, escapeChar);
  return text.length > maxLength ? `${escaped}…(+${text.length - maxLength} chars)` : escaped;
}

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  if (code === 0x09) return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export interface WarningThrottleOptions {
  /** Length of one reporting interval. Default 60,000 ms. */
  intervalMs?: number;
  /** Where lines go. */
  emit(err: Error): void;
}

/**
 * Keeps a flood of one kind of warning (a peer probing the unix socket, say)
 * from flooding the log: the first warning of each code in an interval is
 * reported as it comes, the rest are counted and reported as one summary when
 * the interval ends (or on `flush()`). Timers never keep the process alive.
 */
export class WarningThrottle {
  private readonly intervalMs: number;
  private readonly windows = new Map<string, { suppressed: number; last: Error | undefined; timer: NodeJS.Timeout }>();

  constructor(private readonly options: WarningThrottleOptions) {
    this.intervalMs = options.intervalMs ?? 60_000;
  }

  warn(err: Error): void {
    const code = (err as { code?: unknown }).code;
    const key = typeof code === 'string' ? code : err.name;
    const window = this.windows.get(key);
    if (window) {
      window.suppressed++;
      window.last = err;
      return;
    }
    const timer = setTimeout(() => this.close(key), this.intervalMs);
    timer.unref();
    this.windows.set(key, { suppressed: 0, last: undefined, timer });
    this.options.emit(err);
  }

  /** Reports what was counted and starts over. */
  flush(): void {
    for (const key of [...this.windows.keys()]) this.close(key);
  }

  private close(key: string): void {
    const window = this.windows.get(key);
    if (!window) return;
    clearTimeout(window.timer);
    this.windows.delete(key);
    if (window.suppressed === 0 || !window.last) return;
    const last = window.last;
    const message = `${window.suppressed} more like this (${key}) since the one reported; the last: ${last.message}`;
    const summary = isFriendsError(last) ? new FriendsError(last.code, message) : new Error(message);
    this.options.emit(summary);
  }
}
