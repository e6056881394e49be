import { LatencyHistogram } from './histogram.js';
import { runSlice, type Request, type SliceResult } from './measure.js';
import { resultKey, Tally, type Results } from './tally.js';
import type { Workload } from './workload.js';

export type Progress = (line: string) => void;

/** The timing part of the options. */
export interface RoundPlan {
  rounds: number;
  /** Measured time per variant, workload and round, in `pieces` pieces of `pieceMs`. */
  sliceMs: number;
  /**
   * A round hands out each slice in pieces of this length, alternating the
   * variants, so that every variant of a round sees the same machine state.
   */
  pieceMs: number;
  /** sliceMs / pieceMs. */
  pieces: number;
  /** Unmeasured traffic per variant and workload before the first round (and after a renewal). */
  warmupMs: number;
  /** Unmeasured traffic just before each piece, so a variant starts measuring warm after another ran. */
  leadInMs: number;
}

/** A connected variant, ready to be measured. */
export interface Contender {
  id: string;
  /** Its requests by workload key; a contender without one sits that workload out. */
  requests: ReadonlyMap<string, { measured: Request; leadIn: Request }>;
  /** Throws when the client is not on the path the variant is about. */
  check(): void | Promise<void>;
  /**
   * Replaces the contender's server process and connection before each round
   * after the first. Two identical server processes can differ by several
   * percent for as long as they live (where the scheduler keeps them); a fresh
   * one each round turns that into noise the median over rounds absorbs.
   */
  renew?(): Promise<void>;
}

/**
 * Warms each contender up, then runs the rounds: in each round every
 * contender gets one slice per workload, handed out in short pieces that
 * alternate the contenders, so drifts of the machine (CPU wake-up regimes,
 * noisy neighbours) spread over all contenders of the round alike. Each piece
 * takes the contenders in a fresh (seeded) shuffled order: with a fixed cycle,
 * a contender would always follow the same one and inherit its after-effects
 * (garbage to collect, a peer process gone idle) every time.
 */
export async function runRounds(
  plan: RoundPlan,
  workloads: readonly Workload[],
  contenders: readonly Contender[],
  progress: Progress,
): Promise<Results> {
  const scratch = new LatencyHistogram();
  await warmUp(plan, workloads, contenders, scratch);
  progress(`warmed up ${contenders.length} variant(s)`);

  const tallies = new Map<string, Tally>();
  const random = seededRandom(0x5eed);
  for (let round = 0; round < plan.rounds; round++) {
    if (round > 0) {
      const renewing = contenders.filter((c) => c.renew);
      for (const contender of renewing) await contender.renew!();
      await warmUp(plan, workloads, renewing, scratch);
    }
    for (const workload of workloads) {
      const taking = contenders.filter((c) => c.requests.has(workload.key));
      const slices = new Map(taking.map((c) => [c, new SliceTotal()]));
      const { pieces, pieceMs } = piecesOf(plan, workload);
      for (let piece = 0; piece < pieces; piece++) {
        for (const contender of shuffled(taking, random)) {
          const request = contender.requests.get(workload.key)!;
          await runSlice(request.leadIn, workload.concurrency, plan.leadInMs, scratch);
          const total = slices.get(contender)!;
          total.add(await runSlice(request.measured, workload.concurrency, pieceMs, total.histogram));
          // A dropped and re-made connection could land on another path mid-run.
          await contender.check();
        }
      }
      for (const [contender, total] of slices) {
        const key = resultKey(contender.id, workload.key);
        let tally = tallies.get(key);
        if (!tally) tallies.set(key, (tally = new Tally()));
        tally.add(total, total.histogram);
        const rate = Math.round((total.requests * workload.items * 1e9) / total.elapsedNs);
        progress(`round ${round + 1}/${plan.rounds} ${workload.label} ${contender.id}: ${rate} ${workload.unit}`);
      }
    }
  }
  return new Map([...tallies].map(([key, tally]) => [key, tally.summary()]));
}

/** Unmeasured traffic from each contender on each of its workloads, checking its path after. */
async function warmUp(
  plan: RoundPlan,
  workloads: readonly Workload[],
  contenders: readonly Contender[],
  scratch: LatencyHistogram,
): Promise<void> {
  for (const workload of workloads) {
    for (const contender of contenders) {
      const request = contender.requests.get(workload.key);
      if (!request) continue;
      await runSlice(request.measured, workload.concurrency, plan.warmupMs, scratch);
      await contender.check();
    }
  }
}

/** How a workload's slice is cut: the plan's pieces, unless the workload needs longer ones. */
export function piecesOf(plan: RoundPlan, workload: Workload): { pieces: number; pieceMs: number } {
  if (!workload.minPieceMs || plan.pieceMs >= workload.minPieceMs)
    return { pieces: plan.pieces, pieceMs: plan.pieceMs };
  const pieces = Math.max(1, Math.floor(plan.sliceMs / workload.minPieceMs));
  return { pieces, pieceMs: plan.sliceMs / pieces };
}

/** One contender's pieces of a round, added up. */
class SliceTotal implements SliceResult {
  readonly histogram = new LatencyHistogram();
  requests = 0;
  elapsedNs = 0;

  add(piece: SliceResult): void {
    this.requests += piece.requests;
    this.elapsedNs += piece.elapsedNs;
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
