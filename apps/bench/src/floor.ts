import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildServer } from './child-server.js';
import type { Request } from './measure.js';
import type { ReportedVariant } from './report.js';
import { runRounds, type Contender, type Progress, type RoundPlan } from './rounds.js';
import type { Results } from './tally.js';
import type { Workload } from './workload.js';

const ENTRY = fileURLToPath(new URL('./floor-process.js', import.meta.url));
export const FLOOR_BYTES = 64;

/**
 * The platform floor: no RPC at all, only 64 bytes written to a unix socket,
 * echoed by another process and read back. No transport between two
 * processes can beat it, so `floor-unix / stock-across` is the highest ratio
 * any same-host fast path could reach on this machine.
 */
export const FLOOR_VARIANT: ReportedVariant = {
  id: 'floor-unix',
  label: `bare unix socket, two processes: ${FLOOR_BYTES} bytes written, echoed and read back, no RPC (the platform floor)`,
  tier: 'unix',
};

/** A suite's own variant ids out of a run's selection (undefined: all of them). */
export function withoutFloor(variantIds: readonly string[] | undefined): string[] | undefined {
  return variantIds?.filter((id) => id !== FLOOR_VARIANT.id);
}

/**
 * A suite's rounds, with the floor among the contenders unless the run's
 * selection (undefined: everything) leaves it out; `reported` is the floor's
 * row when it ran, to go after the suite's own variants.
 */
export async function runRoundsWithFloor(
  plan: RoundPlan,
  variantIds: readonly string[] | undefined,
  workloads: readonly Workload[],
  contenders: readonly Contender[],
  progress: Progress,
): Promise<{ results: Results; reported: ReportedVariant[] }> {
  if (variantIds && !variantIds.includes(FLOOR_VARIANT.id)) {
    return { results: await runRounds(plan, workloads, contenders, progress), reported: [] };
  }
  const floor = await FloorEcho.start();
  try {
    const results = await runRounds(plan, workloads, [...contenders, floor.contender(workloads)], progress);
    return { results, reported: [FLOOR_VARIANT] };
  } finally {
    await floor.close();
  }
}

/** A unix socket echo in a child process, and one connection to it. */
class FloorEcho {
  private readonly waiting: (() => void)[] = [];
  private pending = 0;
  private readonly message = Buffer.alloc(FLOOR_BYTES, 0x66);

  private constructor(
    private readonly child: ChildServer,
    private readonly socket: Socket,
    private readonly dir: string,
  ) {
    socket.on('data', (chunk) => {
      // Echoes of pipelined requests may arrive coalesced or split: count bytes.
      this.pending += chunk.length;
      while (this.pending >= FLOOR_BYTES && this.waiting.length > 0) {
        this.pending -= FLOOR_BYTES;
        this.waiting.shift()!();
      }
    });
  }

  static async start(): Promise<FloorEcho> {
    const dir = mkdtempSync(join(tmpdir(), 'friends-floor-'));
    const path = join(dir, 'echo.sock');
    let child: ChildServer | undefined;
    try {
      child = await ChildServer.start(ENTRY, [path], 'unix echo');
      const socket = connect(path);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      return new FloorEcho(child, socket, dir);
    } catch (err) {
      await child?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** One round trip. */
  readonly request: Request = () =>
    new Promise<void>((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(this.message);
    });

  /** The floor as a contender, in the round-trip workloads only. */
  contender(workloads: readonly Workload[]): Contender {
    const roundTrip = { measured: this.request, leadIn: this.request };
    return {
      id: FLOOR_VARIANT.id,
      requests: new Map(workloads.filter((w) => w.items === 1).map((w) => [w.key, roundTrip])),
      check: () => {
        if (this.socket.destroyed) throw new Error(`${FLOOR_VARIANT.id}: the echo connection dropped`);
      },
    };
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.child.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
