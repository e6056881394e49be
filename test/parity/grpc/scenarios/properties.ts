import * as grpc from '@grpc/grpc-js';
import type { ClientContext, Scenario } from '../core/scenario.js';
import { clientMetadata, type Pair } from './build.js';

/**
 * A scenario driven by generated input (property.spec.ts): its server side is
 * registered like any scenario's; `withInput` gives the scenario for one case.
 */
export interface PropertyScenario<I> {
  scenario: Scenario;
  withInput(input: I): Scenario;
}

function property<I>(
  base: Omit<Scenario, 'client'>,
  run: (t: ClientContext, input: I) => Promise<void>,
): PropertyScenario<I> {
  const scenario: Scenario = { ...base, client: () => Promise.reject(new Error('a property scenario needs input')) };
  return { scenario, withInput: (input) => ({ ...base, client: (t) => run(t, input) }) };
}

const copy = (metadata: grpc.Metadata): grpc.Metadata => metadata.clone();

export const MESSAGE_ROUND_TRIP = property<unknown>(
  { id: 'property/message-round-trip', kind: 'unary', codec: 'strings', handler: (call, cb) => cb(null, call.request) },
  async (t, message) => {
    await t.unary(message).done;
  },
);

export const NUMBERS_ROUND_TRIP = property<unknown>(
  {
    id: 'property/message-round-trip-longs-as-numbers',
    kind: 'unary',
    codec: 'numbers',
    handler: (call, cb) => cb(null, call.request),
  },
  async (t, message) => {
    await t.unary(message).done;
  },
);

export const STREAMED_MESSAGES = property<unknown[]>(
  {
    id: 'property/messages-streamed-both-ways',
    kind: 'bidi',
    codec: 'strings',
    handler: (call) => {
      call.on('data', (message: unknown) => call.write(message));
      call.on('end', () => call.end());
    },
  },
  async (t, messages) => {
    const c = t.bidi();
    for (const message of messages) c.write(message);
    c.end();
    await c.done;
  },
);

/** The handler sends the request metadata back, as initial and as trailing metadata. */
export const METADATA_ROUND_TRIP = property<Pair[]>(
  {
    id: 'property/metadata-round-trip',
    kind: 'unary',
    handler: (call, callback, s) => {
      try {
        call.sendMetadata(copy(call.metadata));
        callback(null, {}, copy(call.metadata));
      } catch (error) {
        s.rec('handler threw', error);
        callback({ code: grpc.status.INTERNAL, details: 'could not echo' });
      }
    },
  },
  async (t, pairs) => {
    await t.unary({}, { metadata: clientMetadata(t, pairs) }).done;
  },
);

/** The handler fails with the code and details the request names (JSON keeps lone surrogates as they are). */
export const STATUS_ROUND_TRIP = property<{ code: number; details: string }>(
  {
    id: 'property/status-round-trip',
    kind: 'unary',
    codec: 'json',
    handler: (call, callback) => callback({ code: call.request.code, details: call.request.details }),
  },
  async (t, status) => {
    await t.unary(status).done;
  },
);

export const PROPERTY_SCENARIOS = [
  MESSAGE_ROUND_TRIP,
  NUMBERS_ROUND_TRIP,
  STREAMED_MESSAGES,
  METADATA_ROUND_TRIP,
  STATUS_ROUND_TRIP,
] as const;
