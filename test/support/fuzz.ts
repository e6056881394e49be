import fc from 'fast-check';
import { encodeCompactFrame, encodeStockFrame, AUTH_FRAME } from '@friends/core/internal';
import type { RawPeer } from './raw.js';

/** The seed of every server-side fuzz property: the same inputs, in the same order, on every run. */
export const FUZZ_SEED = 0x5ec5eed;
/** Time each live property runs for (FRIENDS_FUZZ_BUDGET_MS overrides it, for longer hunts). */
export const FUZZ_BUDGET_MS = Number(process.env.FRIENDS_FUZZ_BUDGET_MS) || 2_000;
/** FRIENDS_SEC_REPORT=1 prints how many inputs each property tried. */
const REPORT = process.env.FRIENDS_SEC_REPORT === '1';

/** Runs an async property for FUZZ_BUDGET_MS with the fixed seed; returns the number of inputs tried. */
export async function fuzz<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  property: (value: T) => Promise<void>,
): Promise<number> {
  let runs = 0;
  let last: Promise<void> = Promise.resolve();
  await fc.assert(
    fc.asyncProperty(arbitrary, (value) => {
      runs++;
      last = property(value);
      return last;
    }),
    { seed: FUZZ_SEED, numRuns: 1_000_000, interruptAfterTimeLimit: FUZZ_BUDGET_MS, markInterruptAsFailure: false },
  );
  // The time limit does not wait for the run in flight: it must finish (and pass) within this test.
  await last;
  if (REPORT) process.stderr.write(`fuzz ${name}: ${runs} inputs\n`);
  return runs;
}

/**
 * Calls that keep going while a fuzz runs: each loop makes one call after
 * another and counts what succeeded and what failed.
 */
export class Traffic {
  ok = 0;
  readonly failures: string[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(calls: Record<string, () => Promise<void>>) {
    this.loops = Object.entries(calls).map(async ([name, call]) => {
      while (this.running) {
        try {
          await call();
          this.ok++;
        } catch (err) {
          this.failures.push(`${name}: ${(err as Error)?.message ?? String(err)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** Resolves 'closed' once the peer closed, or 'open' once it has been quiet for `idleMs`. */
export async function settle(peer: RawPeer, idleMs: number, maxMs = 2_000): Promise<'closed' | 'open'> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const seen = peer.received.length;
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), idleMs)));
    const result = await Promise.race([peer.closed.then(() => 'closed' as const), quiet]);
    clearTimeout(timer);
    if (result === 'closed') return result;
    if (peer.received.length === seen || Date.now() > deadline) return 'open';
  }
}

/** Writes `chunks` one write each. */
export function writeAll(peer: RawPeer, chunks: readonly Uint8Array[]): void {
  for (const chunk of chunks) if (!peer.socket.destroyed) peer.socket.write(chunk);
}

const jsonValue = fc.jsonValue({ maxDepth: 4 });
const noise = fc.uint8Array({ minLength: 1, maxLength: 256 });

/** Bytes cut at random places. */
export function chunked(bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array[]> {
  return bytes.chain((all) =>
    fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, all.length - 1) }), { maxLength: 4 }).map((cuts) => {
      const points = [0, ...cuts.filter((c) => c < all.length).sort((a, b) => a - b), all.length];
      return points.slice(1).map((end, i) => all.subarray(points[i], end));
    }),
  );
}

/** Stock-wire input: frames of random packets (valid or not), bad prefixes, huge lengths, noise. */
export function stockWireInput(maxFrameSize: number): fc.Arbitrary<Uint8Array> {
  const packet = fc.record(
    {
      pattern: fc.oneof(fc.constantFrom('sum', '$friends.hello.v1'), fc.string({ maxLength: 40 }), jsonValue),
      data: jsonValue,
      id: fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), jsonValue),
      metadata: jsonValue,
    },
    { requiredKeys: [] },
  );
  return fc
    .array(
      fc.oneof(
        packet.map((p) => encodeStockFrame(JSON.stringify(p))),
        jsonValue.map((v) => encodeStockFrame(JSON.stringify(v))),
        fc.string({ maxLength: 60 }).map((s) => `${s.length}#${s}`),
        fc.integer({ min: maxFrameSize + 1, max: Number.MAX_SAFE_INTEGER }).map((n) => `${n}#`),
        fc.nat({ max: maxFrameSize }).map((n) => `${n}#{`),
        fc.constantFrom('#', '-1#{}', '1e3#', ' 2#{}', '00000000000000000000001#', '\u0000#', '3#\u{1f600}'),
        noise.map((bytes) => Buffer.from(bytes).toString('latin1')),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'utf8')));
}

/** Compact-framing input: frames of any type with random ids and payloads, huge lengths, noise. */
export function compactInput(types: readonly number[]): fc.Arbitrary<Uint8Array> {
  return fc
    .array(
      fc.oneof(
        fc
          .record({
            type: fc.oneof(fc.constantFrom(...types), fc.nat({ max: 255 })),
            id: fc.oneof(fc.nat({ max: 9 }), fc.nat()),
            payload: fc.oneof(
              fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
              jsonValue.map((v) => Buffer.from(JSON.stringify(v))),
              fc.array(fc.string({ maxLength: 20 }), { maxLength: 6 }).map((list) => Buffer.from(JSON.stringify(list))),
              fc.nat().map((n) => {
                const b = Buffer.alloc(4);
                b.writeUInt32LE(n);
                return b;
              }),
            ),
          })
          .map(({ type, id, payload }) => encodeCompactFrame(type, id, payload)),
        fc.integer({ min: 0, max: 0xffffffff }).map((length) => {
          const b = Buffer.alloc(9);
          b.writeUInt32LE(length);
          return b;
        }),
        noise.map((b) => Buffer.from(b)),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((parts) => new Uint8Array(Buffer.concat(parts)));
}

/** What a peer may send on a unix socket before it is admitted: tickets true and false, frames, noise. */
export function admissionInput(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc
      .oneof(fc.base64String({ maxLength: 64 }), fc.string({ maxLength: 300 }))
      .map((ticket) => new Uint8Array(encodeCompactFrame(AUTH_FRAME, 0, ticket))),
    compactInput([AUTH_FRAME, AUTH_FRAME + 1, 1]),
  );
}
