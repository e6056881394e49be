import type { BenchOptions } from './options.js';
import type { Workload } from './workload.js';

/*
 * Round trips between processes on a small VM swing between regimes several
 * times apart (how fast an idle vCPU wakes up), each lasting seconds; pieces
 * much shorter than that put both sides of every ratio in the same regime.
 */
const PIECE_MS = 100;
const LEAD_IN_MS = 15;

/** The timing of a run. */
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
  /** The piece per variant, workload and round in which heap allocation is measured (its rate is not counted). */
  heapPieceMs: number;
  /**
   * Whether variants with a server process of their own get a new one each
   * round (see Contender.renew). A quick run keeps them: restarting takes
   * seconds.
   */
  renewEachRound: boolean;
}

export function planOf(options: BenchOptions): RoundPlan {
  const pieces = Math.max(1, Math.round(options.sliceMs / PIECE_MS));
  return {
    rounds: options.rounds,
    sliceMs: options.sliceMs,
    pieceMs: options.sliceMs / pieces,
    pieces,
    warmupMs: Math.max(50, Math.round(options.sliceMs / 2)),
    leadInMs: options.quick ? 10 : LEAD_IN_MS,
    heapPieceMs: options.quick ? 40 : options.sliceMs / pieces,
    renewEachRound: !options.quick,
  };
}

/** How a workload's slice is cut: the plan's pieces, unless the workload needs longer ones. */
export function piecesOf(plan: RoundPlan, workload: Workload): { pieces: number; pieceMs: number } {
  if (!workload.minPieceMs || plan.pieceMs >= workload.minPieceMs)
    return { pieces: plan.pieces, pieceMs: plan.pieceMs };
  const pieces = Math.max(1, Math.floor(plan.sliceMs / workload.minPieceMs));
  return { pieces, pieceMs: plan.sliceMs / pieces };
}
