import * as grpc from '@grpc/grpc-js';
import type { Scenario, ServerCallContext } from '../core/scenario.js';

/**
 * Scenarios about what the server observes of a client's cancel wait for it
 * before the run closes their channel (`t.serverSaw`): closing it cancels the
 * server's streams anyway, so a server that ignored the cancel would pass.
 */
const CANCELLED_LISTENER = "'cancelled' listener";

/** Sends metadata (the client's cue), waits, then records how the call looks and answers. */
const announceThenWait: Scenario['handler'] = (call, callback, s) => {
  call.on('cancelled', () => s.rec(CANCELLED_LISTENER, { cancelled: call.cancelled }));
  call.sendMetadata(new grpc.Metadata());
  void s.sleep(120).then(() => {
    s.rec('after the wait', { cancelled: call.cancelled });
    callback?.(null, { text: 'too late' });
  });
};

/** Writes a message every 20 ms until the call is cancelled (at most 20). */
const tick: Scenario['handler'] = (call, _callback, s) => {
  void (async () => {
    for (let i = 0; i < 20 && !call.cancelled; i++) {
      call.write({ n: i });
      await s.sleep(20);
    }
    s.rec('stopped writing', { cancelled: call.cancelled });
    if (!call.cancelled) call.end();
  })();
};

/** Records a server call's events in order ('cancelled' among them), for scenarios where stock's order is fixed. */
function recordEvents(call: grpc.ServerDuplexStream<unknown, unknown>, s: ServerCallContext): void {
  for (const event of ['cancelled', 'end', 'finish', 'close'])
    call.on(event, () => s.rec(event, { cancelled: call.cancelled }));
  call.on('error', (e: unknown) => s.rec('error', e));
}

/** A bidi handler that echoes, recording its call's events in order. */
const echoRecordingEvents: Scenario['handler'] = (call, _callback, s) => {
  recordEvents(call, s);
  call.on('data', (m: { text: string }) => call.write({ text: m.text }));
};

/**
 * A bidi stream the client cancels midway, after `echoes` echoes came back:
 * which of 'cancelled' and the stream's own events comes first is fixed on
 * stock here, so they are recorded in order.
 */
function bidiCancelledMidway(name: string, echoes: number, connected: boolean): Scenario {
  return {
    id: `cancel/bidi-${name}-server-event-order`,
    kind: 'bidi',
    watchServerCall: false,
    handler: echoRecordingEvents,
    async client(t) {
      if (connected) await t.connected();
      const c = t.bidi();
      let seen = 0;
      c.write({ text: '0' });
      c.call.on('data', () => {
        if (++seen === echoes) c.call.cancel();
        else c.write({ text: String(seen) });
      });
      await c.done;
      await t.serverSaw('close');
    },
  };
}

export const CANCELLATION_SCENARIOS: Scenario[] = [
  {
    id: 'cancel/unary-at-once',
    kind: 'unary',
    handler: (_call, callback) => callback(null, { text: 'ran' }),
    async client(t) {
      const c = t.unary({ text: 'x' });
      c.call.cancel();
      await c.done;
    },
  },
  {
    id: 'cancel/unary-after-metadata',
    kind: 'unary',
    handler: announceThenWait,
    async client(t) {
      const c = t.unary({});
      c.call.on('metadata', () => c.call.cancel());
      await c.done;
      await t.serverSaw(CANCELLED_LISTENER);
    },
    serverSettleMs: 150,
  },
  {
    id: 'cancel/server-stream-after-first-message',
    kind: 'serverStream',
    handler: tick,
    async client(t) {
      const c = t.serverStream({});
      c.call.once('data', () => c.call.cancel());
      await c.done;
      await t.serverSaw('stopped writing');
    },
    serverSettleMs: 60,
  },
  {
    id: 'cancel/server-stream-at-once',
    kind: 'serverStream',
    handler: tick,
    async client(t) {
      const c = t.serverStream({});
      c.call.cancel();
      await c.done;
    },
    serverSettleMs: 60,
  },
  {
    id: 'cancel/client-stream-mid-writes',
    kind: 'clientStream',
    handler: (call, callback, s) => {
      call.on('data', (m: unknown) => s.rec('data', m));
      call.on('error', (e: unknown) => s.rec('error', e));
      call.on('end', () => callback(null, { text: 'ended' }));
    },
    async client(t) {
      await t.connected();
      const c = t.clientStream();
      c.write({ text: '1' });
      c.write({ text: '2' });
      await t.sleep(50);
      c.call.cancel();
      await c.done;
      await t.serverSaw('cancelled');
    },
  },
  {
    id: 'cancel/bidi-mid-stream',
    kind: 'bidi',
    handler: (call, _callback, s) => {
      call.on('data', (m: { text: string }) => call.write({ text: m.text }));
      call.on('error', (e: unknown) => s.rec('error', e));
    },
    async client(t) {
      const c = t.bidi();
      c.write({ text: 'a' });
      c.call.once('data', () => c.call.cancel());
      await c.done;
      await t.serverSaw('cancelled');
    },
  },
  bidiCancelledMidway('after-one-echo', 1, true),
  bidiCancelledMidway('after-three-echoes', 3, true),
  bidiCancelledMidway('after-one-echo-on-a-new-channel', 1, false),
  {
    id: 'cancel/bidi-while-the-server-writes-server-event-order',
    kind: 'bidi',
    watchServerCall: false,
    handler: (call, callback, s) => {
      recordEvents(call, s);
      call.on('data', () => undefined);
      tick(call, callback, s);
    },
    async client(t) {
      await t.connected();
      const c = t.bidi();
      c.write({ text: 'go' });
      c.call.once('data', () => c.call.cancel());
      await c.done;
      await t.serverSaw('stopped writing');
    },
    serverSettleMs: 30,
  },
  {
    id: 'cancel/after-completion',
    kind: 'unary',
    handler: (_call, callback) => callback(null, { text: 'done' }),
    async client(t) {
      const c = t.unary({});
      await c.done;
      c.call.cancel();
      c.note('cancelled after the status');
      await t.sleep(20);
    },
  },
  {
    id: 'cancel/twice',
    kind: 'unary',
    handler: announceThenWait,
    async client(t) {
      const c = t.unary({});
      c.call.on('metadata', () => {
        c.call.cancel();
        c.call.cancel();
      });
      await c.done;
      await t.serverSaw(CANCELLED_LISTENER);
    },
    serverSettleMs: 150,
  },
  {
    id: 'cancel/finished-call-later',
    kind: 'unary',
    handler: (call, callback, s) => {
      callback(null, { text: 'done' });
      void s.sleep(50).then(() => s.rec('50 ms after answering', { cancelled: call.cancelled }));
    },
    async client(t) {
      await t.unary({}).done;
    },
    serverSettleMs: 60,
  },
  {
    id: 'cancel/interceptor-sees-finished-call',
    kind: 'unary',
    server: 'recorded',
    handler: (_call, callback) => callback(null, { text: 'done' }),
    async client(t) {
      await t.unary({}).done;
    },
    serverSettleMs: 30,
  },
  {
    id: 'cancel/interceptor-sees-client-cancel',
    kind: 'unary',
    server: 'recorded',
    handler: announceThenWait,
    async client(t) {
      const c = t.unary({});
      c.call.on('metadata', () => c.call.cancel());
      await c.done;
      await t.serverSaw('onCancel');
      await t.serverSaw(CANCELLED_LISTENER);
    },
    serverSettleMs: 150,
  },
  {
    id: 'cancel/server-writes-after-cancel',
    kind: 'serverStream',
    handler: (call, _callback, s) => {
      call.write({ n: 0 });
      call.on('cancelled', () => {
        for (let i = 1; i <= 2; i++) {
          const returned = call.write({ n: i }, (err: unknown) => s.rec('write callback', { i, err }));
          s.rec('write after cancel', { i, returned });
        }
        call.end();
      });
    },
    async client(t) {
      const c = t.serverStream({});
      c.call.once('data', () => c.call.cancel());
      await c.done;
      await t.serverSaw('close');
    },
    serverSettleMs: 30,
  },
];
