import type { RecordableHistogram } from 'node:perf_hooks';
import type { Contender } from './contender.js';
import { latencyHistogram, runSlice, type SliceResult } from './measure.js';
import { ProcessMeter } from './meter/process-meter.js';
import type { Usage } from './meter/usage.js';
import { piecesOf, type RoundPlan } from './plan.js';
import type { Progress } from './progress.js';
import { resultKey, RoundTotal, type Failures, type Results } from './tally.js';
import type { Workload } from './workload.js';

/**
 * Longest a slice may take past its deadline. A slice ends when its last
 * request does; a transport that stops answering (the stock Nest transport
 * deadlocks with enough large requests in flight: both ends stop reading
 * while their writes back up) must fail its workload, not stall the run.
 */
const STALL_MS = 10_000;

/**
 * Warms each contender up, then runs the rounds: in each round every
 * contender gets one slice per workload, handed out in short pieces that
 * alternate the contenders of one placement (one process, then two), so
 * drifts of the machine (CPU wake-up regimes, noisy neighbours) spread over
 * the contenders compared alike. Placements take turns rather than mix: a
 * one-process piece right after a two-process one shares the CPUs with what
 * the other process still does (its collector, its compiler), and measured
 * 20–30% slower for it on 2 vCPUs. Each piece takes the contenders in a fresh
 * (seeded) shuffled order: with a fixed cycle, a contender would always follow
 * the same one and inherit its after-effects (garbage to collect, a peer
 * process gone idle) every time.
 *
 * Each measured piece is metered on both sides: this process, and the
 * server's process when it has one (told over IPC when the piece starts and
 * ends, without waiting, so no pause opens between the lead-in and the piece):
 * CPU time and RSS. Heap allocation is measured in one more piece per round,
 * whose rate and latencies are not counted: following the heap slows every
 * garbage collection down.
 *
 * A contender whose requests fail or stall on a workload sits the rest of
 * that workload out, with the reason in `failures`, on a new connection.
 */
export async function runRounds(
  name: string,
  plan: RoundPlan,
  workloads: readonly Workload[],
  contenders: readonly Contender[],
  progress: Progress,
): Promise<{ results: Results; failures: Failures }> {
  const results: Results = new Map();
  const failures: Failures = new Map();
  const taking = (w: Workload, among = contenders): Contender[] =>
    among.filter((c) => c.requests.has(w.key) && !failures.has(resultKey(c.id, w.key)));
  const warmUpMs = (among: readonly Contender[]): number =>
    workloads.reduce((sum, w) => sum + taking(w, among).length * plan.warmupMs, 0);
  /** A contender's traffic on a workload in one round: its measured pieces and its heap piece, each with a lead-in. */
  const roundMs = (w: Workload): number => {
    const { pieces, pieceMs } = piecesOf(plan, w);
    return pieces * (pieceMs + plan.leadInMs) + plan.heapPieceMs + plan.leadInMs;
  };
  const renewing = plan.renewEachRound ? contenders.filter((c) => c.renew) : [];
  progress.plan(warmUpMs(contenders) + (plan.rounds - 1) * warmUpMs(renewing));
  for (const w of workloads) progress.plan(plan.rounds * taking(w).length * roundMs(w));

  const fail = async (contender: Contender, workload: Workload, err: unknown, leftMs: number): Promise<void> => {
    const key = resultKey(contender.id, workload.key);
    failures.set(key, (err as Error).message ?? String(err));
    results.delete(key);
    progress.plan(-leftMs);
    progress.line(`${name} ${workload.label}: ${contender.id} failed: ${failures.get(key)}`);
    await contender.reset();
  };

  const scratch = latencyHistogram();
  /** Warm-up before round `round` (0: the first). */
  const warmUp = async (among: readonly Contender[], round: number, where: string): Promise<void> => {
    for (const workload of workloads) {
      for (const contender of taking(workload, among)) {
        progress.step(0, `${where} · ${workload.label} · ${contender.id}`);
        const request = contender.requests.get(workload.key)!;
        try {
          await guarded(runSlice(request.measured, workload.concurrency, plan.warmupMs, scratch), plan.warmupMs);
        } catch (err) {
          await fail(contender, workload, err, (plan.rounds - round) * roundMs(workload));
        }
        await contender.check();
        progress.step(plan.warmupMs, `${where} · ${workload.label} · ${contender.id}`);
      }
    }
  };

  await warmUp(contenders, 0, `${name} warm-up`);
  const meter = new ProcessMeter();
  /** A lead-in, then one metered slice; throws when either fails or stalls. */
  const piece = async (
    contender: Contender,
    workload: Workload,
    ms: number,
    histogram: RecordableHistogram,
    heap: boolean,
  ): Promise<{ slice: SliceResult; client: Usage; server: Usage | undefined }> => {
    const request = contender.requests.get(workload.key)!;
    await guarded(runSlice(request.leadIn, workload.concurrency, plan.leadInMs, scratch), plan.leadInMs);
    const server = contender.server();
    server?.begin(heap);
    meter.begin(heap);
    let slice: SliceResult | undefined;
    let error: unknown;
    try {
      slice = await guarded(runSlice(request.measured, workload.concurrency, ms, histogram), ms);
    } catch (err) {
      error = err;
    }
    // Both windows end either way, so each process is ready for the next.
    const client = meter.endNow();
    const serverUsage = await server?.end();
    if (!slice) throw error;
    return { slice, client, server: serverUsage };
  };
  const random = seededRandom(0x5eed);
  for (let round = 0; round < plan.rounds; round++) {
    const roundName = `${name} round ${round + 1}/${plan.rounds}`;
    if (round > 0) {
      await Promise.all(renewing.map((contender) => contender.renew!()));
      await warmUp(renewing, round, `${roundName} warm-up`);
    }
    for (const workload of workloads) {
      const totals = new Map(taking(workload).map((c) => [c, new RoundTotal(latencyHistogram())]));
      const { pieces, pieceMs } = piecesOf(plan, workload);
      const pieceLength = (heap: boolean): number => (heap ? plan.heapPieceMs : pieceMs);
      const stepMs = (heap: boolean): number => pieceLength(heap) + plan.leadInMs;
      // The rate pieces, then one allocation piece each: following the heap slows collections down.
      // One placement's pieces, then the other's (see above).
      for (const local of [true, false])
        for (let index = 0; index <= pieces; index++) {
          const heap = index === pieces;
          const here = [...totals.keys()].filter((c) => !c.server() === local);
          for (const contender of shuffled(here, random)) {
            const where = `${roundName} · ${workload.label} · ${contender.id}${heap ? ' (heap)' : ''}`;
            progress.step(0, where);
            const total = totals.get(contender)!;
            try {
              const histogram = heap ? scratch : total.histogram;
              const { slice, client, server } = await piece(contender, workload, pieceLength(heap), histogram, heap);
              if (heap) total.addHeap(slice, client, server);
              else total.add(slice, client, server);
            } catch (err) {
              totals.delete(contender);
              const left =
                (pieces - index - 1) * stepMs(false) +
                (heap ? 0 : stepMs(true)) +
                (plan.rounds - round - 1) * roundMs(workload);
              await fail(contender, workload, err, left);
            }
            // A dropped and re-made connection could land on another path mid-run.
            await contender.check();
            progress.step(stepMs(heap), where);
          }
        }
      const rates: string[] = [];
      for (const [contender, total] of totals) {
        const key = resultKey(contender.id, workload.key);
        const figures = total.figures();
        results.set(key, [...(results.get(key) ?? []), figures]);
        rates.push(`${contender.id} ${Math.round(figures.rps * workload.items).toLocaleString('en-US')}`);
      }
      progress.line(`${roundName} ${workload.label} (${workload.unit}): ${rates.join(', ')}`);
    }
  }
  return { results, failures };
}

/** `work` (a slice of `durationMs`), or an error once it has run STALL_MS past its deadline. */
async function guarded<T>(work: Promise<T>, durationMs: number): Promise<T> {
  // Requests still hanging when the slice is given up fail later, when their connection is dropped.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`requests still unanswered ${STALL_MS / 1e3} s after the slice's end`)),
      durationMs + STALL_MS,
    );
  });
  try {
    return await Promise.race([work, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** A copy of `items` in random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A small deterministic generator (mulberry32), so every run uses the same orders. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
