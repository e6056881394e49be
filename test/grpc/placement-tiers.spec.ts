import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { measureCallPaths, PAYLOAD_BYTES, type CallPaths } from '../fixtures/src/grpc/call-paths.js';
import { grpcVerdict } from '../../libs/grpc/src/seams/guard.js';
import {
  startChildInteropServer,
  startInteropServer,
  type RunningInteropServer,
} from '../support/grpc-interop/servers.js';
import type { TargetName } from '../support/target-names.js';

const CALLS = 5;
/** What the measured calls carry between them, one way: far above a hello's or a ping's bytes. */
const CARRIED = CALLS * PAYLOAD_BYTES;

/**
 * In every placement, the tier friends reports (tier messages, labelled
 * counters, fallback counts) is the path the calls' bytes took: a fast tier
 * is reported only when the TCP connection stayed quiet while the payloads
 * went through, and HTTP/2 only when the payloads crossed it.
 */
describe('gRPC: the tier reported is the tier calls take, in every placement', () => {
  // Whether friends stand under this grpc-js at all (see seams/guard.ts): if not, every placement is HTTP/2.
  const fast = grpcVerdict().supported;

  const cases: {
    name: TargetName;
    start: () => Promise<RunningInteropServer>;
    options: () => grpc.ClientOptions;
    expect: (paths: CallPaths) => void;
  }[] = [
    {
      name: 'stock client -> stock server',
      start: () => startInteropServer(grpc.Server),
      options: () => ({}),
      expect: (paths) => {
        expect(paths.tiers).toEqual([]);
        expect(paths.calls).toEqual({});
        expect(paths.tcpBytes).toBeGreaterThanOrEqual(CARRIED);
      },
    },
    {
      name: 'memory',
      start: () => startInteropServer(FriendsGrpcServer),
      options: () => friends(),
      expect: (paths) => {
        if (!fast) return unsupported(paths, { 'client/tcp': CALLS, 'server/tcp': CALLS });
        expect(tiersOf(paths)).toEqual([
          ['client', 'memory', undefined],
          ['server', 'memory', undefined],
        ]);
        expect(paths.calls).toEqual({ 'client/memory': CALLS, 'server/memory': CALLS });
        expect(paths.tcpBytes).toBeLessThan(PAYLOAD_BYTES);
      },
    },
    {
      name: 'unix',
      start: () => startChildInteropServer('friends'),
      options: () => friends(),
      expect: (paths) => {
        if (!fast) return unsupported(paths, { 'client/tcp': CALLS });
        expect(tiersOf(paths)).toEqual([['client', 'unix', undefined]]);
        expect(paths.calls).toEqual({ 'client/unix': CALLS });
        expect(paths.unixBytesOut.client).toBeGreaterThanOrEqual(CARRIED);
        expect(paths.tcpBytes).toBeLessThan(PAYLOAD_BYTES);
      },
    },
    {
      name: 'tcp',
      start: () => startInteropServer(FriendsGrpcServer),
      options: () => friends({ friends: false }),
      expect: (paths) => {
        // Friends off: grpc-js's own channel, which sends no hello and is not counted.
        expect(paths.tiers).toEqual([]);
        expect(paths.calls).toEqual({ 'server/tcp': CALLS });
        expect(paths.tcpBytes).toBeGreaterThanOrEqual(CARRIED);
      },
    },
    {
      name: 'stock client -> friends server',
      start: () => startInteropServer(FriendsGrpcServer),
      options: () => ({}),
      expect: (paths) => {
        expect(paths.tiers).toEqual([]);
        expect(paths.calls).toEqual({ 'server/tcp': CALLS });
        expect(paths.tcpBytes).toBeGreaterThanOrEqual(CARRIED);
      },
    },
    {
      name: 'friends client -> stock server',
      start: () => startInteropServer(grpc.Server),
      options: () => friends(),
      expect: (paths) => {
        if (!fast) return unsupported(paths, { 'client/tcp': CALLS });
        expect(tiersOf(paths)).toEqual([['client', 'tcp', 'stock-peer']]);
        expect(paths.fallbacks.map((m) => m.reason)).toEqual(['stock-peer']);
        expect(paths.fallbackCounts).toEqual({ 'client/stock-peer': 1 });
        expect(paths.calls).toEqual({ 'client/tcp': CALLS });
        expect(paths.tcpBytes).toBeGreaterThanOrEqual(CARRIED);
      },
    },
  ];

  test.each(cases)('$name', async ({ start, options, expect: check }) => {
    const server = await start();
    try {
      const paths = await measureCallPaths(server.port, options(), CALLS);
      expect(paths.completed).toBe(CALLS + 1);
      check(paths);
    } finally {
      await server.stop();
    }
  });
});

function tiersOf(paths: CallPaths): [string, string, string | undefined][] {
  return paths.tiers.map((m): [string, string, string | undefined] => [m.role, m.tier, m.reason]).sort();
}

/** A grpc-js friends step aside from: the channel is grpc-js's own, reported tcp, and HTTP/2 carries the calls. */
function unsupported(paths: CallPaths, calls: Record<string, number>): void {
  expect(tiersOf(paths)).toEqual([['client', 'tcp', 'unsupported-grpc']]);
  expect(paths.fallbackCounts).toEqual({ 'client/unsupported-grpc': 1 });
  expect(paths.calls).toEqual(calls);
  expect(paths.tcpBytes).toBeGreaterThanOrEqual(CARRIED);
}
