/** One finished span, as the mesh's processes report it. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** SERVER, CLIENT, PRODUCER, CONSUMER or INTERNAL. */
  kind: string;
  /** The process's service name. */
  service: string;
  startUs: number;
  durationUs: number;
  attributes: Record<string, unknown>;
  error?: string;
}

const MAX_SPANS = 5_000;

/** The latest spans of every process of the mesh, grouped into traces on demand. */
export class TraceStore {
  private readonly spans: SpanRecord[] = [];

  add(span: SpanRecord): void {
    this.spans.push(span);
    if (this.spans.length > MAX_SPANS) this.spans.splice(0, this.spans.length - MAX_SPANS);
  }

  /** The spans of one trace, parents before children. */
  trace(traceId: string): SpanRecord[] {
    return this.spans.filter((s) => s.traceId === traceId).sort((a, b) => a.startUs - b.startUs);
  }

  /** The latest `limit` traces that have a root span (newest first). */
  recent(limit = 20): { traceId: string; root: string; spans: SpanRecord[] }[] {
    const roots = this.spans
      .filter((s) => s.parentSpanId === undefined)
      .slice(-limit)
      .reverse();
    return roots.map((root) => ({ traceId: root.traceId, root: root.name, spans: this.trace(root.traceId) }));
  }
}

/** The store of this process's mesh; the launcher also feeds it the spans of the services' processes. */
export const traceStore = new TraceStore();
