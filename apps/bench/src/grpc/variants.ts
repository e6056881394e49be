import type { GrpcClientKind, GrpcPath } from './clients.js';
import type { Address, GrpcServerSlot } from './servers.js';

export interface GrpcVariant {
  readonly id: string;
  readonly label: string;
  readonly client: GrpcClientKind;
  readonly server: GrpcServerSlot;
  readonly address: Address;
  /** The path every call must take, by the client's per-tier counters; anything else aborts the run. */
  readonly tier: GrpcPath;
  /**
   * Whether it also runs the server-stream workload; the variants whose
   * stream figures no target needs and another variant's stream already
   * covers sit it out, to keep the default run within a few minutes.
   */
  readonly streams: boolean;
}

export const GRPC_VARIANTS: readonly GrpcVariant[] = [
  {
    id: 'stock-inproc',
    label: 'stock client -> grpc.Server, same process, TCP loopback',
    client: 'stock',
    server: 'stock-local',
    address: 'tcp',
    tier: 'http2',
    streams: true,
  },
  {
    id: 'stock-across',
    label: 'stock client -> grpc.Server, two processes, TCP loopback',
    client: 'stock',
    server: 'stock-child',
    address: 'tcp',
    tier: 'http2',
    streams: true,
  },
  {
    id: 'stock-across-unix',
    label: 'stock client -> grpc.Server, two processes, unix:/// socket',
    client: 'stock',
    server: 'stock-child',
    address: 'unix',
    tier: 'http2',
    streams: false,
  },
  {
    id: 'friends-memory',
    label: 'friends() -> FriendsGrpcServer, same process',
    client: 'friends',
    server: 'friends-local',
    address: 'tcp',
    tier: 'memory',
    streams: true,
  },
  {
    id: 'friends-unix',
    label: 'friends() -> FriendsGrpcServer, two processes',
    client: 'friends',
    server: 'friends-child',
    address: 'tcp',
    tier: 'unix',
    streams: true,
  },
  {
    id: 'friends-to-stock',
    label: 'friends() -> grpc.Server, two processes (hello answered UNIMPLEMENTED, stays on HTTP/2)',
    client: 'friends',
    server: 'stock-child',
    address: 'tcp',
    tier: 'http2',
    streams: false,
  },
  {
    id: 'friends-tcp',
    label: 'friends() -> FriendsGrpcServer offering no unix socket (as on another host), two processes',
    client: 'friends',
    server: 'friends-child-remote',
    address: 'tcp',
    tier: 'http2',
    streams: true,
  },
  {
    id: 'stock-to-friends',
    label: 'stock client -> FriendsGrpcServer, two processes',
    client: 'stock',
    server: 'friends-child-h2',
    address: 'tcp',
    tier: 'http2',
    streams: false,
  },
];
