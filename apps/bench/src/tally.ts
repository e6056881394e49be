import type { RecordableHistogram } from 'node:perf_hooks';
import type { SliceResult } from './measure.js';
import { addUsage, type Usage } from './meter/usage.js';

/** One variant on one workload in one round: its pieces added up. */
export interface RoundFigures {
  requests: number;
  elapsedNs: number;
  /** Requests per second (multiply by the workload's items for messages). */
  rps: number;
  p50Us: number;
  p99Us: number;
  /** The benchmark process: the client, and for same-process variants the server too. */
  client: Usage;
  /** The server's process, when it has its own. */
  server?: Usage;
  /** The round's allocation piece: requests made in it, and V8 heap bytes allocated on each side. */
  heap?: HeapFigures;
}

export interface HeapFigures {
  requests: number;
  clientBytes: number;
  serverBytes?: number;
}

/** A round's pieces of one variant on one workload, as they come. */
export class RoundTotal {
  requests = 0;
  elapsedNs = 0;
  private client: Usage | undefined;
  private server: Usage | undefined;
  private heap: HeapFigures | undefined;

  constructor(readonly histogram: RecordableHistogram) {}

  add(piece: SliceResult, client: Usage, server: Usage | undefined): void {
    this.requests += piece.requests;
    this.elapsedNs += piece.elapsedNs;
    this.client = addUsage(this.client, client);
    if (server) this.server = addUsage(this.server, server);
  }

  /** The round's allocation piece, metered apart (see rounds.ts). */
  addHeap(piece: SliceResult, client: Usage, server: Usage | undefined): void {
    this.heap = {
      requests: piece.requests,
      clientBytes: client.heapBytes ?? 0,
      ...(server?.heapBytes === undefined ? {} : { serverBytes: server.heapBytes }),
    };
  }

  figures(): RoundFigures {
    return {
      requests: this.requests,
      elapsedNs: this.elapsedNs,
      rps: this.elapsedNs > 0 ? (this.requests * 1e9) / this.elapsedNs : 0,
      p50Us: this.histogram.percentile(50) / 1e3,
      p99Us: this.histogram.percentile(99) / 1e3,
      client: this.client!,
      ...(this.server ? { server: this.server } : {}),
      ...(this.heap ? { heap: this.heap } : {}),
    };
  }
}

/** Every round of every variant on every workload, by `resultKey`. */
export type Results = Map<string, RoundFigures[]>;

/** Why a variant has no figures for a workload: the error, or the request that never got an answer. */
export type Failures = Map<string, string>;

export function resultKey(variantId: string, workloadKey: string): string {
  return `${variantId}@${workloadKey}`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
