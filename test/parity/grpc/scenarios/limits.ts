import type * as grpc from '@grpc/grpc-js';
import type { Scenario } from '../core/scenario.js';

/** A message whose encoding is exactly `bytes` long (a `text` field; 3 ≤ bytes ≤ 129). */
export const textOfSize = (bytes: number) => ({ text: 'x'.repeat(bytes - 2) });
/** A message whose encoding is exactly `bytes` long (a `blob` field, 2^21 ≤ payload < 2^28). */
export const blobOfSize = (bytes: number) => ({ blob: Buffer.alloc(bytes - 5, 7) });

const MIB = 1024 * 1024;
const replyWith =
  (reply: unknown): Scenario['handler'] =>
  (_call, callback) =>
    callback(null, reply);
const clientLimits =
  (limits: grpc.ClientOptions) =>
  (base: grpc.ClientOptions): grpc.ClientOptions => ({ ...base, ...limits });

function unaryLimit(id: string, request: unknown, reply: unknown, extra: Partial<Scenario>): Scenario {
  return {
    id: `limits/${id}`,
    kind: 'unary',
    handler: replyWith(reply),
    async client(t) {
      await t.unary(request).done;
    },
    ...extra,
  };
}

const inFlight = { count: 0 };

export const LIMIT_SCENARIOS: Scenario[] = [
  unaryLimit('client-receive-over', {}, textOfSize(100), {
    clientOptions: clientLimits({ 'grpc.max_receive_message_length': 64 }),
  }),
  unaryLimit('client-receive-exact', {}, textOfSize(64), {
    clientOptions: clientLimits({ 'grpc.max_receive_message_length': 64 }),
  }),
  unaryLimit(
    'client-send-over',
    textOfSize(100),
    {},
    {
      clientOptions: clientLimits({ 'grpc.max_send_message_length': 64 }),
    },
  ),
  unaryLimit(
    'client-send-exact',
    textOfSize(64),
    {},
    {
      clientOptions: clientLimits({ 'grpc.max_send_message_length': 64 }),
    },
  ),
  unaryLimit('server-receive-over', textOfSize(100), {}, { server: 'small-messages' }),
  unaryLimit('server-send-over', {}, textOfSize(100), { server: 'small-messages' }),
  unaryLimit('server-exact', textOfSize(64), textOfSize(64), { server: 'small-messages' }),
  unaryLimit('default-client-receive-over-4mib', {}, blobOfSize(4 * MIB + 1), {}),
  unaryLimit('default-client-receive-exact-4mib', {}, blobOfSize(4 * MIB), {}),
  unaryLimit('default-server-receive-over-4mib', blobOfSize(4 * MIB + 1), {}, {}),
  unaryLimit('unlimited-both-ways', blobOfSize(5 * MIB), blobOfSize(5 * MIB), {
    server: 'unlimited-messages',
    clientOptions: clientLimits({ 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 }),
  }),
  {
    id: 'limits/server-stream-second-message-over',
    kind: 'serverStream',
    handler: (call, _callback, s) => {
      call.write(textOfSize(10), (err: unknown) => s.rec('write 1 callback', err));
      call.write(textOfSize(100), (err: unknown) => s.rec('write 2 callback', err));
      call.write(textOfSize(10), (err: unknown) => s.rec('write 3 callback', err));
      call.end();
    },
    clientOptions: clientLimits({ 'grpc.max_receive_message_length': 64 }),
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'limits/client-stream-message-over-server-limit',
    kind: 'clientStream',
    server: 'small-messages',
    handler: (call, callback, s) => {
      call.on('data', (m: unknown) => s.rec('data', m));
      call.on('error', (e: unknown) => s.rec('error', e));
      call.on('end', () => callback(null, {}));
    },
    async client(t) {
      const c = t.clientStream();
      c.write(textOfSize(10));
      c.write(textOfSize(100));
      c.end();
      await c.done;
    },
  },
  {
    id: 'limits/bidi-client-send-over',
    kind: 'bidi',
    handler: (call) => {
      call.on('data', (m: unknown) => call.write(m));
      call.on('end', () => call.end());
    },
    clientOptions: clientLimits({ 'grpc.max_send_message_length': 64 }),
    async client(t) {
      const c = t.bidi();
      c.write(textOfSize(10));
      c.write(textOfSize(100));
      c.end();
      await c.done;
    },
  },
  {
    id: 'limits/one-concurrent-stream',
    kind: 'unary',
    server: 'one-stream',
    handler: (call, callback, s) => {
      inFlight.count++;
      s.rec('calls in flight at start', inFlight.count);
      void s.sleep(30).then(() => {
        inFlight.count--;
        callback(null, { text: call.request.text });
      });
    },
    async client(t) {
      const calls = ['a', 'b', 'c'].map((text) => t.unary({ text }, { label: `call ${text}` }));
      await Promise.all(calls.map((c) => c.done));
    },
  },
];
