import { Controller, Inject } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { lastValueFrom, of, type Observable } from 'rxjs';
import { callerStore } from '../context.js';
import { Recorder } from '../recorder.js';
import type { Scenario } from '../scenario.js';

@Controller()
export class AsyncContextController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('als.store')
  store(@Payload() data: unknown): unknown {
    const store = callerStore.getStore();
    this.rec.add('als.store', { data, store });
    return store ?? 'no store';
  }

  @MessagePattern('als.store-later')
  async storeLater(@Payload() data: unknown): Promise<unknown> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const store = callerStore.getStore();
    this.rec.add('als.store-later', { data, store });
    return store ?? 'no store';
  }

  @MessagePattern('als.handler-runs-own-store')
  ownStore(): Observable<string> {
    // What the handler enters must not reach the caller either.
    return callerStore.run({ caller: 'handler' }, () => {
      this.rec.add('als.handler-runs-own-store', callerStore.getStore());
      return of('a', 'b');
    });
  }

  @EventPattern('als.event')
  event(@Payload() data: unknown): void {
    this.rec.add('als.event', { data, store: callerStore.getStore() });
  }
}

const within = <T>(caller: string, fn: () => Promise<T>): Promise<T> => callerStore.run({ caller }, fn);

export const asyncContextScenarios: Scenario[] = [
  {
    id: 'async-context/first-call-inside-a-store',
    fresh: true,
    async run(t) {
      await within('A', () => t.call('in A', 'als.store', 1, { store: true }));
      await t.call('outside', 'als.store', 2, { store: true });
    },
  },
  {
    id: 'async-context/connected-outside-called-inside',
    async run(t) {
      await t.client.connect();
      await within('B', () => t.call('in B', 'als.store', 1, { store: true }));
      await within('C', () => t.call('in C, async handler', 'als.store-later', 2, { store: true }));
    },
  },
  {
    id: 'async-context/concurrent-callers',
    async run(t) {
      await t.client.connect();
      await Promise.all([
        within('D', () => t.call('in D', 'als.store', 'd', { store: true })),
        within('E', () => t.call('in E', 'als.store', 'e', { store: true })),
      ]);
    },
  },
  {
    id: 'async-context/event-handler',
    async run(t) {
      await t.client.connect();
      await within('F', () => lastValueFrom(t.client.emit('als.event', 'f')));
      await t.serverSaw(1);
    },
  },
  {
    id: 'async-context/handler-store-does-not-reach-caller',
    async run(t) {
      await t.client.connect();
      await within('G', () => t.call('stream', 'als.handler-runs-own-store', {}, { store: true }));
    },
  },
];
