import type { Deserializer, Serializer } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import type { Recorder } from '../recorder.js';
import type { ClientRecorders, ClientSettings, Scenario } from '../scenario.js';
import { DISPATCH_HOOK } from './context.js';

/**
 * A user's own wire format: every packet travels in an envelope, and each side
 * refuses anything that is not one (as a strict deserializer would).
 */
const TAG = 'envelope/1';

type Packet = Record<string, unknown>;

/** What a serializer was given: the packet's keys, its id and pattern. */
const shape = (packet: Packet): unknown => ({ keys: Object.keys(packet), id: packet.id, pattern: packet.pattern });

function open(value: unknown): Packet {
  const envelope = value as Packet | null;
  if (typeof envelope !== 'object' || envelope === null || envelope.tag !== TAG) {
    throw new Error('not an envelope');
  }
  return envelope;
}

export function clientSerde({ aside: note }: ClientRecorders): ClientSettings {
  const serializer: Serializer = {
    serialize(packet: Packet) {
      note('client serializer', shape(packet));
      return { tag: TAG, p: packet.pattern, d: packet.data, m: packet.metadata, i: packet.id };
    },
  };
  const deserializer: Deserializer = {
    deserialize(value: unknown) {
      const e = open(value);
      note('client deserializer', { id: e.i, response: e.r, err: e.e, isDisposed: e.x, status: e.s });
      const packet = { id: e.i, response: e.r, err: e.e, isDisposed: e.x, status: e.s };
      return packet;
    },
  };
  return { serializer, deserializer };
}

/**
 * A deserializer that answers with a promise, as the Deserializer interface
 * allows (with a serializer that passes packets on as they are, noting them).
 */
export function asyncIdentityDeserializer({ aside: note }: ClientRecorders): ClientSettings {
  return {
    serializer: {
      serialize(packet: Packet) {
        note('client serializer', shape(packet));
        return packet;
      },
    },
    deserializer: {
      deserialize(value: unknown) {
        note('async deserializer', { id: (value as Packet | null)?.id });
        return Promise.resolve(value);
      },
    },
  };
}

export function serverSerde(rec: Recorder): { serializer: Serializer; deserializer: Deserializer } {
  return {
    serializer: {
      serialize(packet: Packet) {
        rec.add('server serializer', shape(packet));
        return { tag: TAG, r: packet.response, e: packet.err, x: packet.isDisposed, s: packet.status, i: packet.id };
      },
    },
    deserializer: {
      deserialize(value: unknown) {
        const e = open(value);
        rec.add('server deserializer', { id: e.i, pattern: e.p, data: e.d, metadata: e.m });
        return { pattern: e.p, data: e.d, metadata: e.m, id: e.i };
      },
    },
  };
}

const serde = { server: 'serde' as const, client: clientSerde };

export const serdeScenarios: Scenario[] = [
  {
    id: 'serde/round-trip-not-stalled',
    fresh: true,
    ...serde,
    async run(t) {
      const started = Date.now();
      await t.call('sum', 'rr.sum', [1, 2]);
      t.note('first answer within a second', Date.now() - started < 1000);
      await t.call('again', 'rr.sum', [3]);
    },
  },
  { id: 'serde/error', ...serde, run: (t) => t.call('error', 'er.throw', 'rpc object') },
  { id: 'serde/stream', ...serde, run: (t) => t.call('values', 'st.of', [1, 2, 3]) },
  { id: 'serde/unknown-pattern', ...serde, run: (t) => t.call('unknown', 'serde.nobody', {}) },
  {
    id: 'serde/event',
    ...serde,
    async run(t) {
      await lastValueFrom(t.client.emit('ev.record', 'through the envelope'));
      await t.server.until((entries) => entries.some((e) => e.at === 'ev.record'));
    },
  },
  {
    id: 'serde/metadata',
    notOnNest11: DISPATCH_HOOK,
    ...serde,
    async run(t) {
      t.client.setOnDispatchHook((packet) => {
        packet.metadata = { m: 1 };
      });
      await t.call('view', 'ctx.view', 'x');
    },
  },
  {
    id: 'serde/async-client-deserializer',
    client: asyncIdentityDeserializer,
    async run(t) {
      await t.call('sum', 'rr.sum', [5, 6], { within: 1000 });
      await t.call('stream', 'st.of', [1, 2], { within: 1000 });
    },
  },
];
