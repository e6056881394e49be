import { LOADER_OPTIONS, packageDefinition } from './proto.js';

/** The parity.Nest service's paths, for scenarios to claim their logs. */
export const NEST_PATHS = ['Unary', 'Fail', 'Meta', 'Stream', 'Collect', 'Chat'].map((m) => `/parity.Nest/${m}`);

/** Options for ServerGrpc / ClientGrpcProxy: the parity protos with the 'strings' loader profile. */
export function nestGrpcOptions(url: string): { package: string; packageDefinition: object; url: string } {
  return { package: 'parity', packageDefinition: packageDefinition(LOADER_OPTIONS.strings), url };
}
