import { existsSync } from 'node:fs';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ErrorCodes,
  MAX_UNIX_PATH,
  isFriendsError,
  memoryCopies,
  parseAnswer,
  pendingEndpointCount,
  type HelloAnswer,
  type Link,
} from '../src/internal.js';
import { HandshakeHarness, roundTrip } from './support/handshake-harness.js';
import { delay, makeTempDir, once, removeDir, waitUntil } from './support/helpers.js';

let root: string;
let dirCount = 0;
/** A fresh, not yet existing socket directory per test. */
let socketDir: string;
const h = new HandshakeHarness(() => socketDir);

beforeAll(async () => {
  root = await makeTempDir();
});
beforeEach(() => {
  socketDir = join(root, `d${dirCount++}`);
});
afterEach(async () => {
  await h.dispose();
});
afterAll(async () => {
  await removeDir(root);
});

async function expectTwoWay(client: Link<object>, server: Link<object>): Promise<void> {
  expect(await roundTrip(client, server, { from: 'client', n: 1 })).toEqual({ from: 'client', n: 1 });
  expect(await roundTrip(server, client, { from: 'server', n: 2 })).toEqual({ from: 'server', n: 2 });
}

describe('tier decision', () => {
  test('memory when both sides enable it: a memory link that carries messages both ways', async () => {
    const before = pendingEndpointCount();
    const acceptor = await h.acceptor();
    const attempt = h.attempt();
    expect(pendingEndpointCount()).toBe(before + 1);
    const decision = await h.negotiate(acceptor, attempt);
    expect(decision.tier).toBe('memory');
    if (decision.tier === 'tcp') return;
    expect(decision.link.kind).toBe('memory');
    expect(h.serverLinks).toHaveLength(1);
    const server = h.serverLinks[0]!;
    expect(server.kind).toBe('memory');
    expect(server.peer).toEqual({ kind: 'memory', endpoint: attempt.hello.endpoint });
    await expectTwoWay(decision.link, server);
    expect(pendingEndpointCount()).toBe(before);
  });

  test('memory: each side copies with its own mode', async () => {
    const acceptor = await h.acceptor({ memoryCopy: memoryCopies.json });
    const decision = await h.negotiate(acceptor, h.attempt({ memoryCopy: memoryCopies.none }));
    if (decision.tier === 'tcp') throw new Error(`expected memory, got tcp: ${decision.reason}`);
    const server = h.serverLinks[0]!;
    const byRef = { d: new Date(0) };
    expect(await roundTrip(decision.link, server, byRef)).toBe(byRef);
    expect(await roundTrip(server, decision.link, { d: new Date(0) })).toEqual({ d: '1970-01-01T00:00:00.000Z' });
  });

  test('unix when memory is off on the server: a unix link that carries messages both ways', async () => {
    const before = pendingEndpointCount();
    const acceptor = await h.acceptor({ memory: false });
    const decision = await h.negotiate(acceptor);
    expect(decision.tier).toBe('unix');
    if (decision.tier === 'tcp') return;
    expect(decision.link.kind).toBe('unix');
    expect(decision.link.peer).toEqual({ kind: 'unix', path: acceptor.unixPath });
    await waitUntil(() => h.serverLinks.length === 1);
    const server = h.serverLinks[0]!;
    expect(server.kind).toBe('unix');
    await expectTwoWay(decision.link, server);
    // Many messages, both ways, in order.
    const got: number[] = [];
    server.on('message', (m) => got.push((m as { i: number }).i));
    for (let i = 0; i < 2000; i++) decision.link.send({ i });
    await waitUntil(() => got.length === 2000);
    expect(got).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(pendingEndpointCount()).toBe(before);
  });

  test('unix when memory is off on the client', async () => {
    const acceptor = await h.acceptor();
    const decision = await h.negotiate(acceptor, h.attempt({ memory: false }));
    expect(decision.tier).toBe('unix');
  });

  test('memory endpoints only pair within one protocol: another protocol gets unix', async () => {
    const acceptor = await h.acceptor({ protocol: 'nest' });
    const decision = await h.negotiate(acceptor, h.attempt({ protocol: 'grpc' }));
    expect(decision.tier).toBe('unix');
  });

  test('tcp when the kernel proof is wrong (other kernel)', async () => {
    const acceptor = await h.acceptor({ memory: false, kernelIdentity: 'kernel-A' });
    const attempt = h.attempt({ kernelIdentity: 'kernel-B' });
    const answer = acceptor.answer(HandshakeHarness.wire(attempt.hello));
    expect(answer).toEqual({ v: 1, tier: 'tcp', reason: 'other kernel' });
    const decision = await h.complete(attempt, answer);
    expect(decision).toEqual({ tier: 'tcp', reason: 'other kernel' });
    expect(h.serverLinks).toHaveLength(0);
  });

  test('unix when both sides are configured with the same kernel identity', async () => {
    const acceptor = await h.acceptor({ memory: false, kernelIdentity: 'kernel-A' });
    const decision = await h.negotiate(acceptor, h.attempt({ kernelIdentity: 'kernel-A' }));
    expect(decision.tier).toBe('unix');
  });

  test('the kernel proof holds only on the connection it was made for: a hello replayed on another one gets tcp', async () => {
    const acceptor = await h.acceptor({ memory: false });
    // The client dialled a service address (destination NAT): the server sees the client's end unchanged.
    const attempt = h.attempt({
      memory: false,
      binding: { localAddress: '10.0.0.1', localPort: 40000, remoteAddress: '10.96.0.10', remotePort: 80 },
    });
    const hello = HandshakeHarness.wire(attempt.hello);
    const seen = { localAddress: '10.0.0.2', localPort: 3000, remoteAddress: '10.0.0.1', remotePort: 40000 };
    expect(acceptor.answer(hello, seen).tier).toBe('unix');
    expect(acceptor.answer(hello, { ...seen, remoteAddress: '::ffff:10.0.0.1' }).tier).toBe('unix');
    // Relayed by whoever the client dialled, from its own connection.
    const other = { v: 1, tier: 'tcp', reason: 'other kernel' };
    expect(acceptor.answer(hello, { ...seen, remoteAddress: '10.0.0.9' })).toEqual(other);
    expect(acceptor.answer(hello, { ...seen, remotePort: 40001 })).toEqual(other);
    expect(acceptor.answer(hello)).toEqual(other);
    // A proof made off TCP holds only off TCP.
    const unbound = HandshakeHarness.wire(h.attempt({ memory: false }).hello);
    expect(acceptor.answer(unbound, seen)).toEqual(other);
    expect(acceptor.answer(unbound).tier).toBe('unix');
  });

  test('tcp when the client offers no kernel proof', async () => {
    const acceptor = await h.acceptor({ memory: false });
    const decision = await h.negotiate(acceptor, h.attempt({ unix: false }));
    expect(decision).toEqual({ tier: 'tcp', reason: 'no proof' });
  });

  test('tcp when the server has the unix tier off', async () => {
    const acceptor = await h.acceptor({ memory: false, unix: false });
    expect(acceptor.unixPath).toBeUndefined();
    expect(existsSync(socketDir)).toBe(false);
    const decision = await h.negotiate(acceptor);
    expect(decision).toEqual({ tier: 'tcp', reason: 'no fast tier' });
  });

  test('tcp when the server has no kernel identity', async () => {
    const acceptor = await h.acceptor({ memory: false, kernelIdentity: null });
    expect(acceptor.unixPath).toBeUndefined();
    expect((await h.negotiate(acceptor)).tier).toBe('tcp');
  });

  test('a malformed hello is answered tcp, never thrown', async () => {
    const acceptor = await h.acceptor();
    for (const hello of [undefined, null, 'hi', { v: 1 }, { v: 1, nonce: 'x' }, [1, 2]]) {
      expect(acceptor.answer(hello)).toEqual({ v: 1, tier: 'tcp', reason: 'malformed hello' });
    }
    expect(h.serverLinks).toHaveLength(0);
  });

  test('a hello naming an endpoint that does not exist gets no memory link', async () => {
    const acceptor = await h.acceptor({ unix: false });
    const attempt = h.attempt();
    const forged = { ...attempt.hello, endpoint: '0'.repeat(32) };
    expect(acceptor.answer(forged)).toEqual({ v: 1, tier: 'tcp', reason: 'no fast tier' });
    expect(h.serverLinks).toHaveLength(0);
  });

  test('an endpoint can be claimed by one server only', async () => {
    const first = await h.acceptor({ unix: false });
    const second = await h.acceptor({ unix: false });
    const attempt = h.attempt();
    const wire = HandshakeHarness.wire(attempt.hello);
    expect(first.answer(wire)).toEqual({ v: 1, tier: 'memory' });
    expect(second.answer(wire)).toEqual({ v: 1, tier: 'tcp', reason: 'no fast tier' });
    expect(h.serverLinks).toHaveLength(1);
  });

  test('20 concurrent attempts each get their own working unix link', async () => {
    const acceptor = await h.acceptor({ memory: false });
    const decisions = await Promise.all(Array.from({ length: 20 }, () => h.negotiate(acceptor)));
    expect(decisions.map((d) => d.tier)).toEqual(Array(20).fill('unix'));
    await waitUntil(() => h.serverLinks.length === 20);
    for (const server of h.serverLinks) server.on('message', (m) => server.send(m));
    const echoes = await Promise.all(
      decisions.map((d, i) => (d.tier === 'tcp' ? Promise.reject(new Error()) : roundTrip(d.link, d.link, { i }))),
    );
    expect(echoes).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
  });

  test('a server that speaks first on a new unix link: the client still decides unix and gets the message', async () => {
    const acceptor = await h.acceptor({
      memory: false,
      onLink: (link) => {
        h.serverLinks.push(link);
        link.send({ welcome: true });
      },
    });
    const attempt = h.attempt();
    const answer = acceptor.answer(HandshakeHarness.wire(attempt.hello));
    const decision = await h.complete(attempt, answer);
    // On failure this shows the reason the client fell back to tcp.
    expect(decision.tier === 'tcp' ? `tcp: ${decision.reason}` : decision.tier).toBe('unix');
    if (decision.tier === 'tcp') return;
    expect(await once(decision.link, 'message')).toEqual([{ welcome: true }]);
  });

  test('unix over a socket directory whose path is longer than the kernel limit', async () => {
    socketDir = join(root, 'long', 'x'.repeat(60), 'y'.repeat(60));
    const acceptor = await h.acceptor({ memory: false });
    expect(Buffer.byteLength(acceptor.unixPath!)).toBeGreaterThan(MAX_UNIX_PATH);
    expect(existsSync(acceptor.unixPath!)).toBe(true);
    const decision = await h.negotiate(acceptor);
    expect(decision.tier).toBe('unix');
    if (decision.tier === 'tcp') return;
    await waitUntil(() => h.serverLinks.length === 1);
    await expectTwoWay(decision.link, h.serverLinks[0]!);
  });
});

describe('HelloAttempt.complete()', () => {
  test('a stock peer (no answer, or an error) decides tcp and releases the endpoint', async () => {
    for (const answer of [undefined, null, { err: 'There is no matching message handler defined' }, 'x']) {
      const before = pendingEndpointCount();
      const attempt = h.attempt();
      expect(pendingEndpointCount()).toBe(before + 1);
      expect(await h.complete(attempt, answer)).toEqual({ tier: 'tcp', reason: 'peer does not speak friends' });
      expect(pendingEndpointCount()).toBe(before);
    }
  });

  test('a second complete() decides tcp without doing anything', async () => {
    const acceptor = await h.acceptor();
    const attempt = h.attempt();
    const answer = acceptor.answer(HandshakeHarness.wire(attempt.hello));
    expect((await h.complete(attempt, answer)).tier).toBe('memory');
    expect(await h.complete(attempt, answer)).toEqual({ tier: 'tcp', reason: 'attempt already completed' });
  });

  test('a memory answer without an endpoint of ours decides tcp', async () => {
    const attempt = h.attempt({ memory: false });
    expect(await h.complete(attempt, { v: 1, tier: 'memory' })).toEqual({
      tier: 'tcp',
      reason: 'memory answer without an endpoint',
    });
    const unclaimed = h.attempt();
    expect(await h.complete(unclaimed, { v: 1, tier: 'memory' })).toEqual({
      tier: 'tcp',
      reason: 'memory answer without an endpoint',
    });
  });

  test('a tcp answer keeps its reason', async () => {
    expect(await h.complete(h.attempt(), { v: 1, tier: 'tcp', reason: 'why not' })).toEqual({
      tier: 'tcp',
      reason: 'why not',
    });
  });

  test('if the server claimed our endpoint but the answer is not memory, both ends are closed', async () => {
    const acceptor = await h.acceptor();
    const attempt = h.attempt();
    expect(acceptor.answer(HandshakeHarness.wire(attempt.hello))).toEqual({ v: 1, tier: 'memory' });
    const server = h.serverLinks[0]!;
    const closed = once(server, 'close');
    expect((await h.complete(attempt, { v: 1, tier: 'tcp', reason: 'lost' })).tier).toBe('tcp');
    await closed;
  });

  test('cancel() releases the endpoint; complete() afterwards decides tcp', async () => {
    const before = pendingEndpointCount();
    const attempt = h.attempt();
    attempt.cancel();
    attempt.cancel();
    expect(pendingEndpointCount()).toBe(before);
    expect((await h.complete(attempt, { v: 1, tier: 'memory' })).tier).toBe('tcp');
  });

  test('the hello carries only what the enabled tiers need', () => {
    expect(Object.keys(h.attempt({ memory: false, unix: false }).hello).sort()).toEqual(['nonce', 'v']);
    expect(Object.keys(h.attempt({ memory: true, unix: false }).hello).sort()).toEqual(['endpoint', 'nonce', 'v']);
    expect(Object.keys(h.attempt({ memory: false, unix: true }).hello).sort()).toEqual(['kernel', 'nonce', 'v']);
    const a = h.attempt();
    const b = h.attempt();
    expect(a.hello.nonce).not.toBe(b.hello.nonce);
  });
});

describe('FriendsAcceptor socket files', () => {
  test('creates the directory 0700 and the socket 0600', async () => {
    const acceptor = await h.acceptor({ memory: false });
    const path = acceptor.unixPath!;
    expect(path.startsWith(`${socketDir}/test-${process.pid}-`)).toBe(true);
    expect(path.endsWith('.sock')).toBe(true);
    const dirStat = await stat(socketDir);
    const sockStat = await stat(path);
    expect(dirStat.mode & 0o777).toBe(0o700);
    expect(sockStat.isSocket()).toBe(true);
    expect(sockStat.mode & 0o777).toBe(0o600);
  });

  test('uses an existing directory without changing its mode', async () => {
    await mkdir(socketDir, { recursive: true });
    await chmod(socketDir, 0o755);
    const acceptor = await h.acceptor({ memory: false });
    expect(acceptor.unixPath).toBeDefined();
    expect((await stat(socketDir)).mode & 0o777).toBe(0o755);
  });

  test('honours wider modes when asked explicitly', async () => {
    const acceptor = await h.acceptor({ memory: false, socketDirMode: 0o750, socketMode: 0o660 });
    expect((await stat(socketDir)).mode & 0o777).toBe(0o750);
    expect((await stat(acceptor.unixPath!)).mode & 0o777).toBe(0o660);
  });

  test('an unusable socket directory only disables the unix tier, with a warning', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(socketDir, 'not a directory');
    const acceptor = await h.acceptor();
    expect(acceptor.unixPath).toBeUndefined();
    expect(h.warnings.some((w) => isFriendsError(w, ErrorCodes.SOCKET_DIR))).toBe(true);
    expect((await h.negotiate(acceptor, h.attempt({ memory: false }))).tier).toBe('tcp');
    expect((await h.negotiate(acceptor)).tier).toBe('memory');
  });

  test('close() removes the socket file, is idempotent, and later answers are tcp', async () => {
    const acceptor = await h.acceptor({ memory: false });
    const decision = await h.negotiate(acceptor);
    expect(decision.tier).toBe('unix');
    const path = acceptor.unixPath!;
    for (const link of [...h.clientLinks, ...h.serverLinks]) link.destroy();
    await acceptor.close();
    expect(existsSync(path)).toBe(false);
    expect(acceptor.unixPath).toBeUndefined();
    await acceptor.close();
    const answer = acceptor.answer(HandshakeHarness.wire(h.attempt({ memory: false }).hello)) as HelloAnswer;
    expect(answer.tier).toBe('tcp');
  });

  test('close() invalidates tickets already handed out', async () => {
    const acceptor = await h.acceptor({ memory: false });
    const attempt = h.attempt();
    const answer = acceptor.answer(HandshakeHarness.wire(attempt.hello));
    expect(parseAnswer(answer)?.tier).toBe('unix');
    await acceptor.close();
    const decision = await h.complete(attempt, answer);
    expect(decision.tier).toBe('tcp');
  });

  test('a second acceptor in the same directory leaves the live socket of the first alone', async () => {
    const first = await h.acceptor({ memory: false });
    const second = await h.acceptor({ memory: false });
    expect(second.unixPath).not.toBe(first.unixPath);
    expect(existsSync(first.unixPath!)).toBe(true);
    expect((await h.negotiate(first)).tier).toBe('unix');
    expect((await h.negotiate(second)).tier).toBe('unix');
  });

  test('start() removes stale sockets left in the directory by dead servers', async () => {
    const first = await h.acceptor({ memory: false });
    const stalePath = first.unixPath!;
    // Simulate a crash: the listener is gone but its file stays.
    const { renameSync } = await import('node:fs');
    const moved = `${stalePath}.moved`;
    renameSync(stalePath, moved);
    await first.close(); // closes the listener; the file under its original name is gone already
    renameSync(moved, stalePath);
    expect(existsSync(stalePath)).toBe(true);
    await h.acceptor({ memory: false });
    expect(existsSync(stalePath)).toBe(false);
    await delay(0);
  });
});
