const WAIT_TIMEOUT_MS = 10_000;
/** Sinks remembered at once; the benchmark makes one per client. */
const MAX_SINKS = 1024;

interface Waiter {
  expected: number;
  resolve: (count: number) => void;
}

/**
 * Events received, counted per sink (one per client), and flushes waiting
 * until a sink has seen a given number: the completion check of the events
 * workload, which a fire-and-forget `emit()` cannot give by itself.
 */
export class EventSinks {
  private readonly counts = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();

  count(sink: string): void {
    if (!this.counts.has(sink) && this.counts.size >= MAX_SINKS) this.counts.clear();
    const count = (this.counts.get(sink) ?? 0) + 1;
    this.counts.set(sink, count);
    const waiting = this.waiters.get(sink);
    if (!waiting) return;
    const ready = waiting.filter((w) => w.expected <= count);
    if (ready.length === 0) return;
    const rest = waiting.filter((w) => w.expected > count);
    if (rest.length > 0) this.waiters.set(sink, rest);
    else this.waiters.delete(sink);
    for (const waiter of ready) waiter.resolve(count);
  }

  /** Resolves with the sink's count once it reaches `expected`; rejects after 10 s. */
  whenReached(sink: string, expected: number): Promise<number> {
    const count = this.counts.get(sink) ?? 0;
    if (count >= expected) return Promise.resolve(count);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const waiting = this.waiters.get(sink)?.filter((w) => w !== waiter);
        if (waiting?.length) this.waiters.set(sink, waiting);
        else this.waiters.delete(sink);
        reject(
          new Error(`sink ${sink}: ${this.counts.get(sink) ?? 0} of ${expected} events after ${WAIT_TIMEOUT_MS} ms`),
        );
      }, WAIT_TIMEOUT_MS);
      const waiter: Waiter = {
        expected,
        resolve: (n) => {
          clearTimeout(timer);
          resolve(n);
        },
      };
      this.waiters.set(sink, [...(this.waiters.get(sink) ?? []), waiter]);
    });
  }
}
