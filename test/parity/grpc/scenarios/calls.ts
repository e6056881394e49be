import { pipeline, Readable, Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type { Scenario } from '../core/scenario.js';

/** A message using every field of parity.Msg, with values loader options treat differently. */
export const FULL = {
  text: 'héllo 😀',
  n: -42,
  big: '9007199254740993',
  ubig: '18446744073709551615',
  blob: Buffer.from([0, 1, 2, 254, 255]),
  mood: 'HAPPY',
  tags: ['a', '', 'c'],
  nested: { label: 'outer', values: [1, 2, 3], child: { label: 'inner', values: [] } },
  items: [{ label: 'x' }, { label: 'y', values: [7] }],
  labels: { k: 'v', empty: '' },
  ratio: 0.1,
  flag: true,
  name: 'chosen',
  signed_big: '-9007199254740993',
  fixed_big: '1',
  maybe: '',
  small: 1.5,
};

export const echoUnary: Scenario['handler'] = (call, callback) => callback(null, call.request);

const upperEcho: Scenario['handler'] = (call) => {
  call.on('data', (m: { text: string }) => call.write({ text: m.text.toUpperCase() }));
  call.on('end', () => call.end());
};

const joinTexts: Scenario['handler'] = (call, callback) => {
  const texts: string[] = [];
  call.on('data', (m: { text: string }) => texts.push(m.text));
  call.on('end', () => callback(null, { text: texts.join(','), n: texts.length }));
};

function unaryWith(
  id: string,
  codec: Scenario['codec'],
  request: unknown,
  reply?: (req: unknown) => unknown,
): Scenario {
  return {
    id,
    kind: 'unary',
    codec,
    handler: (call, callback, s) => {
      s.rec('request as the handler got it', call.request);
      callback(null, reply ? reply(call.request) : call.request);
    },
    async client(t) {
      await t.unary(request).done;
    },
  };
}

export const CALL_SCENARIOS: Scenario[] = [
  unaryWith('calls/unary-full-message', 'strings', FULL),
  unaryWith('calls/unary-empty-message', 'strings', {}),
  unaryWith('calls/unary-plain-loader-options', 'plain', { text: 'p', big: '123', ubig: 7, mood: 1, tags: ['t'] }),
  unaryWith('calls/unary-numbers-loader-options', 'numbers', {
    text: 'n',
    big: 2 ** 40,
    fixed_big: '5',
    mood: 'HAPPY',
  }),
  unaryWith('calls/unary-raw-bytes', 'raw', Buffer.from([0, 1, 127, 128, 255])),
  unaryWith('calls/unary-raw-empty-bytes', 'raw', Buffer.alloc(0)),
  unaryWith('calls/unary-json-codec', 'json', { a: [1, { b: null }], u: undefined, d: new Date(0), s: 'é😀' }),
  unaryWith('calls/unary-reply-null', 'strings', { text: 'x' }, () => null),
  unaryWith('calls/unary-reply-undefined', 'strings', { text: 'x' }, () => undefined),
  unaryWith('calls/unary-reply-unknown-fields', 'strings', { text: 'x' }, () => ({ text: 'y', nope: 1, n: 2 })),
  unaryWith('calls/unary-reply-wrong-types', 'strings', { text: 'x' }, () => ({ n: 'seven', flag: 'yes', tags: 'a' })),
  unaryWith('calls/unary-reply-unserializable', 'json', { text: 'x' }, () => ({ big: 10n })),
  unaryWith('calls/unary-reply-undecodable', 'json', { text: 'x' }, () => ({ explode: true })),
  {
    id: 'calls/unary-request-unserializable',
    kind: 'unary',
    codec: 'json',
    handler: echoUnary,
    async client(t) {
      // The client's serializer throws: grpc-js reports it on the call, not to the caller.
      const call = t.attempt('start the call', () => t.unary({ big: 10n }));
      await call?.done;
    },
  },
  {
    id: 'calls/unary-request-undecodable',
    kind: 'unary',
    codec: 'json',
    handler: echoUnary,
    async client(t) {
      await t.unary({ explode: true }).done;
    },
  },
  {
    id: 'calls/server-stream-three',
    kind: 'serverStream',
    handler: (call) => {
      for (let i = 0; i < 3; i++) call.write({ n: i });
      call.end();
    },
    async client(t) {
      await t.serverStream({ text: 'go' }).done;
    },
  },
  {
    id: 'calls/server-stream-none',
    kind: 'serverStream',
    handler: (call) => call.end(),
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'calls/server-stream-hundred',
    kind: 'serverStream',
    handler: (call) => {
      for (let i = 0; i < 100; i++) call.write({ n: i, text: 'm'.repeat(i) });
      call.end();
    },
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'calls/server-stream-write-callbacks',
    kind: 'serverStream',
    handler: (call, _callback, s) => {
      for (let i = 0; i < 3; i++) {
        const returned = call.write({ n: i }, (err: unknown) => s.rec('write callback', { i, err }));
        s.rec('write', { i, returned });
      }
      call.end();
    },
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'calls/server-stream-trailers-on-end',
    kind: 'serverStream',
    handler: (call) => {
      call.write({ n: 1 });
      const trailer = new grpc.Metadata();
      trailer.set('x-done', 'yes');
      call.end(trailer);
    },
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'calls/server-stream-async-iterator',
    kind: 'serverStream',
    handler: (call) => {
      for (let i = 0; i < 3; i++) call.write({ n: i });
      call.end();
    },
    async client(t) {
      const c = t.serverStream({}, { read: false });
      for await (const message of c.call) c.note('iterated', message);
      c.note('loop ended');
      await c.done;
    },
  },
  {
    id: 'calls/client-stream-three',
    kind: 'clientStream',
    handler: joinTexts,
    async client(t) {
      const c = t.clientStream();
      for (const text of ['a', 'b', 'c']) c.write({ text });
      c.end();
      await c.done;
    },
  },
  {
    id: 'calls/client-stream-none',
    kind: 'clientStream',
    handler: joinTexts,
    async client(t) {
      const c = t.clientStream();
      c.end();
      await c.done;
    },
  },
  {
    id: 'calls/client-stream-pipeline',
    kind: 'clientStream',
    handler: joinTexts,
    async client(t) {
      const c = t.clientStream();
      const source = Readable.from([{ text: '1' }, { text: '2' }]);
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
    id: 'calls/bidi-echo',
    kind: 'bidi',
    handler: upperEcho,
    async client(t) {
      const c = t.bidi();
      c.write({ text: 'x' });
      c.write({ text: 'y' });
      c.end();
      await c.done;
    },
  },
  {
    id: 'calls/bidi-ping-pong',
    kind: 'bidi',
    handler: upperEcho,
    async client(t) {
      const c = t.bidi();
      let round = 0;
      c.call.on('data', () => {
        if (++round < 5) c.write({ text: `ping ${round}` });
        else c.end();
      });
      c.write({ text: 'ping 0' });
      await c.done;
    },
  },
  {
    id: 'calls/bidi-server-ends-first',
    kind: 'bidi',
    handler: (call, _callback, s) => {
      call.once('data', (m: unknown) => {
        s.rec('first message', m);
        call.end();
      });
    },
    async client(t) {
      const c = t.bidi();
      c.write({ text: 'one' });
      await new Promise<void>((resolve) => c.call.once('status', () => resolve()));
      c.write({ text: 'after the status' });
      c.end();
      await c.done;
    },
  },
  {
    id: 'calls/bidi-pipeline',
    kind: 'bidi',
    handler: upperEcho,
    async client(t) {
      const c = t.bidi({ read: false });
      const sink = new Writable({
        objectMode: true,
        write(message, _encoding, callback) {
          c.note('sink', message);
          callback();
        },
      });
      await new Promise<void>((resolve) =>
        pipeline(Readable.from([{ text: 'a' }, { text: 'b' }]), c.call, sink, (err) => {
          c.note('pipeline callback', err ?? null);
          resolve();
        }),
      );
      await c.done;
    },
  },
];
