import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends, type FriendsGrpcServerOptions } from '@friends/grpc';
import { FriendsServer, type FriendsServerOptions } from '@friends/nest';
import { echoHandlers, loadEcho } from '../fixtures/src/grpc/echo-service.js';
import { wayOf, type Way } from './tier.js';

/** A FriendsServer without a Nest app: one handler, `sum`, on 127.0.0.1 and a free port. */
export async function startNestServer(options: FriendsServerOptions = {}): Promise<{
  server: FriendsServer;
  port: number;
}> {
  const server = new FriendsServer({ host: '127.0.0.1', port: 0, ...options });
  server.addHandler('sum', async (data: number[]) => data.reduce((a, b) => a + b, 0));
  await new Promise<void>((resolve, reject) => server.listen((err) => (err ? reject(err as Error) : resolve())));
  return { server, port: server.address().port };
}

export type EchoClient = grpc.Client & Record<string, Function>;

export const Echo = loadEcho();

/** A FriendsGrpcServer serving the echo service on 127.0.0.1 and a free port. */
export async function startGrpcServer(
  friendsOptions: FriendsGrpcServerOptions = {},
): Promise<{ server: FriendsGrpcServer; target: string }> {
  const server = new FriendsGrpcServer({ friends: friendsOptions });
  server.addService(Echo.service, echoHandlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, target: `127.0.0.1:${port}` };
}

/** An echo client; `options` are `friends()`'s, or undefined for a stock client. */
export function echoClient(target: string, options?: Parameters<typeof friends>[0]): EchoClient {
  return new Echo(target, grpc.credentials.createInsecure(), options ? friends(options) : {}) as EchoClient;
}

/** One unary echo call, and the way it went. */
export function echo(client: EchoClient, text: string): Promise<{ result: string; way: Way }> {
  return wayOf(
    () =>
      new Promise<string>((resolve, reject) =>
        client.Unary({ text }, (err: Error | null, reply: { text: string }) =>
          err ? reject(err) : resolve(reply.text),
        ),
      ),
  );
}
