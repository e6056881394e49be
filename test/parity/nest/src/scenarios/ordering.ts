import { lastValueFrom } from 'rxjs';
import type { Scenario } from '../scenario.js';

export const orderingScenarios: Scenario[] = [
  {
    id: 'order/pipelined-sync-requests',
    async run(t) {
      await t.client.connect();
      await Promise.all(Array.from({ length: 20 }, (_, i) => t.call(`call ${i}`, 'rr.sum', [i])));
    },
  },
  {
    id: 'order/mixed-handler-kinds-in-one-tick',
    // Eight calls reach the server in one read on every wire in one process (the stock client
    // writes about 17 frames before its stream starts buffering, friends flushes every 8): more
    // would test how reads happen to be split, which no wire promises.
    async run(t) {
      await t.client.connect();
      await Promise.all([
        t.call('observable', 'rr.observable', [1]),
        t.call('sync', 'rr.sum', [2]),
        t.call('async', 'rr.async', [3]),
        t.call('observable-async', 'rr.observable-async', [4]),
        t.call('promise-of-observable', 'rr.promise-of-observable', [5, 6]),
        t.call('stream', 'st.of', [7, 8]),
        t.call('unknown', 'order.nobody', 9),
        t.call('error', 'er.throw', 'rpc string'),
      ]);
    },
  },
  {
    id: 'order/timers-finish-in-their-order',
    async run(t) {
      await t.client.connect();
      await Promise.all([
        t.call('30 ms', 'rr.timer', { ms: 30, value: 30 }),
        t.call('5 ms', 'rr.timer', { ms: 5, value: 5 }),
        t.call('15 ms', 'rr.timer', { ms: 15, value: 15 }),
      ]);
    },
  },
  {
    id: 'order/first-calls-wait-for-the-connection',
    fresh: true,
    async run(t) {
      await Promise.all([
        t.call('observable', 'rr.observable', [1]),
        t.call('sync', 'rr.sum', [2]),
        t.call('stream', 'st.of', [3, 4]),
      ]);
    },
  },
  {
    id: 'order/requests-across-the-tier-decision',
    fresh: true,
    // Requests made one loop turn apart from the first call on: a FriendsClient's tier is decided
    // meanwhile, so some travel on tcp and the rest on the tier it moves to, and the server must take
    // them in the order they were made. (Requests and events are not mixed: on Nest 11, the order in
    // which the stock server runs handlers of both kinds received in one read depends on how reads
    // are split.)
    async run(t) {
      const calls: Promise<void>[] = [];
      for (let i = 0; i < 16; i++) {
        calls.push(t.call(`call ${i}`, 'ev.ping', `call ${i}`));
        await new Promise((resolve) => setImmediate(resolve));
        if (i % 4 === 3) await t.sleep(2);
      }
      await Promise.all(calls);
    },
  },
  {
    id: 'order/events-across-the-tier-decision',
    fresh: true,
    async run(t) {
      for (let i = 0; i < 16; i++) {
        t.client.emit('ev.record', `event ${i}`);
        await new Promise((resolve) => setImmediate(resolve));
        if (i % 4 === 3) await t.sleep(2);
      }
      await t.serverSaw(16);
    },
  },
  {
    id: 'order/two-hundred-concurrent',
    // How 200 requests split into reads differs by wire; what holds on every wire is that each
    // call gets its own answer and requests of one kind are answered in the order they were sent.
    async run(t) {
      await t.client.connect();
      const kinds = ['rr.sum', 'rr.async', 'rr.observable'] as const;
      const answered: Record<string, number[]> = { 'rr.sum': [], 'rr.async': [], 'rr.observable': [] };
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          lastValueFrom(t.client.send<number>(kinds[i % 3], [i])).then((answer) => {
            answered[kinds[i % 3]!]!.push(i);
            return answer;
          }),
        ),
      );
      t.note('answers', answers);
      t.note('order per kind', answered);
    },
  },
];
