import type { Link, Tier } from '../src/internal.js';
import {
  collect,
  delay,
  makeLinkPair,
  makeTempDir,
  once,
  range,
  removeDir,
  settlesWithin,
  waitUntil,
  withTimeout,
  type LinkPair,
} from './support/helpers.js';

type Msg = { i: number; pad?: string };

/** The Link contract (links/link.ts), identical for every tier, with real sockets for unix and tcp. */
describe.each<Tier>(['memory', 'unix', 'tcp'])('Link contract over %s', (tier) => {
  let dir: string;
  let pair: LinkPair | undefined;

  beforeAll(async () => {
    dir = await makeTempDir();
  });
  afterAll(async () => {
    await removeDir(dir);
  });
  afterEach(async () => {
    await pair?.cleanup();
    pair = undefined;
  });

  async function open(opts: { highWaterMark?: number } = {}): Promise<{ a: Link<Msg>; b: Link<Msg> }> {
    pair = await makeLinkPair(tier, { dir, ...opts });
    return pair as unknown as { a: Link<Msg>; b: Link<Msg> };
  }

  function countCloses(link: Link<Msg>): { count: number; errors: (Error | undefined)[] } {
    const record = { count: 0, errors: [] as (Error | undefined)[] };
    link.on('close', (err) => {
      record.count++;
      record.errors.push(err);
    });
    return record;
  }

  test('reports its kind and peer', async () => {
    const { a, b } = await open();
    expect(a.kind).toBe(tier);
    expect(b.kind).toBe(tier);
    expect(a.peer.kind).toBe(tier);
    expect(a.closed).toBe(false);
  });

  test('preserves the order of 10,000 messages, in both directions at once', async () => {
    const { a, b } = await open();
    const N = 10_000;
    const atB = collect<Msg>(b, N);
    const atA = collect<Msg>(a, N);
    for (let i = 0; i < N; i++) {
      a.send({ i });
      b.send({ i: N + i });
    }
    expect((await atB).map((m) => m.i)).toEqual(range(N));
    expect((await atA).map((m) => m.i)).toEqual(range(N, N));
  });

  test('emits no event synchronously inside send(), close() or destroy()', async () => {
    const { a, b } = await open({ highWaterMark: 8 });
    let depth = 0;
    const violations: string[] = [];
    const guarded = <T>(fn: () => T): T => {
      depth++;
      try {
        return fn();
      } finally {
        depth--;
      }
    };
    for (const [name, link] of [
      ['a', a],
      ['b', b],
    ] as const) {
      for (const event of ['message', 'close', 'drain'] as const) {
        link.on(event, () => {
          if (depth > 0) violations.push(`${name}:${event}`);
        });
      }
    }
    // An echo: b answers from inside its own 'message' handler.
    b.on('message', (m) => {
      if (m.i < 1000) guarded(() => b.send({ i: m.i + 1000 }));
    });
    const echoes = collect<Msg>(a, 1000);
    const pad = 'x'.repeat(tier === 'memory' ? 1 : 4096);
    let sawFalse = false;
    for (let i = 0; i < 1000; i++) {
      if (!guarded(() => a.send({ i, pad }))) sawFalse = true;
    }
    expect(sawFalse).toBe(true); // so a 'drain' is owed and must come asynchronously
    await echoes;
    await delay(20);
    const closedA = once(a, 'close');
    const closedB = once(b, 'close');
    guarded(() => a.close());
    guarded(() => a.close());
    guarded(() => a.destroy(new Error('late')));
    guarded(() => b.destroy(new Error('boom')));
    guarded(() => b.close());
    await Promise.all([closedA, closedB]);
    expect(violations).toEqual([]);
  });

  test('send() returns false above the high-water mark and drain follows once the receiver consumes', async () => {
    const { a, b } = await open({ highWaterMark: 16 });
    const received: number[] = [];
    b.on('message', (m) => received.push(m.i));
    b.pause();
    const pad = 'x'.repeat(tier === 'memory' ? 10 : 64 * 1024);
    const maxMessages = tier === 'memory' ? 1000 : 1024; // at most 64 MiB on sockets
    let sent = 0;
    let drained: Promise<unknown>;
    // Fill until send() says false and no 'drain' comes while the receiver stays paused.
    for (;;) {
      let ok = true;
      while (ok && sent < maxMessages) ok = a.send({ i: sent++, pad });
      expect(ok).toBe(false);
      drained = new Promise<void>((resolve) => a.once('drain', () => resolve()));
      if (!(await settlesWithin(drained, 250))) break;
    }
    expect(received).toHaveLength(0);
    b.resume();
    await withTimeout(drained!, 3000, 'drain after resume');
    await waitUntil(() => received.length === sent, 5000, `${sent} messages`);
    expect(received).toEqual(range(sent));
    expect(a.send({ i: sent })).toBe(true);
  });

  test('pause() stops delivery; resume() continues in order with nothing lost', async () => {
    const { a, b } = await open();
    const got: number[] = [];
    b.on('message', (m) => got.push(m.i));
    b.pause();
    for (let i = 0; i < 100; i++) a.send({ i });
    await delay(100);
    expect(got).toEqual([]);
    b.resume();
    await waitUntil(() => got.length === 100);
    expect(got).toEqual(range(100));
  });

  test('pause() from inside a message handler holds the rest of a batch until resume()', async () => {
    const { a, b } = await open();
    const got: number[] = [];
    b.on('message', (m) => {
      got.push(m.i);
      if (m.i === 49) b.pause();
    });
    for (let i = 0; i < 200; i++) a.send({ i });
    await waitUntil(() => got.length >= 50);
    await delay(100);
    expect(got).toHaveLength(50);
    b.resume();
    for (let i = 200; i < 400; i++) a.send({ i });
    await waitUntil(() => got.length === 400);
    expect(got).toEqual(range(400));
  });

  test('pause() and resume() are idempotent and never duplicate a message', async () => {
    const { a, b } = await open();
    const got: number[] = [];
    b.on('message', (m) => got.push(m.i));
    b.pause();
    b.pause();
    for (let i = 0; i < 50; i++) a.send({ i });
    await delay(50);
    b.resume();
    b.resume();
    b.pause();
    b.resume();
    await waitUntil(() => got.length >= 50);
    await delay(50);
    expect(got).toEqual(range(50));
  });

  test('close() is graceful: everything sent before it arrives, then close on both ends without error', async () => {
    const { a, b } = await open();
    const got: number[] = [];
    let closedBeforeAll = false;
    b.on('message', (m) => got.push(m.i));
    b.on('close', () => {
      if (got.length < 1000) closedBeforeAll = true;
    });
    const closedA = once<[Error | undefined]>(a, 'close');
    const closedB = once<[Error | undefined]>(b, 'close');
    for (let i = 0; i < 1000; i++) a.send({ i });
    a.close();
    expect(a.closed).toBe(true);
    const [[errA], [errB]] = await Promise.all([closedA, closedB]);
    expect(errA).toBeUndefined();
    expect(errB).toBeUndefined();
    expect(closedBeforeAll).toBe(false);
    expect(got).toEqual(range(1000));
    expect(b.closed).toBe(true);
  });

  test('close() still delivers, to the closing end, what the peer sent before close() was called', async () => {
    const { a, b } = await open();
    const got: number[] = [];
    a.on('message', (m) => got.push(m.i));
    const closedA = once(a, 'close');
    const closedB = once(b, 'close');
    for (let i = 0; i < 100; i++) b.send({ i });
    a.close();
    await Promise.all([closedA, closedB]);
    expect(got).toEqual(range(100));
  });

  test('close() in the middle of two-way traffic loses nothing sent before it, in either direction', async () => {
    const { a, b } = await open();
    const atA: number[] = [];
    const atB: number[] = [];
    a.on('message', (m) => atA.push(m.i));
    b.on('message', (m) => atB.push(m.i));
    const closed = Promise.all([once(a, 'close'), once(b, 'close')]);
    for (let i = 0; i < 100; i++) {
      a.send({ i });
      b.send({ i });
    }
    a.close();
    await closed;
    expect(atB).toEqual(range(100));
    expect(atA).toEqual(range(100));
  });

  test('destroy(err) ends the link at once and reports that error locally', async () => {
    const { a, b } = await open();
    const err = new Error('boom');
    const closedA = once<[Error | undefined]>(a, 'close');
    const closedB = once<[Error | undefined]>(b, 'close');
    a.destroy(err);
    expect(a.closed).toBe(true);
    expect(a.send({ i: 1 })).toBe(false);
    const [[errA], [errB]] = await Promise.all([closedA, closedB]);
    expect(errA).toBe(err);
    expect(errB).not.toBe(err);
  });

  test('destroy() without an error closes both ends without error', async () => {
    const { a, b } = await open();
    const closedA = once<[Error | undefined]>(a, 'close');
    const closedB = once<[Error | undefined]>(b, 'close');
    a.destroy();
    const [[errA]] = await Promise.all([closedA, closedB]);
    expect(errA).toBeUndefined();
  });

  test('close() and destroy() are idempotent; close is emitted exactly once per end', async () => {
    const { a, b } = await open();
    const ca = countCloses(a);
    const cb = countCloses(b);
    a.close();
    a.close();
    a.destroy(new Error('after close'));
    a.destroy(new Error('again'));
    a.close();
    b.close();
    b.destroy();
    await waitUntil(() => ca.count > 0 && cb.count > 0);
    a.destroy(new Error('after the end'));
    a.close();
    b.close();
    await delay(100);
    expect(ca.count).toBe(1);
    expect(cb.count).toBe(1);
    expect(ca.errors[0]?.message).not.toBe('again');
  });

  test('send() after close() returns false and delivers nothing', async () => {
    const { a, b } = await open();
    const got: number[] = [];
    b.on('message', (m) => got.push(m.i));
    expect(a.send({ i: 0 })).toBe(true);
    a.close();
    expect(a.send({ i: 1 })).toBe(false);
    await once(b, 'close');
    expect(got).toEqual([0]);
  });

  test('once the peer has closed, the link is closed and send() returns false', async () => {
    const { a, b } = await open();
    const closedA = once(a, 'close');
    b.close();
    await closedA;
    expect(a.closed).toBe(true);
    expect(a.send({ i: 1 })).toBe(false);
  });
});
