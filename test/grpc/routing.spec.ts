import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { echoHandlers, loadEcho } from '../fixtures/src/grpc/echo-service.js';
import { startChildInteropServer } from '../support/grpc-interop/servers.js';

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;

function unaryPeer(client: EchoClient): Promise<{ peer: string; code: number }> {
  return new Promise((resolve) => {
    const call = client.Unary({ text: 'x' }, (err: grpc.ServiceError | null) =>
      resolve({ peer: call.getPeer(), code: err?.code ?? 0 }),
    ) as grpc.ClientUnaryCall;
  });
}

async function bindFriends(port = 0): Promise<{ server: FriendsGrpcServer; port: number }> {
  const server = new FriendsGrpcServer();
  server.addService(Echo.service, echoHandlers);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { server, port: bound };
}

describe('gRPC routing', () => {
  test('a client that only talks in-process opens no socket: its channel never leaves IDLE', async () => {
    const { server, port } = await bindFriends();
    const client = new Echo(`localhost:${port}`, grpc.credentials.createInsecure(), friends()) as EchoClient;
    try {
      for (let i = 0; i < 5; i++) expect((await unaryPeer(client)).peer).toMatch(/^memory:/);
      expect(client.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.IDLE);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });

  test('the decision is made once per target and shared by clients with the same options', async () => {
    const { server, port } = await bindFriends();
    const options = friends({ friends: { memory: false } });
    const a = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as EchoClient;
    const b = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as EchoClient;
    try {
      const peers = await Promise.all([unaryPeer(a), unaryPeer(b), unaryPeer(a)]);
      expect(new Set(peers.map((p) => p.peer)).size).toBe(1);
      expect(peers[0]!.peer).toMatch(/^unix:\//);
    } finally {
      a.close();
      b.close();
      server.forceShutdown();
    }
  });

  test('after the friend connection drops, the next call renegotiates (unix in another process -> memory here)', async () => {
    const child = await startChildInteropServer('friends');
    const port = child.port;
    const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), friends()) as EchoClient;
    let local: FriendsGrpcServer | undefined;
    try {
      // The interop server does not serve Echo: UNIMPLEMENTED, but over the unix tier.
      const first = await unaryPeer(client);
      expect(first).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
      expect(first.peer).toMatch(/^unix:\//);
      await child.stop();
      // In-flight or not, the dropped connection is forgotten; a server here takes the port.
      local = (await bindFriends(port)).server;
      let next = await unaryPeer(client);
      for (let i = 0; i < 20 && next.code !== 0; i++) next = await unaryPeer(client);
      expect(next).toMatchObject({ code: 0 });
      expect(next.peer).toMatch(/^memory:/);
    } finally {
      client.close();
      local?.forceShutdown();
    }
  });
});
