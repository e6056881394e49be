/** Calls sent, and how each settled: none may be lost. */
export class Tally {
  sent = 0;
  succeeded = 0;
  failed = 0;
  /** Failures by message (or code), for the report and for checks. */
  readonly errors = new Map<string, number>();
  private readonly open = new Set<Promise<unknown>>();

  /** Counts a call and follows it until it settles. */
  track(call: Promise<unknown>, describeError: (err: unknown) => string = messageOf): Promise<void> {
    this.sent++;
    const followed = call.then(
      () => void this.succeeded++,
      (err: unknown) => {
        this.failed++;
        const key = describeError(err);
        this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
      },
    );
    this.open.add(followed);
    void followed.then(() => this.open.delete(followed));
    return followed;
  }

  get outstanding(): number {
    return this.open.size;
  }

  /** Waits until every call settled, or `timeoutMs` passed; resolves with the calls still unsettled. */
  async settled(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.open.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.all(this.open), new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    return this.open.size;
  }

  summary(): { sent: number; succeeded: number; failed: number; errors: Record<string, number> } {
    return { sent: this.sent, succeeded: this.succeeded, failed: this.failed, errors: Object.fromEntries(this.errors) };
  }
}

export function messageOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.message === 'string') return e.message;
  return String(err);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds or `timeoutMs` passes; resolves with its last answer. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
