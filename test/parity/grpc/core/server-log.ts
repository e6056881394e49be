import { describe, type Json } from './describe.js';
import { sleep } from './timing.js';

interface CallLog {
  kind: 'handler' | 'interceptor';
  path: string;
  backend: number;
  events: Json[];
  /** Events counted rather than placed in order (their timing against the others is not stock's to keep). */
  counts: Record<string, number>;
}

export type Recorder = (label: string, value?: unknown) => void;

export interface CallRecorder {
  rec: Recorder;
  count(label: string): void;
}

const QUIET_MS = 6;
const POLL_MS = 3;
const MAX_WAIT_MS = 1_500;

/**
 * Everything a server's handlers and interceptors saw, one log per call in
 * the order the calls reached them. Scenarios run one at a time, so a
 * scenario's entries are the logs for its own paths plus those for paths no
 * scenario owns (a handshake, an unknown method).
 */
export class ServerLog {
  private logs: CallLog[] = [];
  private changes = 0;

  open(kind: CallLog['kind'], path: string, backend: number): CallRecorder {
    const log: CallLog = { kind, path, backend, events: [], counts: {} };
    this.logs.push(log);
    this.changes++;
    return {
      rec: (label, value) => {
        log.events.push(value === undefined ? [label] : [label, describe(value)]);
        this.changes++;
      },
      count: (label) => {
        log.counts[label] = (log.counts[label] ?? 0) + 1;
        this.changes++;
      },
    };
  }

  /**
   * Waits until `logs` logs of `path` hold an event (or a count) labelled
   * `label`, at most `limitMs`; tells whether they came.
   */
  async waitFor(path: string, label: string, limitMs: number, logs = 1): Promise<boolean> {
    const started = Date.now();
    const seen = (): boolean =>
      this.logs.filter(
        (log) =>
          log.path === path &&
          (log.counts[label] !== undefined || log.events.some((event) => Array.isArray(event) && event[0] === label)),
      ).length >= logs;
    while (!seen()) {
      if (Date.now() - started > limitMs) return false;
      await sleep(POLL_MS);
    }
    return true;
  }

  /** Waits until nothing was recorded for a few ms (and `extraMs` more), then hands over the scenario's logs. */
  async take(paths: readonly string[], isScenarioPath: (path: string) => boolean, extraMs = 0): Promise<Json[]> {
    const started = Date.now();
    if (extraMs > 0) await sleep(extraMs);
    for (;;) {
      const seen = this.changes;
      await sleep(QUIET_MS);
      if (seen === this.changes || Date.now() - started > MAX_WAIT_MS) break;
    }
    const mine = this.logs.filter((log) => paths.includes(log.path) || !isScenarioPath(log.path));
    // Logs of other scenarios are late events of runs already compared: dropped.
    this.logs = [];
    return mine.map((log) => [
      log.kind,
      {
        path: log.path,
        ...(log.backend ? { backend: log.backend } : {}),
        events: log.events,
        ...(Object.keys(log.counts).length > 0 ? { counted: log.counts } : {}),
      },
    ]);
  }
}
