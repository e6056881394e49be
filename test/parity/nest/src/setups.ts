import type { FriendsServerOptions } from '@friends/nest';
import type { Recorder } from './recorder.js';
import type { ServerSetup } from './scenario.js';
import { answersSerializer, installHooks, type HookedServer } from './scenarios/hooks.js';
import { LIMIT } from './scenarios/limits.js';
import { serverSerde } from './scenarios/serde.js';

/** Options both server kinds take; the stock server ignores what it does not know (shutdownGracePeriod). */
export type SetupOptions = Pick<
  FriendsServerOptions,
  'maxBufferSize' | 'shutdownGracePeriod' | 'serializer' | 'deserializer'
>;

export interface Setup {
  options(rec: Recorder): SetupOptions;
  /** Prepares the server instance (stock or friends) before it listens. */
  prepare?(server: HookedServer, rec: Recorder): void;
  /** False: no global guard, interceptor and pipe, so handlers answer with plain values, not Observables. */
  enhancers?: boolean;
}

export const SETUPS: Record<ServerSetup, Setup> = {
  default: { options: () => ({}) },
  lifecycle: { options: () => ({}) },
  limits: { options: () => ({ maxBufferSize: LIMIT }) },
  serde: { options: (rec) => serverSerde(rec) },
  grace: { options: () => ({ shutdownGracePeriod: 1000 }) },
  hooks: { options: (rec) => ({ serializer: answersSerializer(rec) }), prepare: installHooks },
  bare: { options: (rec) => ({ serializer: answersSerializer(rec) }), enhancers: false },
};
