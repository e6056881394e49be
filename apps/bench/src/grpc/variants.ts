import { UNIX_FLOOR } from '../floor/unix-echo.js';
import type { VariantInfo } from '../variant.js';
import type { Workload } from '../workload.js';
import type { GrpcClientKind, GrpcPath } from './clients.js';
import type { Address, GrpcServerSlot } from './servers.js';

export interface GrpcVariant extends VariantInfo {
  readonly client: GrpcClientKind;
  readonly server: GrpcServerSlot;
  readonly address: Address;
  /** The path every call must take, by the client's per-tier counters; anything else aborts the run. */
  readonly tier: GrpcPath;
  /** The workloads it runs, when not all of them. */
  readonly runs?: (workload: Workload) => boolean;
}

const SAME = { placement: 'one process', address: 'tcp', baseline: 'stock-inproc', floor: 'floor-inproc' } as const;
const ACROSS = { placement: 'two processes', address: 'tcp', baseline: 'stock-across', floor: 'floor-unix' } as const;

export const GRPC_VARIANTS: readonly GrpcVariant[] = [
  {
    id: 'stock-inproc',
    label: 'grpc-js client → grpc.Server, TCP loopback',
    client: 'stock',
    server: 'stock-local',
    tier: 'http2',
    role: 'stock',
    ...SAME,
    baseline: undefined,
  },
  {
    id: 'friends-memory',
    label: 'friends() client → FriendsGrpcServer',
    client: 'friends',
    server: 'friends-local',
    tier: 'memory',
    role: 'friends',
    ...SAME,
  },
  {
    id: 'stock-across',
    label: 'grpc-js client → grpc.Server, TCP loopback',
    client: 'stock',
    server: 'stock-child',
    tier: 'http2',
    role: 'stock',
    ...ACROSS,
    baseline: undefined,
  },
  {
    id: 'stock-across-unix',
    label: 'grpc-js client → grpc.Server on a unix:/// socket (stock HTTP/2 over a unix socket)',
    client: 'stock',
    server: 'stock-child',
    tier: 'http2',
    role: 'stock',
    runs: (w) => w.kind === 'unary',
    ...ACROSS,
    address: 'unix',
  },
  {
    id: 'friends-unix',
    label: 'friends() client → FriendsGrpcServer',
    client: 'friends',
    server: 'friends-child',
    tier: 'unix',
    role: 'friends',
    ...ACROSS,
  },
  {
    id: 'friends-tcp',
    label: 'friends() client → FriendsGrpcServer offering it no fast tier (as from another host): HTTP/2',
    client: 'friends',
    server: 'friends-child-remote',
    tier: 'http2',
    role: 'friends',
    ...ACROSS,
  },
  {
    id: 'stock-to-friends',
    label: 'grpc-js client → FriendsGrpcServer (also what a friends() client with friends off is)',
    client: 'stock',
    server: 'friends-child-h2',
    tier: 'http2',
    role: 'mixed',
    ...ACROSS,
  },
  {
    id: 'friends-to-stock',
    label: 'friends() client → grpc.Server (Hello answered UNIMPLEMENTED: stays on HTTP/2)',
    client: 'friends',
    server: 'stock-child',
    tier: 'http2',
    role: 'mixed',
    ...ACROSS,
  },
];

/** The least any design that keeps grpc-js's client layers can cost (see canned-channel.ts). */
export const GRPC_FLOOR: VariantInfo = {
  id: 'floor-inproc',
  label: 'grpc-js client whose subchannel call is answered at once in memory (no server, no transport)',
  tier: 'none',
  placement: 'one process',
  baseline: 'stock-inproc',
  role: 'floor',
};

export const GRPC_VARIANT_IDS: readonly string[] = [...GRPC_VARIANTS.map((v) => v.id), GRPC_FLOOR.id, UNIX_FLOOR.id];
