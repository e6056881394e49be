import * as grpc from '@grpc/grpc-js';
import type { InterceptingCallInterface } from '@grpc/grpc-js/build/src/client-interceptors.js';
import { recordingInterceptor, type Note } from '../core/client-interceptors.js';
import type { ClientContext, Scenario } from '../core/scenario.js';
import { ok } from './build.js';

/** One recording interceptor per run: options are built inside the run so the notes land in its trace. */
function clientLevel(
  id: string,
  combine: (base: grpc.ClientOptions, mine: grpc.Interceptor) => grpc.ClientOptions,
): Scenario {
  return {
    id: `interceptors/${id}`,
    kind: 'unary',
    handler: ok,
    async client(t) {
      const mine = recordingInterceptor(t.log('my interceptor'));
      const client = t.attempt('make the client', () => t.newClient(combine(t.placementOptions(), mine)));
      if (client) await t.unary({ text: 'x' }, { client }).done;
    },
  };
}

function perCall(id: string, run: (t: ClientContext) => Promise<void>, kind: Scenario['kind'] = 'unary'): Scenario {
  return { id: `interceptors/${id}`, kind, handler: ok, client: run };
}

const echoStream: Scenario['handler'] = (call) => {
  call.on('data', (m: unknown) => call.write(m));
  call.on('end', () => call.end());
};

function serverRecorded(kind: Scenario['kind'], handler: Scenario['handler'], client: Scenario['client']): Scenario {
  return { id: `interceptors/server-records-${kind}`, kind, server: 'recorded', handler, client };
}

/** Changes what the application sees: an extra header out, a changed message and status in. */
function rewriting(note: Note): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('x-from-interceptor', 'added');
        next(metadata, {
          onReceiveMessage(message, nextMessage) {
            nextMessage({ ...message, text: `${message.text} (rewritten)` });
          },
          onReceiveStatus(status, nextStatus) {
            note('status before rewrite', status.details);
            nextStatus({ ...status, details: `${status.details} (rewritten)` });
          },
        });
      },
    });
}

export const INTERCEPTOR_SCENARIOS: Scenario[] = [
  clientLevel('client-level-spread-before-placement-options', (base, mine) => ({ interceptors: [mine], ...base })),
  clientLevel('client-level-spread-after-placement-options', (base, mine) => ({ ...base, interceptors: [mine] })),
  clientLevel('client-level-merged-with-placement-interceptors', (base, mine) => ({
    ...base,
    interceptors: [mine, ...(base.interceptors ?? [])],
  })),
  clientLevel('client-level-interceptor-providers', (base, mine) => ({ ...base, interceptor_providers: [() => mine] })),
  clientLevel('call-invocation-transformer-before-placement-options', (base) => ({
    callInvocationTransformer: (properties) => {
      properties.metadata.set('x-transformed', 'yes');
      return properties;
    },
    ...base,
  })),
  clientLevel('call-invocation-transformer-after-placement-options', (base) => ({
    ...base,
    callInvocationTransformer: (properties) => {
      properties.metadata.set('x-transformed', 'yes');
      return properties;
    },
  })),
  perCall('per-call', async (t) => {
    const mine = recordingInterceptor(t.log('per-call interceptor'));
    await t.unary({ text: 'x' }, { options: { interceptors: [mine] } }).done;
  }),
  perCall('per-call-replaces-client-level', async (t) => {
    const clientLevelOne = recordingInterceptor(t.log('client-level interceptor'));
    const base = t.placementOptions();
    const client = t.newClient({ ...base, interceptors: [clientLevelOne, ...(base.interceptors ?? [])] });
    const perCallOne = recordingInterceptor(t.log('per-call interceptor'));
    await t.unary({ text: 'x' }, { client, options: { interceptors: [perCallOne] } }).done;
  }),
  perCall('per-call-providers', async (t) => {
    const mine = recordingInterceptor(t.log('provided per call'));
    await t.unary({ text: 'x' }, { options: { interceptor_providers: [() => mine] } }).done;
  }),
  perCall('per-call-two-in-order', async (t) => {
    const outer = recordingInterceptor(t.log('outer'));
    const inner = recordingInterceptor(t.log('inner'));
    await t.unary({ text: 'x' }, { options: { interceptors: [outer, inner] } }).done;
  }),
  {
    id: 'interceptors/rewrites-metadata-message-and-status',
    kind: 'unary',
    handler: (call, callback) => callback(null, { text: String(call.metadata.get('x-from-interceptor')[0]) }),
    async client(t) {
      const rewrite = rewriting(t.log('rewriting interceptor'));
      await t.unary({ text: 'x' }, { options: { interceptors: [rewrite] } }).done;
    },
  },
  perCall('short-circuit-without-calling-next', async (t) => {
    const answerLocally: grpc.Interceptor = () =>
      new grpc.InterceptingCall(nowhere(), {
        start(_metadata, listener) {
          setImmediate(() => {
            listener.onReceiveMetadata(new grpc.Metadata());
            listener.onReceiveMessage({ text: 'from the interceptor' });
            listener.onReceiveStatus({ code: grpc.status.OK, details: 'local', metadata: new grpc.Metadata() });
          });
        },
        sendMessage() {},
        halfClose() {},
      });
    await t.unary({ text: 'x' }, { options: { interceptors: [answerLocally] } }).done;
  }),
  perCall('delays-start', async (t) => {
    const note = t.log('delaying interceptor');
    const delaying: grpc.Interceptor = (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start(metadata, listener, next) {
          setTimeout(() => {
            note('starting now');
            next(metadata, listener);
          }, 10);
        },
      });
    await t.unary({ text: 'x' }, { options: { interceptors: [delaying] } }).done;
  }),
  perCall(
    'per-call-on-server-stream',
    async (t) => {
      const mine = recordingInterceptor(t.log('interceptor'));
      await t.serverStream({ text: 'x' }, { options: { interceptors: [mine] } }).done;
    },
    'serverStream',
  ),
  {
    id: 'interceptors/per-call-on-bidi',
    kind: 'bidi',
    handler: echoStream,
    async client(t) {
      const mine = recordingInterceptor(t.log('interceptor'));
      const c = t.bidi({ options: { interceptors: [mine] } });
      c.write({ text: 'a' });
      c.end();
      await c.done;
    },
  },
  serverRecorded('unary', ok, async (t) => {
    await t.unary({ text: 'x' }).done;
  }),
  serverRecorded(
    'serverStream',
    (call) => {
      call.write({ n: 1 });
      call.end();
    },
    async (t) => {
      await t.serverStream({ text: 'x' }).done;
    },
  ),
  serverRecorded(
    'clientStream',
    (call, callback) => {
      call.on('data', () => undefined);
      call.on('end', () => callback(null, { text: 'done' }));
    },
    async (t) => {
      const c = t.clientStream();
      c.write({ text: '1' });
      c.write({ text: '2' });
      c.end();
      await c.done;
    },
  ),
  serverRecorded('bidi', echoStream, async (t) => {
    const c = t.bidi();
    c.write({ text: 'a' });
    c.end();
    await c.done;
  }),
];

/** A next call that goes nowhere, for an interceptor that answers by itself. */
function nowhere(): InterceptingCallInterface {
  const nothing = (): void => undefined;
  return {
    start: nothing,
    sendMessageWithContext: nothing,
    sendMessage: nothing,
    startRead: nothing,
    halfClose: nothing,
    cancelWithStatus: nothing,
    getPeer: () => 'nowhere',
    setCredentials: nothing,
    getAuthContext: () => null,
  } as unknown as InterceptingCallInterface;
}
