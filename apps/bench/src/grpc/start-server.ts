import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer } from '@friends/grpc';
import { LOOPBACK } from '../free-port.js';
import { echoHandlers, echoService } from './echo-service.js';

/**
 * Which server class runs the echo service. `friends-tcp`: a FriendsGrpcServer
 * that offers no unix socket, so a friends() client in another process is
 * told 'tcp' and stays on HTTP/2, exactly as with a server on another host.
 */
export type GrpcServerKind = 'stock' | 'friends' | 'friends-tcp';

export interface GrpcEchoServer {
  port: number;
  close(): void;
}

/** Where a stock server in `dir` also listens, for the stock unix-socket variant. */
export function stockSocketPath(dir: string): string {
  return join(dir, 'stock.sock');
}

/**
 * Starts an echo server on a loopback port it picks. `dir` holds every socket
 * file it makes: the stock server's own unix listener when `unix` is set, the
 * friends server's unix tier.
 */
export async function startGrpcServer(kind: GrpcServerKind, dir: string, unix: boolean): Promise<GrpcEchoServer> {
  const server =
    kind === 'stock'
      ? new grpc.Server()
      : new FriendsGrpcServer({ friends: { socketDir: dir, friends: kind === 'friends' ? true : { unix: false } } });
  server.addService(echoService, echoHandlers);
  try {
    const port = await bind(server, `${LOOPBACK}:0`);
    if (unix) await bind(server, `unix://${stockSocketPath(dir)}`);
    return { port, close: () => server.forceShutdown() };
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    );
  });
}
