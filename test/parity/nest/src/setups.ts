import type { FriendsServerOptions } from '@friends/nest';
import type { Recorder } from './recorder.js';
import type { ServerSetup } from './scenario.js';
import { LIMIT } from './scenarios/limits.js';
import { serverSerde } from './scenarios/serde.js';

/** Options both server kinds take; the stock server ignores what it does not know (shutdownGracePeriod). */
export type SetupOptions = Pick<
  FriendsServerOptions,
  'maxBufferSize' | 'shutdownGracePeriod' | 'serializer' | 'deserializer'
>;

export const SETUPS: Record<ServerSetup, (rec: Recorder) => SetupOptions> = {
  default: () => ({}),
  lifecycle: () => ({}),
  limits: () => ({ maxBufferSize: LIMIT }),
  serde: (rec) => serverSerde(rec),
  grace: () => ({ shutdownGracePeriod: 1000 }),
};
