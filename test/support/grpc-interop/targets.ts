import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { interopPackage } from '../../fixtures/src/grpc/interop-service.js';
import type { InteropClients, TestServiceClient, UnimplementedServiceClient } from './calls.js';
import { startChildInteropServer, startInteropServer, type RunningInteropServer } from './servers.js';

/** Clients connected to a running interop server, and how to take both down. */
export interface InteropConnection extends InteropClients {
  stop(): Promise<void>;
}

/** One client/server pairing the Node cases run against. */
export interface InteropTarget {
  name: string;
  start(): Promise<InteropConnection>;
}

/** Generic grpc-js clients for 127.0.0.1:`port`; client-side options (interceptors, say) go in `options`. */
export function createInteropClients(port: number, options: grpc.ClientOptions = {}): InteropClients {
  const address = `127.0.0.1:${port}`;
  const credentials = grpc.credentials.createInsecure();
  return {
    client: new interopPackage.TestService(address, credentials, options) as unknown as TestServiceClient,
    unimplementedClient: new interopPackage.UnimplementedService(
      address,
      credentials,
      options,
    ) as unknown as UnimplementedServiceClient,
  };
}

export function target(
  name: string,
  startServer: () => Promise<RunningInteropServer>,
  clientOptions: grpc.ClientOptions = {},
): InteropTarget {
  return {
    name,
    async start() {
      const server = await startServer();
      const clients = createInteropClients(server.port, clientOptions);
      return {
        ...clients,
        async stop() {
          clients.client.close();
          clients.unimplementedClient.close();
          await server.stop();
        },
      };
    },
  };
}

export const TARGETS: InteropTarget[] = [
  target('friends client -> friends server: memory', () => startInteropServer(FriendsGrpcServer), friends()),
  target('friends client -> friends server: unix (child process)', () => startChildInteropServer('friends'), friends()),
  target(
    'friends client -> friends server: tcp',
    () => startInteropServer(FriendsGrpcServer),
    friends({ friends: false }),
  ),
  target('stock client -> friends server (child process)', () => startChildInteropServer('friends')),
  target('friends client -> stock server (child process)', () => startChildInteropServer('stock'), friends()),
  target('stock client -> stock server (same process)', () => startInteropServer(grpc.Server)),
  target('stock client -> stock server (child process)', () => startChildInteropServer('stock')),
];

/** A server the Python client (its own process, over TCP) runs every case against. */
export interface PythonTarget {
  name: string;
  startServer(): Promise<RunningInteropServer>;
}

export const PYTHON_TARGETS: PythonTarget[] = [
  { name: 'friends server (child process)', startServer: () => startChildInteropServer('friends') },
  { name: 'stock server (child process)', startServer: () => startChildInteropServer('stock') },
];
