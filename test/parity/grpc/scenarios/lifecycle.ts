import { pipeline, Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { sleep } from '../core/timing.js';
import type { Scenario } from '../core/scenario.js';
import { ok } from './build.js';

const answerAfter =
  (ms: number): Scenario['handler'] =>
  (call, callback, s) => {
    call.sendMetadata(new grpc.Metadata());
    void s.sleep(ms).then(() => callback(null, { text: 'answered' }));
  };

/** Runs `action(server, port)` on the server once the handler has its call, then answers after `ms`. */
function serverAction(
  name: string,
  action: (server: grpc.Server, port: number, rec: (label: string, value?: unknown) => void) => void,
  ms: number,
): Scenario['handler'] {
  return (call, callback, s) => {
    call.sendMetadata(new grpc.Metadata());
    try {
      action(s.server, s.port, s.rec);
      s.rec(name, 'returned');
    } catch (error) {
      s.rec(name, { threw: error });
    }
    void s.sleep(ms).then(() => callback(null, { text: 'answered' }));
  };
}

export const LIFECYCLE_SCENARIOS: Scenario[] = [
  {
    id: 'lifecycle/call-after-close',
    kind: 'unary',
    handler: ok,
    async client(t) {
      await t.unary({}, { label: 'before close' }).done;
      t.client.close();
      const c = t.attempt('call after close', () => t.unary({}, { label: 'after close' }));
      await c?.done;
    },
  },
  {
    id: 'lifecycle/call-after-close-without-earlier-calls',
    kind: 'unary',
    handler: ok,
    async client(t) {
      t.client.close();
      const c = t.attempt('call after close', () => t.unary({}));
      await c?.done;
    },
  },
  {
    id: 'lifecycle/close-with-a-call-in-flight',
    kind: 'unary',
    handler: answerAfter(50),
    async client(t) {
      const c = t.unary({});
      await new Promise((resolve) => c.call.once('metadata', resolve));
      t.client.close();
      c.note('client closed');
      await c.done;
    },
    serverSettleMs: 60,
  },
  {
    id: 'lifecycle/close-inside-the-callback',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const c = t.unary({});
      c.call.on('status', () => t.client.close());
      await c.done;
      await t.attempt('next call', () => t.unary({}, { label: 'next' }))?.done;
    },
  },
  {
    id: 'lifecycle/close-twice',
    kind: 'unary',
    handler: ok,
    async client(t) {
      await t.unary({}).done;
      t.attempt('first close', () => t.client.close());
      t.attempt('second close', () => t.client.close());
    },
  },
  {
    id: 'lifecycle/client-without-calls',
    kind: 'unary',
    handler: ok,
    async client(t) {
      t.rec('made', typeof t.client);
    },
  },
  {
    id: 'lifecycle/resources-while-open-and-idle',
    kind: 'unary',
    handler: ok,
    async client(t) {
      await t.unary({}).done;
      await t.sleep(20);
      // Connections only: stock's timers come and go while a channel is open.
      t.rec('connections kept while the client is open', await t.clientResources());
    },
  },
  {
    id: 'lifecycle/connectivity-state',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const channel = t.client.getChannel();
      t.rec('before any call', grpc.connectivityState[channel.getConnectivityState(false)]);
      await t.unary({}).done;
      t.rec('after a call', grpc.connectivityState[channel.getConnectivityState(false)]);
      t.client.close();
      t.rec('after close', grpc.connectivityState[channel.getConnectivityState(false)]);
    },
  },
  {
    id: 'lifecycle/channel-target',
    kind: 'unary',
    handler: ok,
    async client(t) {
      t.rec('target', t.client.getChannel().getTarget());
    },
  },
  {
    id: 'lifecycle/wait-for-ready-method',
    kind: 'unary',
    handler: ok,
    async client(t) {
      await new Promise<void>((resolve) =>
        t.client.waitForReady(Date.now() + 2000, (error?: Error) => {
          t.rec('waitForReady callback', error ?? null);
          resolve();
        }),
      );
      t.rec('state', grpc.connectivityState[t.client.getChannel().getConnectivityState(false)]);
    },
  },
  {
    id: 'lifecycle/force-shutdown-with-a-call-in-flight',
    kind: 'unary',
    freshServer: true,
    handler: serverAction('forceShutdown', (server) => server.forceShutdown(), 30),
    async client(t) {
      await t.unary({}).done;
      await t.unary({}, { label: 'next call' }).done;
    },
    serverSettleMs: 40,
  },
  {
    // A friends client's hello is the first call a stock server sees; a friends server sees the call after it.
    id: 'lifecycle/force-shutdown-as-the-first-call-arrives',
    kind: 'unary',
    server: 'shutdown-at-first-call',
    freshServer: true,
    handler: ok,
    async client(t) {
      await t.unary({}).done;
      await t.unary({}, { label: 'next call' }).done;
    },
  },
  {
    id: 'lifecycle/try-shutdown-with-a-call-in-flight',
    kind: 'unary',
    freshServer: true,
    handler: serverAction(
      'tryShutdown',
      (server, _port, rec) => server.tryShutdown((error) => rec('tryShutdown callback', error ?? null)),
      30,
    ),
    async client(t) {
      await t.unary({}).done;
      await t.unary({}, { label: 'next call' }).done;
    },
    serverSettleMs: 40,
  },
  {
    id: 'lifecycle/unbind-with-a-call-in-flight',
    kind: 'unary',
    freshServer: true,
    handler: serverAction('unbind', (server, port) => server.unbind(`127.0.0.1:${port}`), 30),
    async client(t) {
      await t.unary({}).done;
      await t.unary({}, { label: 'next call, same client' }).done;
      const other = t.newClient(t.placementOptions());
      await t.unary({}, { client: other, label: 'call from a new client' }).done;
    },
    serverSettleMs: 40,
  },
  {
    id: 'lifecycle/drain-with-a-call-in-flight',
    kind: 'unary',
    freshServer: true,
    handler: serverAction('drain', (server, port) => server.drain(`127.0.0.1:${port}`, 500), 30),
    async client(t) {
      await t.unary({}).done;
      await t.sleep(20);
      await t.unary({}, { label: 'next call, same client' }).done;
    },
    serverSettleMs: 40,
  },
  {
    id: 'lifecycle/first-call-before-the-server-starts-wait-for-ready',
    kind: 'unary',
    timeoutMs: 4000,
    handler: ok,
    async client(t) {
      const port = await t.freePort();
      const client = t.newClient({ ...t.placementOptions(), ...QUICK_RECONNECT }, `127.0.0.1:${port}`);
      const c = t.unary({}, { client, options: { deadline: Date.now() + 2500 }, metadata: waitForReady() });
      await t.sleep(50);
      await t.startServer('plain', port);
      await c.done;
      await t.unary({}, { client, label: 'second call' }).done;
    },
  },
  {
    id: 'lifecycle/first-call-before-the-server-starts',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const port = await t.freePort();
      const client = t.newClient({ ...t.placementOptions(), ...QUICK_RECONNECT }, `127.0.0.1:${port}`);
      await t.unary({}, { client, options: { deadline: Date.now() + 2500 } }).done;
      await t.startServer('plain', port);
      await t.unary({}, { client, label: 'after the server started' }).done;
    },
  },
  {
    id: 'lifecycle/no-server-at-all',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const port = await t.freePort();
      const client = t.newClient(t.placementOptions(), `127.0.0.1:${port}`);
      await t.unary({}, { client }).done;
    },
  },
  {
    id: 'lifecycle/no-server-wait-for-ready-until-deadline',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const port = await t.freePort();
      const client = t.newClient(t.placementOptions(), `127.0.0.1:${port}`);
      await t.unary({}, { client, metadata: waitForReady(), options: { deadline: Date.now() + 200 } }).done;
    },
  },
  {
    id: 'lifecycle/server-writes-after-end',
    kind: 'serverStream',
    handler: (call, _callback, s) => {
      call.on('error', (error: unknown) => s.rec('error event', error));
      call.write({ n: 1 });
      call.end();
      const returned = call.write({ n: 2 }, (err: unknown) => s.rec('late write callback', err));
      s.rec('write after end returned', returned);
    },
    async client(t) {
      // The error stock's stream raises ends it without a status: the deadline ends the call.
      await t.connected();
      await t.serverStream({}, { options: { deadline: Date.now() + 150 }, deadlineRace: true }).done;
    },
  },
  {
    id: 'lifecycle/pipeline-into-a-call-the-server-already-answered',
    kind: 'clientStream',
    handler: (call, callback) => {
      call.once('data', () => callback(null, { text: 'one was enough' }));
    },
    async client(t) {
      const c = t.clientStream();
      const source = Readable.from(
        (async function* () {
          for (let i = 0; i < 5; i++) {
            yield { n: i };
            await sleep(10);
          }
        })(),
      );
      await new Promise<void>((resolve) =>
        pipeline(source, c.call, (err) => {
          c.note('pipeline callback', err ?? null);
          resolve();
        }),
      );
      await c.done;
    },
  },
  {
    id: 'lifecycle/client-writes-after-end',
    kind: 'clientStream',
    // Whether the half-close reaches stock's server before the stream is torn down is a race.
    watchServerCall: false,
    handler: (call, callback) => {
      call.on('data', () => undefined);
      call.on('end', () => callback(null, { text: 'ok' }));
    },
    async client(t) {
      // The write-after-end error destroys stock's stream before any status: the deadline ends the call.
      await t.connected();
      const c = t.clientStream({ options: { deadline: Date.now() + 150 }, deadlineRace: true });
      c.write({ text: '1' });
      c.end();
      c.write({ text: 'after end' });
      await c.done;
    },
  },
];

/** Reconnect backoff in tens of ms instead of grpc-js's 1 s, so a late server is found quickly. */
const QUICK_RECONNECT = { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 100 };

function waitForReady(): grpc.Metadata {
  return new grpc.Metadata({ waitForReady: true });
}
