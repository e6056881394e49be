import { lastValueFrom } from 'rxjs';
import type { Scenario } from '../scenario.js';
import { idsClient } from './hooks.js';

/**
 * Handlers with no global enhancer: a global interceptor makes every answer an
 * Observable, so the other setups never see a handler answer with a plain
 * value, which the server writes as send(of(value)) does. The setup's
 * serializer notes when each answer is written.
 */
const bare = { server: 'bare' as const, client: idsClient };

export const bareScenarios: Scenario[] = [
  {
    id: 'bare/values',
    ...bare,
    async run(t) {
      await t.call('sync', 'rr.sum', [1, 2]);
      await t.call('async', 'rr.async', [3, 4]);
      for (const kind of ['undefined', 'null', 'zero', 'false', 'empty', 'array', 'object', 'nested', 'text']) {
        await t.call(kind, 'rr.result', kind);
      }
    },
  },
  {
    id: 'bare/observables',
    ...bare,
    async run(t) {
      await t.call('observable', 'rr.observable', [1]);
      await t.call('observable-async', 'rr.observable-async', [2]);
      await t.call('promise-of-observable', 'rr.promise-of-observable', [3, 4]);
      await t.call('stream', 'st.of', [5, 6]);
    },
  },
  {
    id: 'bare/errors',
    ...bare,
    async run(t) {
      await t.call('rpc', 'er.throw', 'rpc string');
      await t.call('plain', 'er.throw', 'plain error');
      await t.call('rejected', 'er.reject', 'rpc object');
      await t.call('unknown', 'bare.nobody', 1);
    },
  },
  {
    id: 'bare/answer-written-after-the-handlers-next-tick',
    ...bare,
    async run(t) {
      await t.call('one', 'rr.after-tick', 1);
      await t.call('two', 'rr.after-tick', 2);
    },
  },
  {
    id: 'bare/mixed-handler-kinds-in-one-tick',
    ...bare,
    async run(t) {
      await Promise.all([
        t.call('value', 'rr.sum', [1]),
        t.call('async', 'rr.async', [2]),
        t.call('observable', 'rr.observable', [3]),
        t.call('after-tick', 'rr.after-tick', 4),
        t.call('stream', 'st.of', [5, 6]),
        t.call('unknown', 'bare.nobody', 7),
        t.call('error', 'er.throw', 'rpc string'),
      ]);
    },
  },
  {
    id: 'bare/events-and-requests',
    ...bare,
    async run(t) {
      await lastValueFrom(t.client.emit('ev.record', 1));
      await t.call('ping', 'ev.ping', 'a');
      await lastValueFrom(t.client.emit('ev.async', 2));
      await t.server.until((entries) => entries.some((e) => e.at === 'ev.async'));
      await t.call('ping again', 'ev.ping', 'b');
    },
  },
];
