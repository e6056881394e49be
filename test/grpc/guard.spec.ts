import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { TierMessage } from '@friends/core';
import { PAYLOAD_BYTES, type CallPaths } from '../fixtures/src/grpc/call-paths.js';
import { GRPC_SHAPES, grpcVerdict } from '../../libs/grpc/src/seams/guard.js';

const require = createRequire(import.meta.url);
const VERSION = (require('@grpc/grpc-js/package.json') as { version: string }).version;
const PROBE = fileURLToPath(new URL('../fixtures/dist/grpc/guard-probe.js', import.meta.url));
const CALLS = 5;
const CODE = 'FRIENDS_ERR_UNSUPPORTED_GRPC_VERSION';

type ProbeResult = CallPaths & {
  ok: boolean;
  error?: string;
  events: TierMessage[];
  warnings: { code?: string; message: string }[];
};

/** Runs the probe with one grpc-js shape changed (see test/fixtures/src/grpc/guard-probe.ts). */
function probe(change: string): Promise<ProbeResult> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [PROBE, change], { timeout: 30_000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (err && !line) return reject(new Error(`probe '${change}' failed: ${err.message}\n${stderr}`));
      const result = JSON.parse(line) as ProbeResult;
      if (!result.ok) return reject(new Error(`probe '${change}': ${result.error}`));
      resolve(result);
    }),
  );
}

const shapeNamed = (fragment: string): string => {
  const shape = GRPC_SHAPES.find((s) => s.name.includes(fragment));
  if (!shape) throw new Error(`no shape named like '${fragment}'`);
  return shape.name;
};

const ours = (result: ProbeResult) => result.warnings.filter((w) => w.code === CODE);
const tiers = (result: ProbeResult) => result.events.map((m) => [m.role, m.tier, m.reason]).sort();

/**
 * The guard, for real: a process changes one grpc-js shape before friends
 * first uses it, then a friends client calls a FriendsGrpcServer in that
 * process. Calls succeed over HTTP/2, one warning names the version and the
 * shape, tiers say tcp, nothing crashes.
 */
describe('gRPC: friends step aside from a grpc-js whose shapes differ', () => {
  // On a grpc-js friends step aside from anyway (1.9, say), every probe shows that shape instead.
  const baseline = grpcVerdict();
  const expectedShape = (name: string): string => (baseline.supported ? name : baseline.shape.name);

  const steppedAside = (result: ProbeResult, shape: string): void => {
    expect(result.completed).toBe(CALLS + 1);
    expect(ours(result)).toHaveLength(1);
    expect(ours(result)[0]!.message).toContain(`@grpc/grpc-js ${VERSION} `);
    expect(ours(result)[0]!.message).toContain(expectedShape(shape));
    expect(result.tcpBytes).toBeGreaterThanOrEqual(CALLS * PAYLOAD_BYTES);
    expect(Object.keys(result.calls).filter((key) => !key.endsWith('/tcp'))).toEqual([]);
  };

  test('unchanged: friends take the memory tier, and say nothing', async () => {
    const result = await probe('none');
    if (!baseline.supported) return steppedAside(result, baseline.shape.name);
    expect(result.completed).toBe(CALLS + 1);
    expect(ours(result)).toEqual([]);
    expect(tiers(result)).toEqual([
      ['client', 'memory', undefined],
      ['server', 'memory', undefined],
    ]);
    expect(result.calls).toEqual({ 'client/memory': CALLS, 'server/memory': CALLS });
    expect(result.tcpBytes).toBeLessThan(PAYLOAD_BYTES);
  });

  test.each([
    ['an LB API shape (updateAddressList takes a rest parameter)', 'lb-update-address-list', 'updateAddressList('],
    [
      'the subchannel call (Http2SubchannelCall built from ...args)',
      'subchannel-call-constructor',
      'Http2SubchannelCall is built as',
    ],
  ])('%s: the whole process steps aside', async (_name, change, fragment) => {
    const result = await probe(change);
    steppedAside(result, shapeNamed(fragment));
    // The channel is grpc-js's own; the server serves as grpc.Server does, and leaves the hello to it.
    expect(tiers(result)).toEqual([
      ['client', 'tcp', 'unsupported-grpc'],
      ['server', 'tcp', 'unsupported-grpc'],
    ]);
    expect(result.fallbackCounts).toEqual({ 'client/unsupported-grpc': 1 });
    expect(result.calls).toEqual({ 'client/tcp': CALLS, 'server/tcp': CALLS });
  });

  test("the server's 'stream' listener takes other arguments: that address serves HTTP/2 alone", async () => {
    const result = await probe('server-stream-listener');
    steppedAside(result, shapeNamed("'stream' listener taking (stream, headers)"));
    if (!baseline.supported) return;
    // The client's grpc-js is fine: it meets a server that answers its hello as a stock one does (and that counts nothing).
    expect(tiers(result)).toEqual([
      ['client', 'tcp', 'stock-peer'],
      ['server', 'tcp', 'unsupported-grpc'],
    ]);
    expect(result.calls).toEqual({ 'client/tcp': CALLS });
  });

  test("grpc-js's call class throws on a friend stream: that call goes over HTTP/2, and its connection leaves the link", async () => {
    const result = await probe('friend-stream-refused');
    steppedAside(result, shapeNamed('takes a friend stream'));
    if (!baseline.supported) return;
    // The link was up (and told) before the first call met it; from that call on, HTTP/2 only.
    expect(tiers(result)).toEqual([
      ['client', 'memory', undefined],
      ['client', 'tcp', 'unsupported-grpc'],
      ['server', 'memory', undefined],
    ]);
    expect(result.fallbackCounts).toEqual({ 'client/unsupported-grpc': 1 });
    expect(result.calls).toEqual({ 'client/tcp': CALLS, 'server/tcp': CALLS });
  });

  test('a subchannel that cannot take a call right after READY: that connection stays on HTTP/2', async () => {
    const result = await probe('subchannel-ready-order');
    steppedAside(result, shapeNamed('reports READY before it stores its transport'));
    if (!baseline.supported) return;
    expect(tiers(result)).toEqual([['client', 'tcp', 'unsupported-grpc']]);
    expect(result.fallbackCounts).toEqual({ 'client/unsupported-grpc': 1 });
    // The server is fine: it counts the calls that reached it over HTTP/2.
    expect(result.calls).toEqual({ 'client/tcp': CALLS, 'server/tcp': CALLS });
  });
});
