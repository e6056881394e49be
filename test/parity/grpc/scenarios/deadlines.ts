import * as grpc from '@grpc/grpc-js';
import { raceText } from '../core/client-calls.js';
import { callOwnServer, connectOwnClient } from '../core/inner-client.js';
import type { Scenario, ServerHandler } from '../core/scenario.js';
import { methodPath } from '../core/scenario.js';

/** Replies after `request.n` ms, recording whether the call was cancelled meanwhile. */
const slowReply: ServerHandler = (call, callback, s) => {
  void s.sleep(call.request.n ?? 0).then(() => {
    s.rec('after the wait', { cancelled: call.cancelled });
    callback(null, { text: 'late' });
  });
};

function deadlineScenario(
  name: string,
  deadline: () => grpc.Deadline,
  delayMs = 0,
  extra: Partial<Scenario> = {},
): Scenario {
  return {
    id: `deadline/${name}`,
    kind: 'unary',
    handler: slowReply,
    async client(t) {
      // A deadline the handler outlasts is near: it times the call, on a connected channel.
      if (delayMs > 0) await t.connected();
      await t.unary({ n: delayMs }, { options: { deadline: deadline() }, deadlineRace: delayMs > 0 }).done;
    },
    ...extra,
  };
}

/**
 * A deadline grpc-js cannot turn into a grpc-timeout header (NaN): its timer
 * fires after 1 ms, and a call picked before that makes stock throw
 * asynchronously ("Deadline is too far in the future", an unhandled
 * rejection). Call credentials that take 30 ms keep stock's pick behind the
 * timer every time, so the run is deterministic: what the application sees
 * of such a deadline is the call ending.
 */
function slowCredentialsDeadline(name: string, deadline: () => grpc.Deadline): Scenario {
  return {
    id: `deadline/${name}`,
    kind: 'unary',
    handler: slowReply,
    async client(t) {
      const credentials = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
        setTimeout(() => callback(null, new grpc.Metadata()), 30);
      });
      await t.unary({ n: 0 }, { options: { deadline: deadline(), credentials } }).done;
    },
  };
}

/**
 * A deadline beyond setTimeout's 2^31 - 1 ms. grpc-js servers (1.10 to 1.14)
 * arm their deadline timer with it, and Node fires such a timer after 1 ms:
 * the call ends DEADLINE_EXCEEDED. A handler that answers at once races that
 * millisecond; one that takes 50 ms on a connected channel loses it every
 * time, so the stock run is deterministic and the friends runs are held to it.
 */
function farDeadline(name: string, deadline: () => grpc.Deadline): Scenario {
  return {
    id: `deadline/${name}`,
    kind: 'unary',
    handler: slowReply,
    async client(t) {
      await t.connected();
      await t.unary({ n: 50 }, { options: { deadline: deadline() } }).done;
    },
    // The server's timer ends the call at once; the handler's wait ends 50 ms later, and is part of the trace.
    serverSettleMs: 100,
  };
}

/**
 * Connections each scenario below makes a call on: where friends lose such a
 * call only now and then (a race), one of them shows it. One call each: on
 * stock, what a connection's later such calls observe is a race too.
 */
const PASSED_DEADLINE_CONNECTIONS = 8;

/**
 * A deadline already passed when the call starts, on a connected channel:
 * grpc-js picks at once and sends the call with grpc-timeout 0m before its
 * own timer (next tick) cancels it, so the server gets it, and its handler
 * runs and sees the call cancelled. On a channel still connecting, the
 * client's timer ends the call first (the scenarios above).
 */
function passedOnConnectedChannel(name: string, deadline: () => grpc.Deadline): Scenario {
  return {
    id: `deadline/${name}-on-a-connected-channel`,
    kind: 'unary',
    handler: (call, callback, s) => {
      call.on('cancelled', () => s.rec("'cancelled' listener", { cancelled: call.cancelled }));
      slowReply(call, callback, s);
    },
    async client(t) {
      for (let i = 0; i < PASSED_DEADLINE_CONNECTIONS; i++) {
        const client = t.newClient(t.placementOptions());
        await t.connected(client);
        await t.unary({ n: 20 }, { client, options: { deadline: deadline() }, label: `call ${i}` }).done;
        await t.serverSaw('after the wait', 200, i + 1);
        client.close();
      }
    },
    timeoutMs: 6_000,
  };
}

/**
 * The handler calls its own server as a child call with the parent's
 * deadline, on a client it connected beforehand (the scenario's first call
 * asks for that): no connection set up in a loaded process outlasts the
 * 100 ms deadline, and the child reaches its handler as stock's does.
 */
function propagatedOnConnectedChannel(name: string): Scenario {
  const id = `deadline/propagated-to-a-child-call-${name}`;
  return {
    id,
    kind: 'unary',
    handler: (call, callback, s) => {
      const { text } = call.request as { text: string };
      if (text === 'connect') {
        void connectOwnClient(s.port).then((error) => callback(null, { text: error ? error.message : 'connected' }));
        return;
      }
      if (text === 'child') {
        slowReply(call, callback, s);
        return;
      }
      void callOwnServer(
        s.port,
        methodPath(id),
        { text: 'child', n: 250 },
        { parent: call, propagate_flags: grpc.propagate.DEADLINE },
        { connected: true },
      ).then(({ err, value }) => {
        // The child's end is a deadline race too: its server's timer against its client's.
        s.rec('child call', { code: err?.code, details: raceText(err?.details), value });
        callback(err, value);
      });
    },
    async client(t) {
      await t.unary({ text: 'connect' }, { label: 'connect the handler client' }).done;
      await t.unary({ text: 'parent' }, { options: { deadline: Date.now() + 100 }, deadlineRace: true }).done;
      await t.serverSaw('child call');
    },
    serverSettleMs: 300,
  };
}

const SECOND = 1000;
const HOUR = 3600 * SECOND;

export const DEADLINE_SCENARIOS: Scenario[] = [
  {
    id: 'deadline/none',
    kind: 'unary',
    handler: slowReply,
    async client(t) {
      await t.unary({ n: 0 }).done;
    },
  },
  deadlineScenario('in-5s-as-date', () => new Date(Date.now() + 5 * SECOND)),
  deadlineScenario('in-5s-as-number', () => Date.now() + 5 * SECOND),
  deadlineScenario('in-1h', () => Date.now() + HOUR),
  farDeadline('in-30-days', () => Date.now() + 30 * 24 * HOUR),
  farDeadline('in-10-years', () => Date.now() + 10 * 365 * 24 * HOUR),
  deadlineScenario('exceeded-while-handler-waits', () => Date.now() + 100, 250, { serverSettleMs: 200 }),
  deadlineScenario('already-passed', () => Date.now() - SECOND),
  deadlineScenario('zero', () => 0),
  deadlineScenario('date-zero', () => new Date(0)),
  slowCredentialsDeadline('nan', () => NaN),
  slowCredentialsDeadline('invalid-date', () => new Date(NaN)),
  deadlineScenario('minus-infinity', () => -Infinity),
  deadlineScenario('infinity', () => Infinity),
  passedOnConnectedChannel('zero', () => 0),
  passedOnConnectedChannel('date-zero', () => new Date(0)),
  passedOnConnectedChannel('minus-infinity', () => -Infinity),
  passedOnConnectedChannel('expired-date', () => new Date(Date.now() - SECOND)),
  passedOnConnectedChannel('expired-number', () => Date.now() - SECOND),
  {
    id: 'deadline/server-stream-expires-mid-stream',
    // Stock's server and client deadline timers race: which of them ends the stream first varies.
    watchServerCall: false,
    kind: 'serverStream',
    handler: (call, _callback, s) => {
      void (async () => {
        // Three messages at once, then long gaps: the deadline falls well inside the first gap, so
        // how many messages precede it does not depend on how loaded the machine is.
        for (let i = 0; i < 10 && !call.cancelled; i++) {
          call.write({ n: i });
          await s.sleep(i < 2 ? 10 : 600);
        }
        s.rec('loop over', { cancelled: call.cancelled });
        if (!call.cancelled) call.end();
      })();
    },
    async client(t) {
      await t.connected();
      await t.serverStream({}, { options: { deadline: Date.now() + 300 }, deadlineRace: true }).done;
    },
    serverSettleMs: 100,
  },
  {
    id: 'deadline/client-stream-expires',
    // Stock's server and client deadline timers race: which of them ends the stream first varies.
    watchServerCall: false,
    kind: 'clientStream',
    handler: (call, callback, s) => {
      call.on('data', (m: unknown) => s.rec('data', m));
      call.on('end', () => callback(null, { text: 'ended' }));
    },
    async client(t) {
      await t.connected();
      const c = t.clientStream({ options: { deadline: Date.now() + 100 }, deadlineRace: true });
      c.write({ text: 'one' });
      await c.done;
    },
  },
  {
    id: 'deadline/bidi-expires',
    // Stock's server and client deadline timers race: which of them ends the stream first varies.
    watchServerCall: false,
    kind: 'bidi',
    handler: (call) => {
      call.on('data', (m: { text: string }) => call.write({ text: m.text }));
      call.on('error', () => undefined);
    },
    async client(t) {
      await t.connected();
      const c = t.bidi({ options: { deadline: Date.now() + 100 }, deadlineRace: true });
      c.write({ text: 'one' });
      await c.done;
    },
  },
  {
    id: 'deadline/propagated-to-a-child-call',
    kind: 'unary',
    handler: (call, callback, s) => {
      if (call.request.text === 'child') {
        slowReply(call, callback, s);
        return;
      }
      // Only the deadline: with cancellation too, the parent's expiry and the child's own timer race.
      void callOwnServer(
        s.port,
        methodPath('deadline/propagated-to-a-child-call'),
        { text: 'child', n: 250 },
        {
          parent: call,
          propagate_flags: grpc.propagate.DEADLINE,
        },
      ).then(({ err, value }) => {
        // The child's end is a deadline race too (see CallSetup.deadlineRace).
        s.rec('child call', { code: err?.code, details: raceText(err?.details), value });
        callback(err, value);
      });
    },
    async client(t) {
      await t.connected();
      await t.unary({ text: 'parent' }, { options: { deadline: Date.now() + 100 }, deadlineRace: true }).done;
    },
    serverSettleMs: 250,
  },
  propagatedOnConnectedChannel('on-a-connected-channel'),
  {
    id: 'deadline/cancellation-propagated-to-a-child-call',
    kind: 'unary',
    handler: (call, callback, s) => {
      if (call.request.text === 'child') {
        call.sendMetadata(new grpc.Metadata());
        slowReply(call, callback, s);
        return;
      }
      call.sendMetadata(new grpc.Metadata());
      void callOwnServer(
        s.port,
        methodPath('deadline/cancellation-propagated-to-a-child-call'),
        { text: 'child', n: 250 },
        { parent: call },
      ).then(({ err, value }) => {
        s.rec('child call', { err, value });
        callback(err, value);
      });
    },
    async client(t) {
      const c = t.unary({ text: 'parent' });
      c.call.on('metadata', () => setTimeout(() => c.call.cancel(), 30));
      await c.done;
      await t.serverSaw('child call');
    },
    serverSettleMs: 300,
  },
];
