import * as grpc from '@grpc/grpc-js';
import type { Scenario } from '../core/scenario.js';

/** A message using every field of parity.Msg. */
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

const echoUnary: Scenario['handler'] = (call, callback) => callback(null, call.request);

export const CALL_SCENARIOS: Scenario[] = [
  {
    id: 'calls/unary-full-message',
    kind: 'unary',
    handler: echoUnary,
    async client(t) {
      await t.unary(FULL).done;
    },
  },
  {
    id: 'calls/unary-empty-message',
    kind: 'unary',
    handler: echoUnary,
    async client(t) {
      await t.unary({}).done;
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
    id: 'calls/client-stream-three',
    kind: 'clientStream',
    handler: (call, callback) => {
      const texts: string[] = [];
      call.on('data', (m: { text: string }) => texts.push(m.text));
      call.on('end', () => callback(null, { text: texts.join(','), n: texts.length }));
    },
    async client(t) {
      const c = t.clientStream();
      c.write({ text: 'a' });
      c.write({ text: 'b' });
      c.write({ text: 'c' });
      c.end();
      await c.done;
    },
  },
  {
    id: 'calls/bidi-echo',
    kind: 'bidi',
    handler: (call) => {
      call.on('data', (m: { text: string }) => call.write({ text: m.text.toUpperCase() }));
      call.on('end', () => call.end());
    },
    async client(t) {
      const c = t.bidi();
      c.write({ text: 'x' });
      c.write({ text: 'y' });
      c.end();
      await c.done;
    },
  },
  {
    id: 'calls/unary-metadata-and-status',
    kind: 'unary',
    handler: (call, callback) => {
      const md = new grpc.Metadata();
      md.set('x-initial', 'yes');
      call.sendMetadata(md);
      const trailer = new grpc.Metadata();
      trailer.set('x-trailing', 'yes');
      callback(null, { text: 'ok' }, trailer);
    },
    async client(t) {
      const md = new grpc.Metadata();
      md.set('x-client', 'hi');
      await t.unary({ text: 'a' }, { metadata: md }).done;
    },
  },
];
