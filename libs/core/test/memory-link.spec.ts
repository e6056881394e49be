import { execFile } from 'node:child_process';
import { stat } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ErrorCodes,
  createMemoryLinkPair,
  isFriendsError,
  memoryCopies,
  metricsSnapshot,
  stockJsonCodec,
  type CopyMode,
  type MemoryLink,
} from '../src/internal.js';
import { collect, delay, once, range, waitUntil } from './support/helpers.js';

type Pair = [MemoryLink<unknown>, MemoryLink<unknown>];
const opened: Pair[] = [];

function pair(aCopy: CopyMode = 'json', bCopy: CopyMode = aCopy, highWaterMark?: number): Pair {
  const p = createMemoryLinkPair<unknown>(
    { peer: { kind: 'memory', endpoint: 'left' }, copy: memoryCopies[aCopy] },
    { peer: { kind: 'memory', endpoint: 'right' }, copy: memoryCopies[bCopy] },
    highWaterMark === undefined ? {} : { highWaterMark },
  );
  opened.push(p);
  return p;
}

afterEach(async () => {
  for (const [a, b] of opened.splice(0)) {
    a.destroy();
    b.destroy();
  }
  await delay(0);
});

async function roundTrip(copy: CopyMode, message: unknown): Promise<unknown> {
  const [a, b] = pair(copy);
  const got = collect<unknown>(b, 1);
  a.send(message);
  return (await got)[0];
}

describe('MemoryLink copy modes', () => {
  test('json: exactly what a socket does (undefined dropped, Date -> string, toJSON honoured)', async () => {
    const date = new Date(Date.UTC(2020, 0, 2, 3, 4, 5));
    const sent = {
      keep: 1,
      gone: undefined,
      when: date,
      custom: { toJSON: () => 'custom!' },
      list: [undefined, () => 1, NaN],
      nested: { deep: { s: 'é😀' } },
    };
    const got = (await roundTrip('json', sent)) as Record<string, unknown>;
    expect(got).toEqual({
      keep: 1,
      when: '2020-01-02T03:04:05.000Z',
      custom: 'custom!',
      list: [null, null, null],
      nested: { deep: { s: 'é😀' } },
    });
    expect('gone' in got).toBe(false);
    expect(got).not.toBe(sent);
  });

  test('json: the receiver gets a copy, later mutation by the sender does not leak', async () => {
    const [a, b] = pair('json');
    const sent = { n: 1, arr: [1] };
    const got = collect<{ n: number; arr: number[] }>(b, 1);
    a.send(sent);
    sent.n = 2;
    sent.arr.push(2);
    expect((await got)[0]).toEqual({ n: 1, arr: [1] });
  });

  test('clone: structuredClone keeps Dates and Maps, still a copy', async () => {
    const date = new Date(0);
    const sent = { when: date, map: new Map([['k', 1]]), gone: undefined };
    const got = (await roundTrip('clone', sent)) as typeof sent;
    // structuredClone may come from another realm under jest, so check the brand, not instanceof.
    expect(Object.prototype.toString.call(got.when)).toBe('[object Date]');
    expect(got.when.getTime()).toBe(0);
    expect(got.when).not.toBe(date);
    expect(got.map.get('k')).toBe(1);
    expect('gone' in got).toBe(true);
    expect(got).not.toBe(sent);
  });

  test('clone: an uncloneable message (a function) throws synchronously in send()', () => {
    const [a] = pair('clone');
    expect(() => a.send({ f: () => 1 })).toThrow();
  });

  test('none: passes the very same reference', async () => {
    const sent = { when: new Date(0) };
    expect(await roundTrip('none', sent)).toBe(sent);
  });

  test('each end copies what it sends with its own mode', async () => {
    const [a, b] = pair('json', 'none');
    const toB = collect<unknown>(b, 1);
    const toA = collect<unknown>(a, 1);
    const fromA = { d: new Date(0) };
    const fromB = { d: new Date(0) };
    a.send(fromA);
    b.send(fromB);
    expect((await toB)[0]).toEqual({ d: '1970-01-01T00:00:00.000Z' });
    expect((await toA)[0]).toBe(fromB);
  });

  test('json: an uncopyable message (BigInt) throws synchronously and delivers nothing; the link stays usable', async () => {
    const [a, b] = pair('json');
    const got: unknown[] = [];
    b.on('message', (m) => got.push(m));
    expect(() => a.send({ big: 10n })).toThrow(TypeError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => a.send(circular)).toThrow(TypeError);
    expect(a.send({ ok: true })).toBe(true);
    await waitUntil(() => got.length === 1);
    await delay(10);
    expect(got).toEqual([{ ok: true }]);
  });

  test('json: a message JSON cannot represent at all (undefined, a function, a symbol) throws in send(), as on a socket', async () => {
    const [a, b] = pair('json');
    const got: unknown[] = [];
    b.on('message', (m) => got.push(m));
    // On a socket, stockJsonCodec.encode(undefined) throws a TypeError inside send().
    // The memory tier must not deliver a phantom `undefined` message instead.
    const outcomes: string[] = [];
    for (const bad of [undefined, () => 1, Symbol('s')]) {
      try {
        a.send(bad);
        outcomes.push('sent');
      } catch {
        outcomes.push('threw');
      }
    }
    expect(() => stockJsonCodec.encode(undefined as unknown as object)).toThrow(TypeError);
    expect(a.send({ after: 1 })).toBe(true);
    await waitUntil(() => got.length >= 1);
    await delay(10);
    expect({ outcomes, got }).toEqual({ outcomes: ['threw', 'threw', 'threw'], got: [{ after: 1 }] });
  });
});

describe('MemoryLink bounds', () => {
  test('highWaterMark below 1 is rejected with FRIENDS_ERR_INVALID_OPTION', () => {
    for (const hwm of [0, -1, NaN]) {
      let thrown: unknown;
      try {
        pair('json', 'json', hwm);
      } catch (err) {
        thrown = err;
      }
      expect(isFriendsError(thrown, ErrorCodes.INVALID_OPTION)).toBe(true);
    }
  });

  test('send() turns false exactly at the high-water mark; drain comes once the queue is below half', async () => {
    const [a, b] = pair('json', 'json', 4);
    b.pause();
    expect([a.send(1), a.send(2), a.send(3)]).toEqual([true, true, true]);
    expect(a.send(4)).toBe(false);
    expect(a.send(5)).toBe(false); // still queued, not dropped
    let drains = 0;
    a.on('drain', () => drains++);
    await delay(20);
    expect(drains).toBe(0);
    const got = collect<number>(b, 5);
    b.resume();
    expect(await got).toEqual([1, 2, 3, 4, 5]);
    await waitUntil(() => drains === 1);
    await delay(20);
    expect(drains).toBe(1);
  });

  test('no drain is owed when send() never returned false', async () => {
    const [a, b] = pair('json', 'json', 100);
    let drains = 0;
    a.on('drain', () => drains++);
    const got = collect(b, 50);
    for (let i = 0; i < 50; i++) expect(a.send(i)).toBe(true);
    await got;
    await delay(10);
    expect(drains).toBe(0);
  });

  test('a long paused backlog is delivered in order across several pauses (queue compaction)', async () => {
    const [a, b] = pair('none');
    const got: number[] = [];
    b.on('message', (m) => {
      got.push(m as number);
      if (m === 1500 || m === 3000 || m === 4500) {
        b.pause();
        setTimeout(() => b.resume(), 5);
      }
    });
    for (let i = 0; i < 5000; i++) a.send(i);
    await waitUntil(() => got.length === 5000);
    expect(got).toEqual(range(5000));
    // The queue is usable afterwards too.
    const more = collect<number>(b, 3);
    a.send(1);
    a.send(2);
    a.send(3);
    expect(await more).toEqual([1, 2, 3]);
  });
});

describe('MemoryLink scheduling', () => {
  test('a 10,000 round-trip ping-pong does not starve timers, immediates or I/O', async () => {
    const [a, b] = pair('json');
    b.on('message', (m) => b.send(m));
    let rounds = 0;
    let timerAt = -1;
    let immediateAt = -1;
    let ioAt = -1;
    const timer = setTimeout(() => (timerAt = rounds), 0);
    setImmediate(() => (immediateAt = rounds));
    stat('.', () => (ioAt = rounds));
    await new Promise<void>((resolve) => {
      a.on('message', () => {
        rounds++;
        if (rounds === 10_000) resolve();
        else a.send({ i: rounds });
      });
      a.send({ i: 0 });
    });
    clearTimeout(timer);
    expect(timerAt).toBeGreaterThanOrEqual(0);
    expect(timerAt).toBeLessThan(10_000);
    expect(immediateAt).toBeGreaterThanOrEqual(0);
    expect(immediateAt).toBeLessThan(10_000);
    expect(ioAt).toBeGreaterThanOrEqual(0);
    expect(ioAt).toBeLessThan(10_000);
  });

  test('the close of a peer is reported without error and after the messages before it', async () => {
    const [a, b] = pair('json');
    const events: string[] = [];
    b.on('message', (m) => events.push(`m${m as number}`));
    b.on('close', (err) => events.push(err ? 'close:err' : 'close'));
    a.send(1);
    a.send(2);
    a.close();
    await once(b, 'close');
    expect(events).toEqual(['m1', 'm2', 'close']);
  });

  test('destroy(err) reports err on the destroyed end only', async () => {
    const [a, b] = pair('json');
    const err = new Error('boom');
    const closes = Promise.all([once<[Error | undefined]>(a, 'close'), once<[Error | undefined]>(b, 'close')]);
    a.destroy(err);
    const [[errA], [errB]] = await closes;
    expect(errA).toBe(err);
    expect(errB).toBeUndefined();
  });

  test('a listener that throws is an uncaught exception, and the messages after it still arrive', async () => {
    // In a child process: the test runner owns this process's uncaught-exception handling.
    const link = fileURLToPath(new URL('../dist/links/memory-link.js', import.meta.url));
    const script = `
      import { createMemoryLinkPair, memoryCopies } from ${JSON.stringify(link)};
      const seen = [];
      process.on('uncaughtException', (err) => seen.push('uncaught:' + err.message));
      const [a, b] = createMemoryLinkPair(
        { peer: { kind: 'memory', endpoint: 'a' }, copy: memoryCopies.json },
        { peer: { kind: 'memory', endpoint: 'b' }, copy: memoryCopies.json },
      );
      b.on('message', (m) => {
        seen.push('m' + m);
        if (m === 1) throw new Error('listener failed');
      });
      a.send(1);
      a.send(2);
      a.send(3);
      setTimeout(() => console.log(JSON.stringify(seen)), 50);
    `;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (err, out) =>
        err ? reject(err) : resolve(out),
      ),
    );
    const seen = JSON.parse(stdout) as string[];
    expect(seen.filter((e) => e.startsWith('m'))).toEqual(['m1', 'm2', 'm3']);
    expect(seen).toContain('uncaught:listener failed');
  });

  test('destroy() drops what was still queued', async () => {
    const [a, b] = pair('json');
    const got: unknown[] = [];
    b.on('message', (m) => got.push(m));
    a.send(1);
    b.destroy();
    await once(a, 'close');
    await delay(10);
    expect(got).toEqual([]);
  });
});

describe('MemoryLink metrics', () => {
  test('counts connections and messages on the memory tier', async () => {
    const before = metricsSnapshot().memory;
    const [a, b] = pair('json');
    const mid = metricsSnapshot().memory;
    expect(mid.connectionsOpened - before.connectionsOpened).toBe(2);
    expect(mid.connectionsActive - before.connectionsActive).toBe(2);
    const got = collect(b, 3);
    a.send(1);
    a.send(2);
    a.send(3);
    await got;
    const after = metricsSnapshot().memory;
    expect(after.messagesOut - before.messagesOut).toBe(3);
    expect(after.messagesIn - before.messagesIn).toBe(3);
    const closed = Promise.all([once(a, 'close'), once(b, 'close')]);
    a.destroy(new Error('x'));
    await closed;
    const end = metricsSnapshot().memory;
    expect(end.connectionsActive - before.connectionsActive).toBe(0);
    expect(end.errors - before.errors).toBe(1);
  });
});
