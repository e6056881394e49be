import { Controller, Inject } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { lastValueFrom, of, type Observable } from 'rxjs';
import { Recorder } from '../recorder.js';
import type { Scenario } from '../scenario.js';

@Controller()
export class EventsController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @EventPattern('ev.record')
  record(@Payload() data: unknown): void {
    this.rec.add('ev.record', data);
  }

  @EventPattern('ev.twice')
  first(@Payload() data: unknown): void {
    this.rec.add('ev.twice first', data);
  }

  @EventPattern('ev.twice')
  second(@Payload() data: unknown): void {
    this.rec.add('ev.twice second', data);
  }

  @EventPattern('ev.async')
  async later(@Payload() data: unknown): Promise<void> {
    await Promise.resolve();
    this.rec.add('ev.async', data);
  }

  @EventPattern('ev.throws')
  throws(@Payload() kind: string): void {
    this.rec.add('ev.throws', kind);
    if (kind === 'rpc') throw new RpcException({ from: 'event' });
    throw new Error('event handler failed');
  }

  @EventPattern('ev.observable')
  observable(@Payload() data: unknown): Observable<unknown> {
    this.rec.add('ev.observable', data);
    return of(data);
  }

  @EventPattern({ kind: 'event', name: 'object' })
  objectPattern(@Payload() data: unknown): void {
    this.rec.add('ev.object-pattern', data);
  }

  @MessagePattern('ev.ping')
  ping(@Payload() data: unknown): unknown {
    this.rec.add('ev.ping', data);
    return data;
  }
}

const saw = (at: string) => (entries: readonly { at: string }[]) => entries.some((e) => e.at === at);

export const eventScenarios: Scenario[] = [
  {
    id: 'event/delivered',
    async run(t) {
      await t.observe('emit', t.client.emit('ev.record', { n: 1 }));
      await t.serverSaw(1);
    },
  },
  {
    id: 'event/hot-without-subscriber',
    async run(t) {
      t.client.emit('ev.record', { unobserved: true });
      await t.serverSaw(1);
    },
  },
  {
    id: 'event/two-handlers-for-one-pattern',
    async run(t) {
      await lastValueFrom(t.client.emit('ev.twice', 'x'));
      await t.serverSaw(2);
    },
  },
  {
    id: 'event/no-handler',
    async run(t) {
      await t.observe('emit', t.client.emit('ev.nobody', { lost: true }));
      await t.call('still connected', 'ev.ping', 1);
    },
  },
  {
    id: 'event/no-handler-numbered-patterns',
    // The server logs each pattern: its digits are compared as they are.
    async run(t) {
      await t.observe('numbered', t.client.emit('ev.nobody.404', 1));
      await t.observe('number', t.client.emit(4096, 2));
      await t.observe('object', t.client.emit({ code: 'E_42', retry: 3 }, 3));
      await t.call('still connected', 'ev.ping', 4);
    },
  },
  {
    id: 'event/object-pattern-any-key-order',
    async run(t) {
      await lastValueFrom(t.client.emit({ name: 'object', kind: 'event' }, 'reversed'));
      await lastValueFrom(t.client.emit({ kind: 'event', name: 'object' }, 'sorted'));
      await t.serverSaw(2);
    },
  },
  {
    id: 'event/async-handler',
    async run(t) {
      await lastValueFrom(t.client.emit('ev.async', [1]));
      await t.server.until(saw('ev.async'));
    },
  },
  {
    id: 'event/handler-throws',
    async run(t) {
      await lastValueFrom(t.client.emit('ev.throws', 'plain'));
      await lastValueFrom(t.client.emit('ev.throws', 'rpc'));
      await t.serverSaw(2);
      await t.call('still connected', 'ev.ping', 2);
    },
  },
  {
    id: 'event/handler-returns-observable',
    async run(t) {
      await lastValueFrom(t.client.emit('ev.observable', 'o'));
      await t.serverSaw(1);
    },
  },
  {
    id: 'event/in-order-with-requests',
    async run(t) {
      t.client.emit('ev.record', 1);
      const a = t.call('a', 'ev.ping', 'a');
      t.client.emit('ev.record', 2);
      const b = t.call('b', 'ev.ping', 'b');
      await Promise.all([a, b]);
      await t.serverSaw(4);
    },
  },
  {
    id: 'event/emit-to-a-message-handler',
    async run(t) {
      await lastValueFrom(t.client.emit('ev.ping', 'as event'));
      await t.serverSaw(1);
    },
  },
  {
    id: 'event/send-to-an-event-handler',
    async run(t) {
      await t.call('request', 'ev.record', 'as request', { within: 200 });
      await t.serverSaw(1);
    },
  },
];
