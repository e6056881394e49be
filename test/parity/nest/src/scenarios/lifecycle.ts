import { lastValueFrom } from 'rxjs';
import type { Entry } from '../recorder.js';
import type { ParityClient, Scenario, ScenarioContext } from '../scenario.js';
import { untilStatus, watchStatus } from './status.js';

const life = { server: 'lifecycle' as const };
/** About connecting: the client has not connected when the scenario starts. */
const fresh = { fresh: true };
const grace = { server: 'grace' as const };

/** Runs `step`, noting whether it resolved or how it failed. */
async function outcome(t: ScenarioContext, label: string, step: () => Promise<unknown> | unknown): Promise<void> {
  try {
    await step();
    t.note(label, 'resolved');
  } catch (err) {
    t.note(label, err);
  }
}

const saw = (at: string) => (entries: readonly Entry[]) => entries.some((e) => e.at === at);

export const lifecycleScenarios: Scenario[] = [
  {
    id: 'lifecycle/server-close-fails-pending-requests',
    ...life,
    async run(t) {
      const status = watchStatus(t);
      const pending = [t.call('pending 1', 'rr.hang', 1), t.call('pending 2', 'rr.hang', 2)];
      await t.serverSaw(2);
      await t.server.close();
      await Promise.all(pending);
      status.stop();
    },
  },
  {
    id: 'lifecycle/next-send-reconnects',
    ...life,
    async run(t) {
      const status = watchStatus(t);
      await t.call('before', 'rr.sum', [1]);
      await t.server.close();
      await untilStatus(t.client, 'disconnected');
      await t.server.restart();
      await t.call('after restart', 'rr.sum', [2]);
      status.stop();
    },
  },
  {
    id: 'lifecycle/refused-while-down',
    ...life,
    async run(t) {
      const status = watchStatus(t);
      await t.call('before', 'rr.sum', [1]);
      await t.server.close();
      await untilStatus(t.client, 'disconnected');
      await t.call('while down', 'rr.sum', [2]);
      await t.observe('emit while down', t.client.emit('ev.record', 'lost'));
      // Long enough for the refused socket to close (see the next scenario for what happens before).
      await t.sleep(20);
      await t.server.restart();
      await t.call('after restart', 'rr.sum', [3]);
      status.stop();
    },
  },
  {
    id: 'lifecycle/refusal-is-the-answer-until-its-socket-closes',
    ...fresh,
    ...life,
    async run(t) {
      await t.server.close();
      const failures: unknown[] = [];
      const fail = (label: string) => (err: unknown) => {
        failures.push(err);
        t.note(label, err);
      };
      await lastValueFrom(t.client.send('rr.sum', [1])).catch(fail('first'));
      // At once: the stock client still answers with the same failed connection attempt.
      await lastValueFrom(t.client.send('rr.sum', [2])).catch(fail('at once'));
      await t.sleep(20);
      await lastValueFrom(t.client.send('rr.sum', [3])).catch(fail('later'));
      t.note('same error at once', failures[0] === failures[1]);
      t.note('a new attempt later', failures[0] !== failures[2]);
    },
  },
  {
    id: 'lifecycle/client-close-fails-pending-requests',
    async run(t) {
      const status = watchStatus(t);
      const pending = t.call('pending', 'rr.hang', 'p');
      await t.serverSaw(1);
      t.client.close();
      await pending;
      await t.call('after close', 'rr.sum', [1, 1]);
      status.stop();
    },
  },
  {
    id: 'lifecycle/close-then-connect-at-once',
    async run(t) {
      const status = watchStatus(t);
      await t.call('first', 'rr.sum', [1]);
      t.client.close();
      await outcome(t, 'connect', () => t.client.connect());
      await Promise.all([t.call('a', 'rr.sum', [2]), t.call('b', 'rr.sum', [3])]);
      status.stop();
    },
  },
  {
    id: 'lifecycle/close-while-connecting',
    ...fresh,
    async run(t) {
      const connecting = outcome(t, 'first connect', () => t.client.connect());
      t.client.close();
      await connecting;
      await outcome(t, 'second connect', () => t.client.connect());
      await t.call('call', 'rr.sum', [4]);
    },
  },
  {
    id: 'lifecycle/call-then-close-before-connected',
    ...fresh,
    async run(t) {
      const queued = t.call('queued', 'rr.sum', [1]);
      t.client.close();
      await queued;
      await t.call('after', 'rr.sum', [2]);
    },
  },
  {
    id: 'lifecycle/concurrent-connects',
    ...fresh,
    async run(t) {
      const status = watchStatus(t);
      await Promise.all([outcome(t, 'a', () => t.client.connect()), outcome(t, 'b', () => t.client.connect())]);
      await t.call('call', 'rr.sum', [5]);
      status.stop();
    },
  },
  {
    id: 'lifecycle/close-before-any-connect-and-twice',
    ...fresh,
    async run(t) {
      await outcome(t, 'close', () => t.client.close());
      await t.call('call', 'rr.sum', [6]);
      await outcome(t, 'close', () => t.client.close());
      await outcome(t, 'close again', () => t.client.close());
      await t.call('call again', 'rr.sum', [7]);
    },
  },
  {
    id: 'lifecycle/requests-before-connect-resolves',
    ...fresh,
    async run(t) {
      // Calls made while the first connection is being made wait for it, in order.
      const calls = [0, 1, 2, 3].map((i) => t.call(`call ${i}`, 'rr.sum', [i]));
      t.client.emit('ev.record', 'early');
      await Promise.all(calls);
      await t.server.until(saw('ev.record'));
    },
  },
  {
    id: 'lifecycle/status-of-a-second-client',
    async run(t) {
      const other = t.newClient();
      const status = watchStatus(t, other);
      await lastValueFrom(other.send('rr.sum', [1]));
      other.close();
      await untilStatus(other, 'disconnected');
      status.stop();
    },
  },
  {
    id: 'grace/close-is-prompt-when-the-client-left',
    ...grace,
    async run(t) {
      void t.call('abandoned', 'rr.hang', 1);
      await t.serverSaw(1);
      t.client.close();
      await t.sleep(20);
      const started = Date.now();
      await t.server.close();
      t.note('closed within 500 ms', Date.now() - started < 500);
    },
  },
  {
    id: 'grace/in-flight-request-at-close',
    ...grace,
    async run(t) {
      const pending = t.call('in flight', 'rr.timer', { ms: 80, value: 'finished' });
      await t.serverSaw(1);
      const closing = t.server.close();
      await pending;
      await closing;
      await t.server.until(saw('rr.timer end'));
    },
  },
  {
    id: 'lifecycle/unwrap-returns-the-socket',
    ...fresh,
    async run(t) {
      const client = t.client as ParityClient & { unwrap<T>(): T };
      const socketClass = (): unknown => {
        try {
          return (client.unwrap<object>().constructor as { name: string }).name;
        } catch (err) {
          return err;
        }
      };
      t.note('before connect', socketClass());
      const connecting = client.connect();
      t.note('as connect() is called', socketClass());
      const first = client.unwrap<object>();
      await connecting;
      t.note('once connected, the same socket', client.unwrap() === first);
      await t.call('call', 'rr.sum', [1]);
      client.close();
      t.note('after close', socketClass());
    },
  },
  {
    id: 'exit/no-handles-left-after-close',
    ...fresh,
    async run(t) {
      await t.call('call', 'rr.sum', [1]);
      await t.observe('emit', t.client.emit('ev.record', 'e'));
      t.client.close();
      t.note('left behind', await t.leftoverResources());
    },
  },
  {
    id: 'exit/process-exits-after-close',
    ...fresh,
    async run(t) {
      t.note('exits', await t.processExitsAfterClose());
    },
  },
];
