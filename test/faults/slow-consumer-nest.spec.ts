import { Logger } from '@nestjs/common';
import { metricsSnapshot, type SocketLink } from '@friends/core/internal';
import { FriendsClient } from '@friends/nest';
import { startTestServer } from '../fixtures/src/app.js';
import { heldAfterGc, PeakMeter } from '../fixtures/src/faults/measure.js';
import { TestController } from '../fixtures/src/test.controller.js';
import { freePort } from '../support/ports.js';
import { nestSend } from './support/clients.js';
import { nestHost, startHost } from './support/host.js';
import { report } from './support/report.js';
import { testSocketDir, type TestSocketDir } from './support/socket-dir.js';
import { sleep, waitFor } from './support/tally.js';

Logger.overrideLogger(false);

/**
 * A consumer that does not keep up, on each tier. Between processes the slow
 * side is stopped outright (SIGSTOP): what the fast side may hold for it is
 * maxSendBufferSize, after which it drops that connection (as the stock
 * transport does) and the other side sees the loss as a clean failure. In one
 * process, the memory link hands over a batch per event-loop turn, so what is
 * held depends on how fast the producer goes, not on how much it sends.
 */
const MiB = 1024 * 1024;
const SEND_BUFFER = 4 * MiB;
/** Memory one side may hold above its starting point: the send buffer, its copies in flight, and noise. */
const HELD_BOUND = 48 * MiB;
/** The same, in one process, measured after a full collection. */
const MEMORY_HELD_BOUND = 8 * MiB;
const host = '127.0.0.1';

let sockets: TestSocketDir;
beforeEach(async () => {
  sockets = await testSocketDir();
});
afterEach(async () => {
  expect(await sockets.leftovers()).toEqual([]);
  await sockets.remove();
});

describe.each(['unix', 'tcp'] as const)('Nest, %s: a stopped consumer', (tier) => {
  const friends = tier === 'tcp' ? false : undefined;

  test('streamed flood to a stopped client: the server holds at most maxSendBufferSize, then drops it', async () => {
    const COUNT = 40_000;
    const SIZE = 4096;
    const port = await freePort();
    const server = await startTestServer('friends', port, { socketDir: sockets.dir, maxSendBufferSize: SEND_BUFFER });
    const client = await startHost('stopped client');
    const meter = new PeakMeter();
    try {
      expect((await client.request<{ tier: string }>({ op: 'nest-client', port, friends })).tier).toBe(tier);
      await client.request({ op: 'meter' });
      const before = metricsSnapshot()[tier];
      meter.start();
      const streamed = client.request<{ received: number; error?: string }>({
        op: 'nest-stream',
        count: COUNT,
        size: SIZE,
      });
      expect(await waitFor(() => metricsSnapshot()[tier].bytesOut - before.bytesOut > MiB, 10_000)).toBe(true);
      client.freeze();
      // The server drops the connection once it holds maxSendBufferSize for the stopped client.
      const dropped = await waitFor(() => metricsSnapshot()[tier].errors > before.errors, 20_000);
      await sleep(200);
      const serverHeld = meter.stop();
      client.thaw();
      const result = await streamed;
      const clientHeld = await client.request<{ held: number; rss: number }>({ op: 'peak' });
      report(`stream flood to stopped client, Nest ${tier}`, {
        streamedBytes: COUNT * SIZE,
        sendBuffer: SEND_BUFFER,
        dropped,
        serverHeldPeak: serverHeld.held,
        clientHeldPeak: clientHeld.held,
        received: result.received,
        error: result.error,
      });
      expect(dropped).toBe(true);
      expect(serverHeld.held).toBeLessThan(HELD_BOUND);
      expect(clientHeld.held).toBeLessThan(HELD_BOUND);
      // The client got what was on its way, then a clean failure.
      expect(result.error).toBe('Connection closed');
      expect(result.received).toBeGreaterThan(0);
      expect(result.received).toBeLessThan(COUNT);
    } finally {
      meter.stop();
      await client.stop();
      await server.app.close();
    }
  }, 60_000);

  test('event flood to a stopped server: the client holds at most maxSendBufferSize, then drops it', async () => {
    const SIZE = 1024;
    const LIMIT = 60_000;
    const port = await freePort();
    const server = await nestHost(port, { socketDir: sockets.dir });
    const client = new FriendsClient({ host, port, friends, maxSendBufferSize: SEND_BUFFER });
    const meter = new PeakMeter();
    try {
      expect(await nestSend(client, 'tier')).toBe(tier);
      const link = client.unwrap<SocketLink<unknown>>();
      const { starts } = await server.stats(false);
      await server.request({ op: 'meter' });
      const lost: { closed: boolean; code?: string } = { closed: false };
      client.on('close', (err) => {
        if (lost.closed) return;
        lost.closed = true;
        lost.code = (err as { code?: string } | undefined)?.code;
      });
      server.freeze();
      meter.start();
      let emitted = 0;
      let buffered = 0;
      // A producer that stops when its connection is lost (Nest events have no other signal).
      while (!lost.closed && emitted < LIMIT) {
        for (let i = 0; i < 64; i++)
          client.emit('tick', String(emitted++).padEnd(SIZE, 'x')).subscribe({ error: () => undefined });
        buffered = Math.max(buffered, link.socket.writableLength);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const clientHeld = meter.stop();
      server.thaw();
      await waitFor(async () => (await server.stats(false)).starts.ticks > starts.ticks, 10_000);
      await sleep(300);
      const serverHeld = await server.request<{ held: number }>({ op: 'peak' });
      const ticks = (await server.stats(false)).starts.ticks - starts.ticks;
      report(`event flood to stopped server, Nest ${tier}`, {
        emitted,
        sendBuffer: SEND_BUFFER,
        clientBufferedPeak: buffered,
        clientHeldPeak: clientHeld.held,
        serverHeldPeak: serverHeld.held,
        delivered: ticks,
        closedWith: lost.closed ? (lost.code ?? 'clean') : 'open',
      });
      expect(lost).toEqual({ closed: true, code: 'FRIENDS_ERR_SEND_BUFFER_EXCEEDED' });
      expect(buffered).toBeLessThanOrEqual(SEND_BUFFER + 2 * SIZE);
      expect(clientHeld.held).toBeLessThan(HELD_BOUND);
      expect(serverHeld.held).toBeLessThan(HELD_BOUND);
      expect(ticks).toBeGreaterThan(0);
      expect(ticks).toBeLessThan(emitted);
    } finally {
      meter.stop();
      client.close();
      await server.stop();
    }
  }, 60_000);
});

describe('Nest, memory: a slow consumer in the same process', () => {
  test('streamed flood to a slow subscriber: held memory stays far below what is streamed', async () => {
    const COUNT = 20_000;
    const SIZE = 4096;
    const port = await freePort();
    const server = await startTestServer('friends', port, { socketDir: sockets.dir });
    const client = new FriendsClient({ host, port });
    try {
      expect(await nestSend(client, 'tier')).toBe('memory');
      const base = heldAfterGc();
      let held = 0;
      let received = 0;
      await new Promise<void>((resolve, reject) =>
        client.send<string>('flood', { count: COUNT, size: SIZE }).subscribe({
          next: () => {
            if (++received % 4000 === 0) held = Math.max(held, heldAfterGc() - base);
            // 20 µs of work per item: slower than the producer's turn.
            const until = performance.now() + 0.02;
            while (performance.now() < until);
          },
          error: reject,
          complete: resolve,
        }),
      );
      report('stream flood to slow subscriber, Nest memory', { streamedBytes: COUNT * SIZE, heldPeak: held, received });
      expect(received).toBe(COUNT);
      expect(held).toBeLessThan(MEMORY_HELD_BOUND);
    } finally {
      client.close();
      await server.app.close();
    }
  }, 60_000);

  test('event flood at the pace the server takes it: held memory stays far below what is sent', async () => {
    // The memory link hands over up to 256 messages a turn (as a socket hands over a read):
    // a producer of 200 a turn is matched, however long it goes on.
    const TURNS = 100;
    const PER_TURN = 200;
    const SIZE = 1024;
    const port = await freePort();
    const server = await startTestServer('friends', port, { socketDir: sockets.dir });
    const client = new FriendsClient({ host, port });
    try {
      expect(await nestSend(client, 'tier')).toBe('memory');
      const start = TestController.counts.ticks;
      const base = heldAfterGc();
      let held = 0;
      let n = 0;
      for (let turn = 1; turn <= TURNS; turn++) {
        for (let i = 0; i < PER_TURN; i++) client.emit('tick', String(n++).padEnd(SIZE, 'x'));
        await new Promise((resolve) => setImmediate(resolve));
        if (turn % 25 === 0) held = Math.max(held, heldAfterGc() - base);
      }
      expect(await waitFor(() => TestController.counts.ticks - start >= n, 30_000)).toBe(true);
      report('event flood, Nest memory', { emitted: n, bytes: n * SIZE, heldPeak: held });
      expect(TestController.counts.ticks - start).toBe(TURNS * PER_TURN);
      expect(held).toBeLessThan(MEMORY_HELD_BOUND);
    } finally {
      client.close();
      await server.app.close();
    }
  }, 60_000);
});
