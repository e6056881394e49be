import type { CopyMode, Tier } from '@friends/core/internal';
import { UNIX_FLOOR } from '../floor/unix-echo.js';
import type { VariantInfo } from '../variant.js';
import type { Workload } from '../workload.js';
import type { ServerKind } from './server-kind.js';

/**
 * Where a variant's server runs: in the benchmark's own process (one server of
 * each kind, shared by the same-process variants), or in a child process that
 * serves that variant alone. Every cross-process variant gets a process of its
 * own, as the stock baseline does: one that also answered other variants'
 * pieces measured a few percent slower in the same run.
 */
export type ServerPlace = 'same-process' | 'own-process';

/** `friends-off` is a FriendsClient with `friends: false`: the stock wire from our client. */
export type ClientKind = 'stock' | 'friends' | 'friends-off';

export interface NestVariant extends VariantInfo {
  readonly client: ClientKind;
  readonly server: ServerKind;
  readonly place: ServerPlace;
  /** The memory tier's copy mode on both sides (default 'json'). */
  readonly copy?: CopyMode;
  /** The tier the connection must take; anything else aborts the run. */
  readonly tier: Tier;
  /** The workloads it runs, when not all of them. */
  readonly runs?: (workload: Workload) => boolean;
}

/** The copy modes are compared at the smallest and the largest payload. */
const copyWorkloads = (w: Workload): boolean => w.kind === 'unary' && (w.bytes === 64 || w.bytes === 1024 * 1024);

const SAME = {
  placement: 'one process',
  place: 'same-process',
  baseline: 'stock-inproc',
  floor: 'floor-inproc',
} as const;
const ACROSS = {
  placement: 'two processes',
  place: 'own-process',
  baseline: 'stock-across',
  floor: 'floor-unix',
} as const;

export const NEST_VARIANTS: readonly NestVariant[] = [
  {
    id: 'stock-inproc',
    label: 'ClientTCP → ServerTCP',
    client: 'stock',
    server: 'stock',
    tier: 'tcp',
    role: 'stock',
    ...SAME,
    baseline: undefined,
  },
  {
    id: 'friends-memory',
    label: 'FriendsClient → FriendsServer (copy: json)',
    client: 'friends',
    server: 'friends',
    tier: 'memory',
    role: 'friends',
    ...SAME,
  },
  {
    id: 'friends-memory-clone',
    label: "FriendsClient → FriendsServer, copy: 'clone' on both",
    client: 'friends',
    server: 'friends',
    copy: 'clone',
    tier: 'memory',
    role: 'friends',
    runs: copyWorkloads,
    ...SAME,
  },
  {
    id: 'friends-memory-none',
    label: "FriendsClient → FriendsServer, copy: 'none' on both",
    client: 'friends',
    server: 'friends',
    copy: 'none',
    tier: 'memory',
    role: 'friends',
    runs: copyWorkloads,
    ...SAME,
  },
  {
    id: 'stock-across',
    label: 'ClientTCP → ServerTCP',
    client: 'stock',
    server: 'stock',
    tier: 'tcp',
    role: 'stock',
    ...ACROSS,
    baseline: undefined,
  },
  {
    id: 'friends-unix',
    label: 'FriendsClient → FriendsServer',
    client: 'friends',
    server: 'friends',
    tier: 'unix',
    role: 'friends',
    ...ACROSS,
  },
  {
    id: 'friends-tcp',
    label: 'FriendsClient { friends: false } → FriendsServer (friends\u2019 own tcp tier)',
    client: 'friends-off',
    server: 'friends',
    tier: 'tcp',
    role: 'friends',
    ...ACROSS,
  },
  {
    id: 'stock-to-friends',
    label: 'ClientTCP → FriendsServer',
    client: 'stock',
    server: 'friends',
    tier: 'tcp',
    role: 'mixed',
    ...ACROSS,
  },
  {
    id: 'friends-to-stock',
    label: 'FriendsClient → ServerTCP (hello answered "no handler": stays on tcp)',
    client: 'friends',
    server: 'stock',
    tier: 'tcp',
    role: 'mixed',
    ...ACROSS,
  },
];

/**
 * The least the memory tier can cost: the handler Nest registered, called
 * through its own pipeline, with a JSON copy each way (see floor.ts).
 */
export const NEST_FLOOR: VariantInfo = {
  id: 'floor-inproc',
  label:
    'the handler Nest registered, called through its pipeline (getHandlerByPattern → transformToObservable → ' +
    "first value), with the memory tier's JSON-semantics copy (jsonCopy) each way; no client, no transport",
  tier: 'none',
  placement: 'one process',
  baseline: 'stock-inproc',
  role: 'floor',
};

export const NEST_VARIANT_IDS: readonly string[] = [...NEST_VARIANTS.map((v) => v.id), NEST_FLOOR.id, UNIX_FLOOR.id];
