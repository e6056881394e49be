import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { from, Observable, of } from 'rxjs';
import { Recorder } from '../recorder.js';
import { sleep, type Scenario } from '../scenario.js';

const sum = (numbers: number[]): number => numbers.reduce((a, b) => a + b, 0);

/** Values a handler can return, by name. */
const RESULTS: Record<string, () => unknown> = {
  undefined: () => undefined,
  null: () => null,
  zero: () => 0,
  false: () => false,
  empty: () => '',
  array: () => [],
  object: () => ({}),
  nested: () => ({ a: [1, { b: 'c' }], d: { e: null } }),
  text: () => 'plain text',
};

@Controller()
export class RequestsController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('rr.sum')
  sum(@Payload() data: number[]): number {
    this.rec.add('rr.sum', data);
    return sum(data);
  }

  @MessagePattern('rr.async')
  async asyncSum(@Payload() data: number[]): Promise<number> {
    this.rec.add('rr.async', data);
    await Promise.resolve();
    return sum(data);
  }

  @MessagePattern('rr.timer')
  async timer(@Payload() data: { ms: number; value: unknown }): Promise<unknown> {
    this.rec.add('rr.timer start', data);
    await sleep(data.ms);
    this.rec.add('rr.timer end', data.value);
    return data.value;
  }

  @MessagePattern('rr.hang')
  hang(@Payload() data: unknown): Promise<never> {
    this.rec.add('rr.hang', data);
    return new Promise(() => undefined);
  }

  @MessagePattern('rr.observable')
  observable(@Payload() data: number[]): Observable<number> {
    this.rec.add('rr.observable', data);
    return of(sum(data));
  }

  @MessagePattern('rr.observable-async')
  observableAsync(@Payload() data: number[]): Observable<number> {
    this.rec.add('rr.observable-async', data);
    return from(Promise.resolve(sum(data)));
  }

  @MessagePattern('rr.promise-of-observable')
  async promiseOfObservable(@Payload() data: number[]): Promise<Observable<number>> {
    this.rec.add('rr.promise-of-observable', data);
    await Promise.resolve();
    return of(...data);
  }

  @MessagePattern('rr.result')
  result(@Payload() kind: string): unknown {
    this.rec.add('rr.result', kind);
    return RESULTS[kind]!();
  }

  @MessagePattern('rr.after-tick')
  afterTick(@Payload() data: unknown): unknown {
    // Work the handler leaves for the next tick runs before its answer is written, as send() writes it.
    process.nextTick(() => this.rec.add('rr.after-tick: next tick', data));
    Promise.resolve().then(() => this.rec.add('rr.after-tick: microtask', data));
    return data;
  }

  @MessagePattern('rr.void')
  async nothing(@Payload() data: unknown): Promise<void> {
    this.rec.add('rr.void', data);
  }

  /** For the exit probe, whose server may be in the probe itself: answers without recording. */
  @MessagePattern('probe.sum')
  probeSum(@Payload() data: number[]): number {
    return sum(data);
  }

  @MessagePattern('rr.data')
  data(@Payload() data: unknown): string {
    this.rec.add('rr.data', data);
    return typeof data;
  }
}

export const requestScenarios: Scenario[] = [
  { id: 'rr/sync', run: (t) => t.call('sum', 'rr.sum', [1, 2, 3]) },
  { id: 'rr/async', run: (t) => t.call('sum', 'rr.async', [4, 5]) },
  { id: 'rr/observable', run: (t) => t.call('sum', 'rr.observable', [10, -1]) },
  { id: 'rr/observable-async', run: (t) => t.call('sum', 'rr.observable-async', [7]) },
  { id: 'rr/promise-of-observable', run: (t) => t.call('values', 'rr.promise-of-observable', [1, 2, 3]) },
  {
    id: 'rr/result-kinds',
    async run(t) {
      for (const kind of Object.keys(RESULTS)) await t.call(kind, 'rr.result', kind);
    },
  },
  { id: 'rr/async-void', run: (t) => t.call('void', 'rr.void', { x: 1 }) },
  {
    id: 'rr/data-kinds',
    async run(t) {
      // Falsy data is sent; null and undefined are refused by the client before anything is sent.
      for (const [label, data] of [
        ['zero', 0],
        ['false', false],
        ['empty string', ''],
        ['empty array', []],
        ['null', null],
        ['undefined', undefined],
      ] as const) {
        await t.call(label, 'rr.data', data);
      }
      await t.call('null pattern', null, 1);
      await t.call('undefined pattern', undefined, 1);
    },
  },
  {
    id: 'rr/cold-until-subscribed',
    async run(t) {
      const unsubscribed = t.client.send('rr.sum', [100]);
      const twice = t.client.send('rr.sum', [1]);
      await Promise.all([t.observe('first', twice), t.observe('second', twice)]);
      void unsubscribed;
    },
  },
  {
    id: 'rr/unsubscribe-before-answer',
    async run(t) {
      const subscription = t.client.send('rr.timer', { ms: 30, value: 'late' }).subscribe({
        next: (v) => t.note('next', v),
        error: (e) => t.note('error', e),
        complete: () => t.note('complete'),
      });
      await t.serverSaw(1);
      subscription.unsubscribe();
      t.note('unsubscribed');
      await t.serverSaw(2);
      await t.call('after', 'rr.sum', [2, 2]);
    },
  },
];
