import * as grpc from '@grpc/grpc-js';
import type { Scenario } from '../core/scenario.js';
import { ok } from './build.js';

const CALLER = { caller: 'the client' };

export const CONTEXT_SCENARIOS: Scenario[] = [
  {
    id: 'context/unary-from-inside-a-store',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const store = () => t.als.getStore() ?? null;
      await t.als.run(CALLER, () => t.unary({}, { store }).done);
    },
  },
  {
    id: 'context/server-stream-from-inside-a-store',
    kind: 'serverStream',
    handler: (call) => {
      call.write({ n: 1 });
      call.end();
    },
    async client(t) {
      const store = () => t.als.getStore() ?? null;
      await t.als.run(CALLER, () => t.serverStream({}, { store }).done);
    },
  },
  {
    id: 'context/client-stream-from-inside-a-store',
    kind: 'clientStream',
    handler: (call, callback, s) => {
      call.on('data', () => s.rec('store at data', s.als.getStore() ?? null));
      call.on('end', () => callback(null, {}));
    },
    async client(t) {
      const store = () => t.als.getStore() ?? null;
      await t.als.run(CALLER, () => {
        const c = t.clientStream({ store });
        c.write({ text: 'a' });
        c.end();
        return c.done;
      });
    },
  },
  {
    id: 'context/bidi-from-inside-a-store',
    kind: 'bidi',
    handler: (call, _callback, s) => {
      call.on('data', (m: unknown) => {
        s.rec('store at data', s.als.getStore() ?? null);
        call.write(m);
      });
      call.on('end', () => call.end());
    },
    async client(t) {
      const store = () => t.als.getStore() ?? null;
      await t.als.run(CALLER, () => {
        const c = t.bidi({ store });
        c.write({ text: 'a' });
        c.end();
        return c.done;
      });
    },
  },
  {
    id: 'context/two-callers-two-stores',
    kind: 'unary',
    handler: (call, callback, s) => {
      void s.sleep(10).then(() => callback(null, { text: call.request.text }));
    },
    async client(t) {
      const store = () => t.als.getStore() ?? null;
      const first = t.als.run({ caller: 'first' }, () => t.unary({ text: 'first' }, { store, label: 'first' }));
      const second = t.als.run({ caller: 'second' }, () => t.unary({ text: 'second' }, { store, label: 'second' }));
      await Promise.all([first.done, second.done]);
    },
  },
  {
    id: 'context/handler-store-stays-in-the-handler',
    kind: 'unary',
    handler: (_call, callback, s) => {
      s.als.run({ handler: 'its own' }, () => setImmediate(() => callback(null, { text: 'ok' })));
    },
    async client(t) {
      const store = () => t.als.getStore() ?? null;
      await t.unary({}, { store }).done;
    },
  },
  {
    id: 'context/interceptor-and-credentials-see-the-caller-store',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const note = t.log('stores seen');
      const interceptor: grpc.Interceptor = (options, nextCall) => {
        note('interceptor', t.als.getStore() ?? null);
        return new grpc.InterceptingCall(nextCall(options), {
          start(metadata, listener, next) {
            note('interceptor start', t.als.getStore() ?? null);
            next(metadata, {
              onReceiveStatus(status, nextStatus) {
                note('interceptor onReceiveStatus', t.als.getStore() ?? null);
                nextStatus(status);
              },
            });
          },
        });
      };
      const credentials = grpc.credentials.createFromMetadataGenerator((_p, callback) => {
        note('credentials generator', t.als.getStore() ?? null);
        callback(null, new grpc.Metadata());
      });
      await t.als.run(CALLER, () => t.unary({}, { options: { interceptors: [interceptor], credentials } }).done);
    },
  },
];
