import type { Scenario } from '../core/scenario.js';
import { ok } from './build.js';

function unaryAt(id: string, path: string): Scenario {
  return {
    id: `unknown/${id}`,
    kind: 'unary',
    async client(t) {
      await t.unary({ text: 'anyone?' }, { path }).done;
    },
  };
}

export const UNKNOWN_SCENARIOS: Scenario[] = [
  unaryAt('method-of-a-known-service', '/parity.Parity/NoSuchMethod'),
  unaryAt('service', '/no.such.Service/Call'),
  unaryAt('malformed-path', 'no-slashes'),
  {
    id: 'unknown/declared-but-not-implemented-unary',
    kind: 'unary',
    async client(t) {
      await t.unary({}).done;
    },
  },
  {
    id: 'unknown/declared-but-not-implemented-server-stream',
    kind: 'serverStream',
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'unknown/declared-but-not-implemented-bidi',
    kind: 'bidi',
    async client(t) {
      const c = t.bidi();
      c.write({ text: 'x' });
      c.end();
      await c.done;
    },
  },
  {
    id: 'unknown/unary-method-called-as-server-stream',
    kind: 'unary',
    handler: ok,
    async client(t) {
      await t.serverStream({}, { path: t.path }).done;
    },
  },
  {
    id: 'unknown/unary-method-called-with-two-messages',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const c = t.bidi({ path: t.path });
      c.write({ text: '1' });
      c.write({ text: '2' });
      c.end();
      await c.done;
    },
  },
  {
    id: 'unknown/unary-method-called-with-no-message',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const c = t.clientStream({ path: t.path });
      c.end();
      await c.done;
    },
  },
];
