import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import {
  ErrorCodes,
  createMemoryLinkPair,
  isFriendsError,
  jsonCopyWithin,
  memoryCopies,
  TooLong,
  type MemoryEnd,
  type MemoryLink,
} from '../src/internal.js';
import { collect, delay, once } from './support/helpers.js';

/** What a socket would do to these: the memory tier must do the same. */
const store = new AsyncLocalStorage<string>();
const opened: MemoryLink<unknown>[] = [];

function pair(a: Partial<MemoryEnd> = {}, b: Partial<MemoryEnd> = {}): [MemoryLink<unknown>, MemoryLink<unknown>] {
  const links = createMemoryLinkPair<unknown>(
    { peer: { kind: 'memory', endpoint: 'a' }, copy: memoryCopies.json, ...a },
    { peer: { kind: 'memory', endpoint: 'b' }, copy: memoryCopies.json, ...b },
  );
  opened.push(...links);
  return links;
}

afterEach(async () => {
  for (const link of opened.splice(0)) link.destroy();
  await delay(0);
});

describe("each end delivers in its own async context, never the sender's", () => {
  test('messages and close arrive in the context each end was set up in', async () => {
    const aContext = store.run('a side', () => new AsyncResource('test'));
    const [a, b] = store.run('b side', () => pair({ context: aContext }));
    const seen: string[] = [];
    b.on('message', () => seen.push(`b got a message in ${store.getStore()}`));
    a.on('message', () => seen.push(`a got a message in ${store.getStore()}`));
    b.on('close', () => seen.push(`b closed in ${store.getStore()}`));
    store.run('caller', () => a.send('to b'));
    await once(b, 'message');
    store.run('handler', () => b.send('to a'));
    await once(a, 'message');
    store.run('caller', () => a.close());
    await once(b, 'close');
    expect(seen).toEqual(['b got a message in b side', 'a got a message in a side', 'b closed in b side']);
  });

  test("promises a listener creates continue in its end's context", async () => {
    const [a, b] = store.run('server', () => pair({ context: store.run('client', () => new AsyncResource('test')) }));
    const later = new Promise<string | undefined>((resolve) =>
      b.on('message', async () => {
        await delay(1);
        resolve(store.getStore());
      }),
    );
    store.run('caller', () => a.send(1));
    expect(await later).toBe('server');
  });
});

describe("the receiver's maxMessageLength (JSON characters, as a socket's maxBufferSize)", () => {
  test('a longer message closes the link after the messages before it; the sender still gets what was sent to it', async () => {
    const [a, b] = pair({}, { maxMessageLength: 20 });
    const toB: unknown[] = [];
    b.on('message', (m) => toB.push(m));
    const bClosed = once<[Error | undefined]>(b, 'close');
    const aClosed = once<[Error | undefined]>(a, 'close');
    const toA = collect<unknown>(a, 1);
    b.send('answer before the error');
    a.send('short');
    a.send('x'.repeat(19)); // 21 characters of JSON
    a.send('never delivered');
    const [err] = await bClosed;
    expect(isFriendsError(err, ErrorCodes.FRAME_TOO_LARGE)).toBe(true);
    expect(err!.message).toBe('The packet length (21) exceeds the maximum allowed length');
    expect(toB).toEqual(['short']);
    expect(await toA).toEqual(['answer before the error']);
    expect((await aClosed)[0]).toBeUndefined();
  });

  test('the limit counts UTF-16 code units of the JSON text: escapes count, astral characters count twice', async () => {
    const [a, b] = pair({}, { maxMessageLength: 10 });
    const got = collect<unknown>(b, 2);
    a.send('😀😀😀😀'); // 8 code units + 2 quotes
    a.send({ q: '' }); // {"q":""} is 8
    expect(await got).toEqual(['😀😀😀😀', { q: '' }]);
    const closed = once<[Error | undefined]>(b, 'close');
    a.send('\n\n\n\n'); // 4 escapes of 2 characters + 2 quotes: 10, still fits
    a.send('"""""'); // 12
    expect(isFriendsError((await closed)[0], ErrorCodes.FRAME_TOO_LARGE)).toBe(true);
  });
});

describe('jsonCopyWithin: the length bound is exact where it matters', () => {
  test.each<[string, unknown]>([
    ['ascii', { a: 'x'.repeat(50) }],
    ['escapes', ['"\\\n\u0001\u2028', 'é']],
    ['numbers', [1e21, -0, 1.5e-7, NaN, 123456789]],
    ['lone surrogates', '\ud800x\udfff'],
    ['toJSON and Dates', { d: new Date(0), t: { toJSON: () => 'ok' }, u: undefined }],
  ])('%s: TooLong exactly above JSON.stringify length', (_name, value) => {
    const length = JSON.stringify(value).length;
    expect(jsonCopyWithin(value, length)).toEqual(JSON.parse(JSON.stringify(value)));
    const over = jsonCopyWithin(value, length - 1);
    expect(over).toBeInstanceOf(TooLong);
    expect((over as TooLong).length).toBe(length);
  });
});

describe('jsonCopyWithin: deep and cyclic values fare as JSON.stringify', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 0;
    for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
    return value;
  };

  test('a few thousand levels copy like the wire', () => {
    const value = nested(3000);
    expect(JSON.stringify(jsonCopyWithin(value, Infinity))).toBe(JSON.stringify(value));
  });

  test('as deep as JSON.stringify reaches from the same place, and no deeper', () => {
    const fits = (depth: number): boolean => {
      try {
        JSON.stringify(nested(depth));
        return true;
      } catch {
        return false;
      }
    };
    let deepest = 1000;
    let tooDeep = 1_000_000;
    while (tooDeep - deepest > 1) {
      const middle = (deepest + tooDeep) >> 1;
      if (fits(middle)) deepest = middle;
      else tooDeep = middle;
    }
    const within = nested(deepest - 50);
    expect(JSON.stringify(jsonCopyWithin(within, Infinity))).toBe(JSON.stringify(within));
    expect(() => jsonCopyWithin(nested(deepest + 200), Infinity)).toThrow(RangeError);
  });

  test('too deep for JSON.stringify: the same RangeError', () => {
    const value = nested(200_000);
    expect(() => JSON.stringify(value)).toThrow(RangeError);
    expect(() => jsonCopyWithin(value, Infinity)).toThrow(RangeError);
  });

  test("a cycle: JSON.stringify's own TypeError, message included", () => {
    const cycle: Record<string, unknown> = { a: [1] };
    (cycle.a as unknown[]).push({ back: cycle });
    let expected: Error | undefined;
    try {
      JSON.stringify(cycle);
    } catch (err) {
      expected = err as Error;
    }
    expect(() => jsonCopyWithin(cycle, Infinity)).toThrow(expected!.message);
  });
});
