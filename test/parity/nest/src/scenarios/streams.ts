import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { EMPTY, interval, Observable, of, range, throwError } from 'rxjs';
import { finalize, map, take } from 'rxjs/operators';
import { Recorder } from '../recorder.js';
import type { Scenario } from '../scenario.js';

@Controller()
export class StreamsController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('st.of')
  several(@Payload() data: unknown[]): Observable<unknown> {
    this.rec.add('st.of', data);
    return of(...data);
  }

  @MessagePattern('st.timed')
  timed(@Payload() n: number): Observable<number> {
    this.rec.add('st.timed', n);
    return interval(1).pipe(
      take(n),
      finalize(() => this.rec.add('st.timed finalized')),
    );
  }

  @MessagePattern('st.empty')
  empty(): Observable<never> {
    this.rec.add('st.empty');
    return EMPTY;
  }

  @MessagePattern('st.range')
  many(@Payload() n: number): Observable<number> {
    this.rec.add('st.range', n);
    return range(0, n);
  }

  @MessagePattern('st.error-mid')
  errorMid(@Payload() kind: 'rpc' | 'plain'): Observable<number> {
    this.rec.add('st.error-mid', kind);
    return of(1, 2, 3).pipe(
      map((v) => {
        if (v === 3) throw kind === 'rpc' ? new RpcException({ at: v, why: 'stream broke' }) : new Error('hidden');
        return v;
      }),
    );
  }

  @MessagePattern('st.error-first')
  errorFirst(): Observable<never> {
    this.rec.add('st.error-first');
    return throwError(() => new RpcException('at once'));
  }

  @MessagePattern('st.error-value')
  errorValue(@Payload() value: unknown): Observable<never> {
    this.rec.add('st.error-value', value);
    return throwError(() => value);
  }
}

export const streamScenarios: Scenario[] = [
  { id: 'stream/several', run: (t) => t.call('values', 'st.of', [1, 'two', { three: 3 }, [4]]) },
  { id: 'stream/undefined-and-null-values', run: (t) => t.call('values', 'st.of', [null, 1, null]) },
  { id: 'stream/timed', run: (t) => t.call('values', 'st.timed', 5) },
  { id: 'stream/empty', run: (t) => t.call('values', 'st.empty', {}) },
  { id: 'stream/five-hundred', run: (t) => t.call('values', 'st.range', 500) },
  { id: 'stream/rpc-error-mid-stream', run: (t) => t.call('values', 'st.error-mid', 'rpc') },
  { id: 'stream/plain-error-mid-stream', run: (t) => t.call('values', 'st.error-mid', 'plain') },
  { id: 'stream/error-before-any-value', run: (t) => t.call('values', 'st.error-first', {}) },
  {
    id: 'stream/observable-error-values',
    async run(t) {
      // An erroring Observable is not an exception filter's business: what it errors with is sent as is.
      for (const [label, value] of [
        ['object', { custom: true }],
        ['string', 'text'],
        ['zero', 0],
        ['empty string', ''],
      ] as const) {
        await t.call(label, 'st.error-value', value, { within: 150 });
      }
    },
  },
  {
    id: 'stream/take-two-of-many',
    async run(t) {
      await t.observe('first two', t.client.send('st.timed', 8).pipe(take(2)));
      await t.server.until((entries) => entries.some((e) => e.at === 'st.timed finalized'));
      await t.call('after', 'st.of', [1]);
    },
  },
];
