import { parseArgs } from 'node:util';
import { unaryWorkloads } from './workload.js';

export const SUITE_NAMES = ['nest', 'grpc'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

/** Payload sizes of the unary workloads, in bytes. */
export const DEFAULT_SIZES = [64, 8 * 1024, 256 * 1024, 1024 * 1024] as const;
const QUICK_SIZES = [64, 1024 * 1024];
/** A quick run's workloads: large payloads at c=1 only (they take longest, and stock Nest stalls at c=32). */
const QUICK_WORKLOADS = ['64B-c1', '64B-c32', '1MiB-c1', 'stream', 'events', 'bidi'];

export interface BenchOptions {
  /** Suites to run, one after the other, each in a process of its own; one report covers them all. */
  suites: SuiteName[];
  rounds: number;
  /** Measured time per variant, workload and round. */
  sliceMs: number;
  concurrencies: number[];
  sizes: number[];
  /** Workload keys to run; all when undefined. */
  workloads: string[] | undefined;
  /** Variant ids to run; all when undefined. */
  variants: string[] | undefined;
  /** Where the report, its JSON and its chart go; undefined: bench/results. */
  outDir: string | undefined;
  quick: boolean;
  /** The arguments as given, for the report. */
  argv: readonly string[];
}

export const USAGE = `usage: npm run bench -- [options]
  --suite nest|grpc     run one suite (default: both, one after the other, each in a process of its own)
  --rounds N            interleaved rounds (default 5; --quick: 2)
  --slice-ms N          measured time per variant, workload and round (default 600; --quick: 80)
  --quick               smoke run in under a minute: 64B-c1,64B-c32,1MiB-c1,stream,events,bidi; short slices
  --concurrency A,B     concurrent request loops of the unary workloads (default 1,32)
  --sizes A,B           unary payload sizes in bytes, k/m suffixes allowed (default 64,8k,256k,1m; --quick: 64,1m)
  --workloads A,B       run only these workload keys: <size>-c<concurrency> (64B-c1, 8KiB-c32, 1MiB-c1),
                        stream, events (Nest), bidi (gRPC) (default: all)
  --variants A,B        run only these variant ids, in whichever suite has them (default: all)
  --out-dir DIR         where the report (.md), raw figures (.json) and chart (.svg) go (default bench/results)
  -h, --help            this text`;

/** A command line the benchmark does not understand: reported with its message only. */
export class UsageError extends Error {}

const MESSAGE_WORKLOADS = ['stream', 'events', 'bidi'];

/** The command line, or 'help'. Throws a UsageError on anything it does not understand. */
export function readOptions(argv: readonly string[]): BenchOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        suite: { type: 'string' },
        rounds: { type: 'string' },
        'slice-ms': { type: 'string' },
        quick: { type: 'boolean', default: false },
        concurrency: { type: 'string' },
        sizes: { type: 'string' },
        workloads: { type: 'string' },
        variants: { type: 'string' },
        'out-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const quick = values.quick === true;
  const sizes =
    values.sizes === undefined ? [...(quick ? QUICK_SIZES : DEFAULT_SIZES)] : list(values.sizes).map(byteSize);
  const concurrencies =
    values.concurrency === undefined ? [1, 32] : list(values.concurrency).map((c) => positiveInt('--concurrency', c));
  const known = [...unaryWorkloads(sizes, concurrencies).map((w) => w.key), ...MESSAGE_WORKLOADS];
  let workloads: string[] | undefined;
  if (values.workloads !== undefined) {
    workloads = list(values.workloads);
    const unknown = workloads.filter((key) => !known.includes(key));
    if (unknown.length > 0 || workloads.length === 0)
      throw new UsageError(
        `unknown workload(s) '${unknown.join(', ')}' (known with these sizes and concurrencies: ${known.join(', ')})`,
      );
  } else if (quick) {
    workloads = QUICK_WORKLOADS.filter((key) => known.includes(key));
  }
  return {
    suites: values.suite === undefined ? [...SUITE_NAMES] : [suiteName(values.suite)],
    rounds: values.rounds === undefined ? (quick ? 2 : 5) : positiveInt('--rounds', values.rounds),
    sliceMs: values['slice-ms'] === undefined ? (quick ? 80 : 600) : positiveInt('--slice-ms', values['slice-ms']),
    concurrencies,
    sizes,
    workloads,
    variants: values.variants === undefined ? undefined : list(values.variants),
    outDir: values['out-dir'],
    quick,
    argv: [...argv],
  };
}

function suiteName(text: string): SuiteName {
  const name = SUITE_NAMES.find((s) => s === text);
  if (!name) throw new UsageError(`--suite must be one of ${SUITE_NAMES.join(', ')}, got '${text}'`);
  return name;
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${text}'`);
  return n;
}

function byteSize(text: string): number {
  const match = /^(\d+)([km]?)$/i.exec(text);
  const unit = match?.[2]?.toLowerCase();
  const n = match ? Number(match[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1) : NaN;
  // Below 16 bytes the Nest payload's JSON envelope does not fit.
  if (!Number.isInteger(n) || n < 16)
    throw new UsageError(`--sizes takes byte counts of 16 or more (8k, 1m), got '${text}'`);
  return n;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
