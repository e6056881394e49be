import type { LogLine } from './logs.js';
import type { Entry } from './recorder.js';

/** Requests the test process sends a server host over IPC; each is answered with `{ id, ok, result | error }`. */
export type HostRequest =
  | { id: number; op: 'start'; port: number }
  | { id: number; op: 'close' }
  | { id: number; op: 'peek' }
  | { id: number; op: 'take' };

export interface StartResult {
  port: number;
  unixPath: string | null;
}

export interface TakeResult {
  entries: Entry[];
  logs: LogLine[];
}

export type HostReply = { id: number; ok: true; result?: unknown } | { id: number; ok: false; error: string };
