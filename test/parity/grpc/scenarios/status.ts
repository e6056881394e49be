import * as grpc from '@grpc/grpc-js';
import type { Scenario } from '../core/scenario.js';

/** A unary scenario whose handler answers with `error` (the callback's first argument). */
function replyError(id: string, error: () => unknown): Scenario {
  return {
    id,
    kind: 'unary',
    handler: (_call, callback) => callback(error() as grpc.ServiceError),
    async client(t) {
      await t.unary({ text: 'fail please' }).done;
    },
  };
}

const detailsScenario = (name: string, details: string): Scenario =>
  replyError(`status/details-${name}`, () => ({ code: grpc.status.FAILED_PRECONDITION, details }));

function unaryHandlerDoes(id: string, handler: Scenario['handler']): Scenario {
  return {
    id,
    kind: 'unary',
    handler,
    async client(t) {
      await t.unary({ text: 'x' }).done;
    },
  };
}

export const STATUS_SCENARIOS: Scenario[] = [
  {
    id: 'status/every-code',
    kind: 'unary',
    handler: (call, callback) => callback({ code: call.request.n, details: `code ${call.request.n}` }),
    async client(t) {
      for (let code = 1; code <= 16; code++) await t.unary({ n: code }, { label: `code ${code}` }).done;
    },
  },
  detailsScenario('unicode-and-whitespace', '  spaces, tabs\tand ünïcödé 😀 '),
  detailsScenario('newlines', 'line 1\nline 2\r\nline 3\n'),
  detailsScenario('percent-signs', '100% done, %20 is a space, %zz is not, trailing %'),
  detailsScenario('control-characters', 'nul \u0000 bell \u0007 del \u007f'),
  detailsScenario('lone-surrogate', 'half \ud800 a pair'),
  detailsScenario('empty', ''),
  detailsScenario('10kb', 'd'.repeat(10 * 1024)),
  replyError('status/details-missing', () => ({ code: grpc.status.NOT_FOUND })),
  replyError('status/error-object', () => new Error('a plain error')),
  replyError('status/error-object-with-code', () => Object.assign(new Error('with a code'), { code: 7 })),
  replyError('status/error-object-with-code-and-details', () =>
    Object.assign(new Error('message'), { code: 7, details: 'details win' }),
  ),
  replyError('status/code-out-of-range', () => ({ code: 99, details: 'ninety-nine' })),
  replyError('status/code-negative', () => ({ code: -1, details: 'negative' })),
  replyError('status/code-fraction', () => ({ code: 2.5, details: 'fraction' })),
  replyError('status/code-string', () => ({ code: '5', details: 'a string' })),
  replyError('status/code-zero-as-error', () => ({ code: 0, details: 'zero, passed as an error' })),
  unaryHandlerDoes('status/handler-throws', () => {
    throw new Error('secret text that must not reach the client');
  }),
  unaryHandlerDoes('status/handler-throws-a-string', () => {
    throw 'a thrown string';
  }),
  unaryHandlerDoes('status/handler-throws-after-callback', (_call, callback) => {
    callback(null, { text: 'answered' });
    throw new Error('thrown after answering');
  }),
  unaryHandlerDoes('status/callback-twice-value-then-error', (_call, callback, s) => {
    callback(null, { text: 'first' });
    s.rec(
      'second callback',
      tryIt(() => callback({ code: grpc.status.INTERNAL, details: 'second' })),
    );
  }),
  unaryHandlerDoes('status/callback-twice-error-then-value', (_call, callback, s) => {
    callback({ code: grpc.status.ABORTED, details: 'first' });
    s.rec(
      'second callback',
      tryIt(() => callback(null, { text: 'second' })),
    );
  }),
  {
    ...unaryHandlerDoes('status/callback-twice-value-then-value', (_call, callback, s) => {
      callback(null, { text: 'first' });
      s.rec(
        'second callback',
        tryIt(() => callback(null, { text: 'second' })),
      );
    }),
    // Stock's client never completes a unary call that got two messages: the deadline ends it.
    async client(t) {
      await t.connected();
      await t.unary({ text: 'x' }, { options: { deadline: Date.now() + 150 }, deadlineRace: true }).done;
    },
  },
  unaryHandlerDoes('status/callback-later-twice', (_call, callback, s) => {
    setImmediate(() => {
      callback(null, { text: 'first' });
      setImmediate(() =>
        s.rec(
          'second callback',
          tryIt(() => callback(null, { text: 'second' })),
        ),
      );
    });
  }),
  {
    id: 'status/server-stream-error-after-writes',
    kind: 'serverStream',
    handler: (call) => {
      call.write({ n: 1 });
      call.write({ n: 2 });
      call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'stop here' });
    },
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'status/server-stream-error-then-end',
    kind: 'serverStream',
    handler: (call, _callback, s) => {
      call.emit('error', { code: grpc.status.ABORTED, details: 'first the error' });
      s.rec(
        'end after error',
        tryIt(() => call.end()),
      );
    },
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'status/server-stream-destroy',
    kind: 'serverStream',
    handler: (call) => {
      call.write({ n: 1 });
      call.destroy(new Error('destroyed by the handler'));
    },
    async client(t) {
      // Stock sends no status for a destroyed stream: the deadline ends the call.
      await t.connected();
      await t.serverStream({}, { options: { deadline: Date.now() + 150 }, deadlineRace: true }).done;
    },
  },
  {
    id: 'status/server-stream-handler-throws',
    kind: 'serverStream',
    handler: () => {
      throw new Error('thrown by a streaming handler');
    },
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'status/client-stream-error-while-client-writes',
    kind: 'clientStream',
    handler: (call, callback) => {
      call.once('data', () => callback({ code: grpc.status.INVALID_ARGUMENT, details: 'first message was enough' }));
    },
    async client(t) {
      const c = t.clientStream();
      c.write({ text: '1' });
      await new Promise<void>((resolve) => c.call.once('status', () => resolve()));
      c.write({ text: '2 after the status' });
      c.end();
      await c.done;
    },
  },
  {
    id: 'status/bidi-error-while-client-writes',
    kind: 'bidi',
    handler: (call) => {
      call.once('data', () => call.emit('error', { code: grpc.status.OUT_OF_RANGE, details: 'no more' }));
    },
    async client(t) {
      const c = t.bidi();
      c.write({ text: '1' });
      await new Promise<void>((resolve) => c.call.once('status', () => resolve()));
      c.write({ text: '2 after the status' });
      c.end();
      await c.done;
    },
  },
];

function tryIt(action: () => unknown): unknown {
  try {
    action();
    return 'returned';
  } catch (error) {
    return { threw: error };
  }
}
