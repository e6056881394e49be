import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkIpc, type IpcChild } from '../support/child-ipc.js';
import { NETNS_TOOLS, NetLab, sweepLeftovers } from '../support/netns.js';
import { describeWithTools } from '../support/tools.js';

/**
 * Several hosts on one machine: network namespaces a (198.18.0.1) and b
 * (198.18.0.2) joined by a veth pair. Each host runs one agent process
 * (test/fixtures/src/multihost/agent.ts) that starts servers, clients and
 * hostile peers on request. Host b's agent has a private tmpfs of its own for
 * one socket directory (a host whose sockets nobody else sees) and shares
 * another with host a (containers that share a socket directory).
 *
 * MULTIHOST_REPORT=1 prints the figures (tiers, bytes on the veth, decision
 * and failure times) at the end.
 */

const AGENT = fileURLToPath(new URL('../fixtures/dist/multihost/agent.js', import.meta.url));
const MB = 1 << 20;
const PAYLOAD = 5 * MB;
/** What may cross the veth while the payload goes over unix: the hello, ARP, IPv6 chatter, pings. */
const UNIX_VETH_ALLOWANCE = PAYLOAD / 50;
const DECISION_BOUND_MS = 1_000;
/** Each host's kernel identity where the test gives it one; the boot id is shared by both namespaces. */
const IDENTITY_A = `host-a-${randomBytes(8).toString('hex')}`;
const IDENTITY_B = `host-b-${randomBytes(8).toString('hex')}`;

/** Ports on host b; in fresh namespaces every port is free. */
const PORT = {
  nest: { shared: 3001, private: 3002, otherKernel: 3003, relay: 4001 },
  grpc: { shared: 50051, private: 50052, otherKernel: 50053, relay: 4002 },
};

const PARTITION_MS = 2_000;
/** Nest: the application's own rxjs timeout on each call. gRPC: the deadline (on half the calls) and keepalive. */
const CALL_TIMEOUT_MS = 1_000;
const KEEPALIVE_MS = 500;
/** Lateness a loaded 2-core machine may add to a timer. */
const TIMER_SLACK_MS = 1_000;
const RECOVERY_BOUND_MS = 6_000;
const LATE_ANSWER_MS = 200;
const CUT_WINDOW_MS = 50;

type Tier = 'memory' | 'unix' | 'tcp';
interface Connected {
  tier: Tier;
  decisionMs: number;
}
interface ProbeResult {
  probe: string;
  tier?: string;
  reason?: string;
  closed: boolean;
}
interface CallRecord {
  worker: number;
  start: number;
  end: number;
  ok: boolean;
  error?: string;
}

const figures: Record<string, unknown>[] = [];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

describeWithTools(
  NETNS_TOOLS,
  'multi-host: hosts in network namespaces',
  () => {
    let lab: NetLab;
    let hostA: IpcChild;
    let hostB: IpcChild;
    let sharedDir: string;
    let privateDir: string;

    beforeAll(async () => {
      lab = NetLab.create();
      sharedDir = join(lab.dir, 'shared');
      privateDir = join(lab.dir, 'private');
      [hostA, hostB] = await Promise.all([
        forkIpc('host a', AGENT, [], lab.wrapper(lab.a)),
        forkIpc('host b', AGENT, [], lab.wrapper(lab.b, privateDir)),
      ]);
      const host = lab.b.address;
      const servers = (op: string, ports: typeof PORT.nest) => [
        hostB.request({ op, name: `${op}:shared`, host, port: ports.shared, socketDir: sharedDir }),
        hostB.request({ op, name: `${op}:private`, host, port: ports.private, socketDir: privateDir }),
        hostB.request({
          op,
          name: `${op}:other`,
          host,
          port: ports.otherKernel,
          socketDir: sharedDir,
          kernelIdentity: IDENTITY_B,
        }),
      ];
      await Promise.all([...servers('nest.serve', PORT.nest), ...servers('grpc.serve', PORT.grpc)]);
    }, 30_000);

    afterAll(async () => {
      await Promise.allSettled([hostA?.stop(), hostB?.stop()]);
      lab?.destroy();
      if (process.env.MULTIHOST_REPORT) console.log(JSON.stringify(figures, null, 1));
    }, 15_000);

    /** The two frameworks behind one shape: connect a client on a host, push payload, run load. */
    const frameworks = [
      {
        name: 'Nest',
        ports: PORT.nest,
        async connect(host: IpcChild, name: string, port: number, options: Record<string, unknown> = {}) {
          const result = await host.request<Connected & { serverTier: Tier }>({
            op: 'nest.connect',
            name,
            host: lab.b.address,
            port,
            ...options,
          });
          // The server's context reports the same tier as the client.
          expect(result.serverTier).toBe(result.tier);
          return result;
        },
        payload: (host: IpcChild, name: string) =>
          host.request<{ tier: Tier }>({ op: 'nest.payload', name, bytes: PAYLOAD, chunk: MB }),
        hostile: 'hostile.nest',
        relay: 'relay.nest',
        startLoad: (host: IpcChild, name: string) =>
          host.request({ op: 'nest.load.start', name, concurrency: 4, timeoutMs: CALL_TIMEOUT_MS }),
        loadOp: 'nest.load',
        partitionOptions: { kernelIdentity: IDENTITY_A },
      },
      {
        name: 'gRPC',
        ports: PORT.grpc,
        async connect(host: IpcChild, name: string, port: number, options: Record<string, unknown> = {}) {
          const { target = `${lab.b.address}:${port}`, ...rest } = options;
          const result = await host.request<{ way: 'memory' | 'unix' | 'http2'; decisionMs: number }>({
            op: 'grpc.connect',
            name,
            target,
            ...rest,
          });
          return { tier: result.way === 'http2' ? 'tcp' : result.way, decisionMs: result.decisionMs } as Connected;
        },
        async payload(host: IpcChild, name: string) {
          const result = await host.request<{ way: string }>({ op: 'grpc.payload', name, bytes: PAYLOAD, chunk: MB });
          return { tier: (result.way === 'http2' ? 'tcp' : result.way) as Tier };
        },
        hostile: 'hostile.grpc',
        relay: 'relay.grpc',
        startLoad: (host: IpcChild, name: string) =>
          host.request({ op: 'grpc.load.start', name, concurrency: 4, deadlineMs: CALL_TIMEOUT_MS }),
        loadOp: 'grpc.load',
        partitionOptions: {
          kernelIdentity: IDENTITY_A,
          helloTimeout: CALL_TIMEOUT_MS,
          channelOptions: {
            'grpc.keepalive_time_ms': KEEPALIVE_MS,
            'grpc.keepalive_timeout_ms': KEEPALIVE_MS,
            'grpc.initial_reconnect_backoff_ms': 200,
            'grpc.max_reconnect_backoff_ms': 500,
          },
        },
      },
    ];

    describe.each(frameworks)('$name', (fw) => {
      test('containers sharing a socket directory: unix, and the payload does not cross the veth', async () => {
        const name = `${fw.name}:containers`;
        const connected = await fw.connect(hostA, name, fw.ports.shared);
        expect(connected.tier).toBe('unix');
        const before = lab.counters(lab.a);
        const { tier } = await fw.payload(hostA, name);
        const veth = lab.bytesSince(lab.a, before);
        figures.push({
          scenario: `${fw.name} containers, shared socket dir`,
          tier,
          veth,
          payload: PAYLOAD,
          decisionMs: connected.decisionMs,
        });
        expect(tier).toBe('unix');
        expect(veth).toBeLessThan(UNIX_VETH_ALLOWANCE);
        await hostA.request({ op: 'close', name });
      });

      test('two hosts, private socket directories: tcp, decided quickly, and the payload crosses the veth', async () => {
        const name = `${fw.name}:private`;
        const connected = await fw.connect(hostA, name, fw.ports.private);
        expect(connected.tier).toBe('tcp');
        expect(connected.decisionMs).toBeLessThan(DECISION_BOUND_MS);
        const before = lab.counters(lab.a);
        const { tier } = await fw.payload(hostA, name);
        const veth = lab.bytesSince(lab.a, before);
        figures.push({
          scenario: `${fw.name} hosts, private socket dirs`,
          tier,
          veth,
          payload: PAYLOAD,
          decisionMs: connected.decisionMs,
        });
        expect(tier).toBe('tcp');
        expect(veth).toBeGreaterThanOrEqual(PAYLOAD);
        await hostA.request({ op: 'close', name });
      });

      test('two hosts, different kernel identities: tcp, decided quickly, and the payload crosses the veth', async () => {
        // The same identity on both sides, with the shared directory, is unix: the option is what decides.
        const same = `${fw.name}:same-identity`;
        expect((await fw.connect(hostA, same, fw.ports.otherKernel, { kernelIdentity: IDENTITY_B })).tier).toBe('unix');
        await hostA.request({ op: 'close', name: same });

        const name = `${fw.name}:other-kernel`;
        const connected = await fw.connect(hostA, name, fw.ports.otherKernel, { kernelIdentity: IDENTITY_A });
        expect(connected.tier).toBe('tcp');
        expect(connected.decisionMs).toBeLessThan(DECISION_BOUND_MS);
        const before = lab.counters(lab.a);
        const { tier } = await fw.payload(hostA, name);
        const veth = lab.bytesSince(lab.a, before);
        figures.push({
          scenario: `${fw.name} hosts, other kernel identity`,
          tier,
          veth,
          payload: PAYLOAD,
          decisionMs: connected.decisionMs,
        });
        expect(tier).toBe('tcp');
        expect(veth).toBeGreaterThanOrEqual(PAYLOAD);
        await hostA.request({ op: 'close', name });
      });

      test('a remote peer gets neither memory nor unix, whatever hello it sends', async () => {
        const probe = (port: number) =>
          hostA.request<ProbeResult[]>({ op: fw.hostile, host: lab.b.address, port, identity: IDENTITY_A });
        // The probes are real: a server whose identity is the shared boot id grants the boot-id proof unix.
        const control = await probe(fw.ports.shared);
        const tierOf = (results: ProbeResult[], name: string) => results.find((r) => r.probe === name)?.tier;
        expect(tierOf(control, 'proof from the shared boot id')).toBe('unix');
        // ...on the connection it was made for only.
        expect(tierOf(control, 'replay of the boot-id hello')).toBe('tcp');

        const results = await probe(fw.ports.otherKernel);
        figures.push({ scenario: `${fw.name} hostile hellos`, results });
        expect(results.length).toBeGreaterThanOrEqual(10);
        if (fw.name === 'Nest') {
          // A ticket where none belongs costs that connection, with no answer.
          const ticket = results.find((r) => r.probe === 'ticket frame on tcp');
          expect([ticket?.closed, ticket?.tier]).toEqual([true, undefined]);
        }
        for (const result of results) {
          expect({ probe: result.probe, granted: result.tier === 'memory' || result.tier === 'unix' }).toEqual({
            probe: result.probe,
            granted: false,
          });
        }
      });

      test.each([
        ['every tier on', {}],
        ['memory off', { friends: { memory: false } }],
      ])(
        'a server the client dials cannot relay its hello to a friend of the client (%s)',
        async (_label, friendsOption) => {
          // The victim runs on host b with the server; it dials a hostile server on host a, which relays.
          const relay = `${fw.name}:relay:${_label}`;
          await hostA.request({
            op: fw.relay,
            name: relay,
            host: lab.a.address,
            port: fw.ports.relay,
            upstream: { host: lab.b.address, port: fw.ports.otherKernel },
          });
          const victim = `${fw.name}:victim:${_label}`;
          try {
            const connected =
              fw.name === 'Nest'
                ? await hostB.request<Connected>({
                    op: 'nest.connect',
                    name: victim,
                    host: lab.a.address,
                    port: fw.ports.relay,
                    kernelIdentity: IDENTITY_B,
                    ...friendsOption,
                  })
                : await fw.connect(hostB, victim, 0, {
                    target: `${lab.a.address}:${fw.ports.relay}`,
                    kernelIdentity: IDENTITY_B,
                    ...friendsOption,
                  });
            const answers = await hostA.request<{ tier: string }[]>({ op: 'relay.answers', name: relay });
            figures.push({ scenario: `${fw.name} relayed hello (${_label})`, answers, victim: connected.tier });
            expect(answers.length).toBeGreaterThan(0);
            expect(answers.map((a) => a.tier)).toEqual(answers.map(() => 'tcp'));
            expect(connected.tier).toBe('tcp');
          } finally {
            await hostB.request({ op: 'close', name: victim });
            await hostA.request({ op: 'close', name: relay });
          }
        },
      );

      test('partition: calls in flight fail within the configured time, and calls succeed again once the link is back', async () => {
        const name = `${fw.name}:partition`;
        const connected = await fw.connect(hostA, name, fw.ports.otherKernel, fw.partitionOptions);
        expect(connected.tier).toBe('tcp');
        await fw.startLoad(hostA, name);
        const progress = (since: number) => hostA.request<number>({ op: `${fw.loadOp}.progress`, name, since });
        let down = 0;
        let up = 0;
        let records: CallRecord[];
        try {
          await waitFor(async () => (await progress(0)) >= 20, 5_000, 'load before the partition');
          lab.setLink(lab.a, false);
          // Taken once the link is surely down: every call in flight now started before it.
          down = Date.now();
          await sleep(PARTITION_MS);
          // Taken before the link comes up: recovery is measured from no later than that.
          up = Date.now();
          lab.setLink(lab.a, true);
          await waitFor(async () => (await progress(up)) >= 5, RECOVERY_BOUND_MS + 2_000, 'calls after the partition');
        } finally {
          if (down && !up) lab.setLink(lab.a, true);
          records = await hostA.request<CallRecord[]>({ op: `${fw.loadOp}.stop`, name });
          await hostA.request({ op: 'close', name });
        }
        // In flight at the cut, or started just after it (clocks tick in ms, and the agent's loop may lag);
        // an answer already received but not yet read may still complete a call just after the cut.
        const cut = records.filter((r) => r.start <= down + CUT_WINDOW_MS && r.end > down + LATE_ANSWER_MS);
        const during = records.filter((r) => r.start >= down && r.end <= up);
        const failures = records.filter((r) => !r.ok);
        const longest = Math.max(...records.map((r) => r.end - r.start));
        const recovered = records.filter((r) => r.ok && r.end > up).sort((x, y) => x.end - y.end)[0];
        figures.push({
          scenario: `${fw.name} partition`,
          calls: records.length,
          failed: failures.length,
          cutInFlight: cut.length,
          errors: [...new Set(failures.map((f) => f.error))],
          failureMs: failures.map((f) => f.end - f.start).sort((x, y) => y - x)[0],
          longestCallMs: longest,
          recoveryMs: recovered && recovered.end - up,
        });
        // Calls cut by the partition failed, with a clear error, none hung.
        expect(cut.length).toBeGreaterThan(0);
        for (const call of cut) expect(call.ok).toBe(false);
        for (const call of during) expect(call.ok).toBe(false);
        const clear = fw.name === 'Nest' ? /^TimeoutError: / : /^(DEADLINE_EXCEEDED|UNAVAILABLE): /;
        for (const call of failures) expect(call.error).toMatch(clear);
        expect(longest).toBeLessThanOrEqual(CALL_TIMEOUT_MS + TIMER_SLACK_MS);
        expect(recovered).toBeDefined();
        expect(recovered!.end - up).toBeLessThan(RECOVERY_BOUND_MS);
      }, 25_000);
    });
  },
  { root: true },
);

describeWithTools(
  NETNS_TOOLS,
  'multi-host: the lab cleans up',
  () => {
    test('a lab leaves no namespace, link or directory behind', () => {
      const lab = NetLab.create();
      expect(lab.leftovers().length).toBeGreaterThan(0);
      lab.destroy();
      expect(lab.leftovers()).toEqual([]);
      expect(existsSync(lab.dir)).toBe(false);
    });

    test("a dead run's leftovers are swept, a live run's are not", () => {
      const live = NetLab.create();
      try {
        // A pid that no longer runs stands for a run that crashed.
        const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
          encoding: 'utf8',
        });
        const run = `fmh${Number(dead.stdout).toString(36)}_zz`;
        spawnSync('ip', ['netns', 'add', `${run}a`]);
        spawnSync('ip', ['link', 'add', `${run}a`, 'type', 'veth', 'peer', 'name', `${run}b`]);
        mkdirSync(join(tmpdir(), run));
        const removed = sweepLeftovers();
        expect(removed).toEqual(expect.arrayContaining([`${run}a`, run]));
        const names = (
          JSON.parse(spawnSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8' }).stdout || '[]') as {
            name: string;
          }[]
        ).map((n) => n.name);
        expect(names).not.toContain(`${run}a`);
        expect(spawnSync('ip', ['link', 'show', `${run}a`]).status).not.toBe(0);
        expect(existsSync(join(tmpdir(), run))).toBe(false);
        expect(live.leftovers()).toEqual(expect.arrayContaining([live.a.ns, live.b.ns]));
      } finally {
        live.destroy();
      }
    });
  },
  { root: true },
);
