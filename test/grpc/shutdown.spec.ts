import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { echoHandlers, loadEcho } from '../fixtures/src/grpc/echo-service.js';

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;

/** tryShutdown lets calls in flight finish on every tier, as grpc.Server does on HTTP/2; forceShutdown does not. */
describe.each([
  ['memory', friends()],
  ['unix', friends({ friends: { memory: false } })],
  ['tcp', friends({ friends: false })],
] as const)('gRPC shutdown on %s', (_tier, options) => {
  async function serve(): Promise<{ server: FriendsGrpcServer; client: EchoClient }> {
    const server = new FriendsGrpcServer();
    server.addService(Echo.service, echoHandlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as EchoClient;
    await new Promise((resolve) => client.Unary({ text: 'warm' }, resolve));
    return { server, client };
  }

  const slowCall = (client: EchoClient) =>
    new Promise<{ code: number; text?: string }>((resolve) =>
      client.Unary({ text: 'slow', delay_ms: 150 }, (err: grpc.ServiceError | null, reply?: { text: string }) =>
        resolve({ code: err?.code ?? 0, text: reply?.text }),
      ),
    );

  test('tryShutdown: the call in flight completes, then the callback runs', async () => {
    const { server, client } = await serve();
    const inFlight = slowCall(client);
    await new Promise((resolve) => setTimeout(resolve, 30));
    let shutDown = false;
    const done = new Promise<void>((resolve) =>
      server.tryShutdown(() => {
        shutDown = true;
        resolve();
      }),
    );
    expect(await inFlight).toEqual({ code: 0, text: 'slow' });
    await done;
    expect(shutDown).toBe(true);
    client.close();
  });

  test('forceShutdown: the call in flight fails', async () => {
    const { server, client } = await serve();
    const inFlight = slowCall(client);
    await new Promise((resolve) => setTimeout(resolve, 30));
    server.forceShutdown();
    expect((await inFlight).code).not.toBe(0);
    client.close();
  });
});
