import type * as grpc from '@grpc/grpc-js';

/**
 * The server setups scenarios run against. Servers are shared per placement
 * and config (every scenario's method is registered on each), so a config is
 * data: options, credentials, interceptors, how many backends.
 */
export interface ServerConfig {
  options?: grpc.ServerOptions;
  credentials?: 'insecure' | 'tls' | 'mtls';
  /** Server interceptors, outermost first. */
  interceptors?: ('record' | 'auth' | 'force-shutdown')[];
  /** Several servers, each its own port, for targets that list several addresses. */
  backends?: number;
  /** Nest's gRPC transport (ServerGrpc / FriendsServerGrpc) instead of a bare server. */
  nest?: boolean;
}

export const SERVER_CONFIGS = {
  plain: {},
  recorded: { interceptors: ['record'] },
  auth: { interceptors: ['record', 'auth'] },
  'shutdown-at-first-call': { interceptors: ['force-shutdown', 'record'] },
  'small-messages': { options: { 'grpc.max_receive_message_length': 64, 'grpc.max_send_message_length': 64 } },
  'unlimited-messages': { options: { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 } },
  'one-stream': { options: { 'grpc.max_concurrent_streams': 1 } },
  'small-metadata': { options: { 'grpc.max_metadata_size': 1024 } },
  tls: { credentials: 'tls' },
  mtls: { credentials: 'mtls', interceptors: ['record'] },
  pair: { backends: 2 },
  nest: { nest: true },
} satisfies Record<string, ServerConfig>;

export type ServerConfigName = keyof typeof SERVER_CONFIGS;

export function serverConfig(name: ServerConfigName): ServerConfig {
  return SERVER_CONFIGS[name];
}
