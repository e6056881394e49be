import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { lastValueFrom, toArray, firstValueFrom } from 'rxjs';
import { FriendsClient } from '@friends/nest';
import { testNest12 } from '../support/nest-major.js';
import { openTarget, TARGETS, type Target } from '../support/targets.js';

Logger.overrideLogger(false);

const NO_HANDLER = 'There is no matching message handler defined in the remote service.';

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/**
 * One suite, run over every tier and against the stock peers. The expected
 * values are the stock transport's behaviour: the 'stock client -> stock
 * server' run proves them.
 */
describe.each(TARGETS)('%s', (name) => {
  let target: Target;
  const send = <T = unknown>(pattern: unknown, data: unknown): Promise<T> =>
    lastValueFrom(target.client.send<T>(pattern, data));

  beforeAll(async () => {
    target = await openTarget(name);
    await target.client.connect();
  });
  afterAll(() => target?.stop());

  test('takes the expected tier', async () => {
    if (target.client instanceof FriendsClient) expect(target.client.tier).toBe(target.tier);
    else expect(target.tier).toBe('stock');
    expect(await send('tier', {})).toBe(target.serverSees);
  });

  test('request/response with sync, async and Observable handlers, and object patterns', async () => {
    expect(await send('sum.sync', [1, 2, 3])).toBe(6);
    expect(await send('sum.async', [4, 5])).toBe(9);
    expect(await send('sum.observable', [10, -1])).toBe(9);
    expect(await send({ kind: 'object', cmd: 'sum' }, [2, 2])).toBe(4);
  });

  test('a stream of N responses, an empty stream, and an undefined result', async () => {
    expect(await lastValueFrom(target.client.send('range', 5).pipe(toArray()))).toEqual([0, 1, 2, 3, 4]);
    expect(await lastValueFrom(target.client.send('range.sync', 100).pipe(toArray()))).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect(await lastValueFrom(target.client.send('empty', {}).pipe(toArray()))).toEqual([]);
    expect(await lastValueFrom(target.client.send('nothing', {}).pipe(toArray()))).toEqual([]);
  });

  test('events reach every handler of the pattern, in order with requests', async () => {
    await send('recorded', {});
    await lastValueFrom(target.client.emit('record', { n: 1 }));
    target.client.emit('record', { n: 2 });
    target.client.emit('no.such.event', { n: 3 });
    // Nest runs a pattern's second event handler through a longer async chain, so a request sent
    // right after may overtake it: collect until all four arrived. Each handler sees events in order.
    const recorded: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && recorded.length < 4; i++) {
      recorded.push(...(await send<Record<string, unknown>[]>('recorded', {})));
    }
    expect(recorded).toHaveLength(4);
    expect(recorded.filter((r) => !('again' in r))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(recorded.filter((r) => 'again' in r)).toEqual([{ again: { n: 1 } }, { again: { n: 2 } }]);
  });

  test('RpcException payloads, unknown errors and stream errors', async () => {
    expect(await errorOf(send('fail.rpc.object', {}))).toEqual({ code: 'E_BAD', message: 'bad thing', detail: [1, 2] });
    expect(await errorOf(send('fail.rpc.string', {}))).toEqual({ status: 'error', message: 'plain message' });
    expect(await errorOf(send('fail.unknown', {}))).toEqual({ status: 'error', message: 'Internal server error' });
    expect(await errorOf(send('fail.async', {}))).toEqual({ async: true });
    const seen: number[] = [];
    const err = await errorOf(
      lastValueFrom(target.client.send<number>('fail.stream', {}).pipe(toArray())).catch((e) => {
        throw e;
      }),
    );
    expect(err).toEqual({ status: 'error', message: 'stream broke' });
    await new Promise<void>((resolve) =>
      target.client.send<number>('fail.stream', {}).subscribe({ next: (v) => seen.push(v), error: () => resolve() }),
    );
    expect(seen).toEqual([1, 2]);
  });

  test('the unknown-pattern error exactly as stock sends it', async () => {
    expect(await errorOf(send('no.such.pattern', {}))).toBe(NO_HANDLER);
    expect(await errorOf(send({ no: 'such' }, {}))).toBe(NO_HANDLER);
  });

  testNest12('packet metadata set by the dispatch hook reaches the context (Nest 12 only)', async () => {
    target.client.setOnDispatchHook((packet) => {
      packet.metadata = { traceparent: '00-abc-def-01', tenant: 'ü' };
    });
    try {
      expect(await send('metadata', {})).toEqual({ traceparent: '00-abc-def-01', tenant: 'ü' });
    } finally {
      target.client.setOnDispatchHook(() => undefined);
    }
    expect(await send('metadata', {})).toBeNull();
    expect(await send('pattern', {})).toBe('pattern');
  });

  test('payloads get JSON semantics both ways', async () => {
    const payload = {
      d: new Date(0),
      u: undefined,
      j: { toJSON: () => ({ from: 'toJSON' }) },
      text: 'äö😀 \u2028 "quoted" \\',
      n: NaN,
      a: [undefined, 1, () => 1],
      nested: { deep: [{ x: null }] },
    };
    expect(await send('echo', payload)).toEqual(JSON.parse(JSON.stringify(payload)));
    expect(await send('echo', 'äö😀')).toBe('äö😀');
    expect(await send('length', 'äö😀'.repeat(1000))).toBe('äö😀'.repeat(1000).length);
    expect(await send('response.semantics', {})).toEqual({
      d: '1970-01-01T00:00:00.000Z',
      j: 'J',
      s: 'äö😀',
      n: null,
      a: [null, 1],
    });
    expect(await errorOf(firstValueFrom(target.client.send('echo', null)))).toBeInstanceOf(Error);
  });

  test('1,000 concurrent requests are all answered correctly', async () => {
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => send<number>('sum.sync', [i, i])));
    expect(results).toEqual(Array.from({ length: 1000 }, (_, i) => 2 * i));
  });

  test('an 8 MiB payload', async () => {
    const big = 'x'.repeat(8 * 1024 * 1024 - 3) + 'äö😀'.slice(0, 2);
    const echoed = await send<string>('echo', big);
    expect(echoed.length).toBe(big.length);
    expect(echoed === big).toBe(true);
  });

  test('global and per-handler guards, interceptors, pipes and filters', async () => {
    expect(await send('enhanced', { a: 1 })).toEqual({ value: { a: 1 }, intercepted: true });
    expect(await errorOf(send('echo', { deny: true }))).toEqual({ status: 'error', message: 'Forbidden resource' });
    expect(await send('echo', '  trimmed  ')).toBe('trimmed');
    expect(await send('piped', ' 41 ')).toBe(42);
    // An HttpException from a pipe is not an RpcException: stock hides it too.
    expect(await errorOf(send('piped', 'abc'))).toEqual({ status: 'error', message: 'Internal server error' });
    expect(await send('guarded', 21)).toBe(42);
    expect(await errorOf(send('guarded', 'x'))).toEqual({ status: 'error', message: 'Forbidden resource' });
    expect(await errorOf(send('teapot', {}))).toEqual({ teapot: true, message: 'short and stout' });
  });
});
