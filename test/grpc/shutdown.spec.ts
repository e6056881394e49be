import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * A server shut down while it answers its first hello, by code that hears of
 * the tier decision (a `friends:connection:tier` subscriber runs synchronously
 * as the server takes the friend link): no call is served after the
 * shutdown, and nothing is left listening or connected, as on a grpc.Server
 * shut down before its first call.
 */
describe.each([
  ['memory', friends()],
  ['unix', friends({ friends: { memory: false } })],
] as const)('gRPC forceShutdown as the server takes its first %s friend', (_tier, options) => {
  test('the first call fails, and no listener, socket or socket file is left', async () => {
    const socketDir = await mkdtemp(join(tmpdir(), 'friends-shutdown-'));
    const before = new Set(activeHandles());
    const server = new FriendsGrpcServer({ friends: { socketDir } });
    server.addService(Echo.service, echoHandlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const onTier = (message: unknown): void => {
      const { role, target } = message as { role: string; target: string };
      if (role !== 'server' || target !== `127.0.0.1:${port}`) return;
      unsubscribe('friends:connection:tier', onTier);
      server.forceShutdown();
    };
    subscribe('friends:connection:tier', onTier);
    const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as EchoClient;
    try {
      const code = await new Promise<number>((resolve) =>
        client.Unary({ text: 'first' }, (err: grpc.ServiceError | null) => resolve(err?.code ?? 0)),
      );
      client.close();
      expect(code).not.toBe(0);
      let left: string[] = [];
      for (let waited = 0; waited < 1_000; waited += 20) {
        left = openSince(before);
        if (left.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect({ left, files: await readdir(socketDir) }).toEqual({ left: [], files: [] });
    } finally {
      unsubscribe('friends:connection:tier', onTier);
      client.close();
      server.forceShutdown();
      await rm(socketDir, { recursive: true, force: true });
    }
  });
});

type Handles = () => object[];
const activeHandles = (): object[] => (process as unknown as { _getActiveHandles: Handles })._getActiveHandles();

/** Listeners and sockets opened since `before` and still open. */
function openSince(before: Set<object>): string[] {
  return activeHandles()
    .filter((handle) => !before.has(handle))
    .flatMap((handle) => {
      if (handle instanceof Server && handle.listening)
        return [`${typeof handle.address() === 'string' ? 'unix' : 'tcp'} listener`];
      if (handle instanceof Socket && !handle.destroyed)
        return [`${handle.remotePort === undefined ? 'unix' : 'tcp'} socket`];
      return [];
    });
}
