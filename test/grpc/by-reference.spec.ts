import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { echoHandlers, loadEcho } from '../fixtures/src/grpc/echo-service.js';

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;

/** Pass-by-reference is an opt-in of the memory tier; the default is the method's serialize round trip. */
describe.each([
  ['memory, default', friends(), false],
  ['memory, copy: none', friends({ copy: 'none' }), true],
  ['unix, copy: none (sockets always serialize)', friends({ copy: 'none', friends: { memory: false } }), false],
] as const)('gRPC %s', (_name, options, byReference) => {
  test(byReference ? 'hands over the very objects' : 'hands over copies', async () => {
    const reply = { text: 'reply', index: 0, big: '0', mood: 'CALM', peer: '', blob: Buffer.alloc(0) };
    let received: unknown;
    const server = new FriendsGrpcServer();
    server.addService(Echo.service, {
      ...echoHandlers,
      Unary: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        received = call.request;
        callback(null, reply);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as EchoClient;
    const sent = { text: 'request', count: 1 };
    try {
      const got = await new Promise((resolve, reject) =>
        client.Unary(sent, (err: Error | null, r: unknown) => (err ? reject(err) : resolve(r))),
      );
      expect(received === sent).toBe(byReference);
      expect(got === reply).toBe(byReference);
      expect(got).toMatchObject({ text: 'reply' });
      expect(received).toMatchObject({ text: 'request', count: 1 });
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
