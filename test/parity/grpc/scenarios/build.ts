import * as grpc from '@grpc/grpc-js';
import type { ClientContext, Scenario } from '../core/scenario.js';

export type Pair = [key: string, value: string | Buffer];

/** Metadata with `pairs` added in order (repeated keys give several values). */
export function metadataOf(pairs: readonly Pair[]): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of pairs) metadata.add(key, value as string);
  return metadata;
}

/** `count` distinct keys `x-k-000…`, each with `value`. */
export function manyKeys(count: number, value = 'v'): Pair[] {
  return Array.from({ length: count }, (_, i) => [`x-k-${String(i).padStart(3, '0')}`, value] as Pair);
}

export const ok: Scenario['handler'] = (_call, callback) => callback(null, { text: 'ok' });

/**
 * Builds the metadata inside the run, so that a key grpc-js refuses is
 * recorded as a thrown error instead of failing the scenario list.
 */
export function clientMetadata(t: ClientContext, pairs: readonly Pair[]): grpc.Metadata {
  return t.attempt('build metadata', () => metadataOf(pairs)) ?? new grpc.Metadata();
}

/**
 * A unary scenario: the client sends `pairs` as metadata; the handler (auto-recorded) replies ok.
 * `deadlineMs` bounds a call that stock never finishes.
 */
export function clientMetadataScenario(
  id: string,
  pairs: readonly Pair[],
  extra: Partial<Scenario> = {},
  deadlineMs?: number,
): Scenario {
  return {
    id,
    kind: 'unary',
    handler: ok,
    async client(t) {
      const options = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
      await t.unary({ text: 'md' }, { metadata: clientMetadata(t, pairs), options }).done;
    },
    ...extra,
  };
}

/** A unary scenario: the handler sends `initial` as initial metadata and `trailing` with an OK status. */
export function serverMetadataScenario(
  id: string,
  initial: readonly Pair[] | null,
  trailing: readonly Pair[] | null,
  extra: Partial<Scenario> = {},
): Scenario {
  return {
    id,
    kind: 'unary',
    handler: (call, callback, s) => {
      try {
        if (initial) call.sendMetadata(metadataOf(initial));
        callback(null, { text: 'ok' }, trailing ? metadataOf(trailing) : undefined);
      } catch (error) {
        s.rec('handler threw', error);
        callback({ code: grpc.status.INTERNAL, details: 'metadata refused' });
      }
    },
    async client(t) {
      await t.unary({ text: 'md' }).done;
    },
    ...extra,
  };
}
