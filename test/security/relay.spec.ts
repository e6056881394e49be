import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { FriendsClient, type FriendsClientOptions } from '@friends/nest';
import { lastValueFrom } from 'rxjs';
import { startTestServer, type StartedServer } from '../fixtures/src/app.js';
import { echoHandlers, loadEcho } from '../fixtures/src/grpc/echo-service.js';
import { startGrpcRelay, startNestRelay, type Relay } from '../fixtures/src/multihost/relays.js';
import { freePort } from '../support/ports.js';
import { wayOf } from '../support/tier.js';

/**
 * A client dials a hostile server, which relays the client's hello to a
 * friends server of the client's own process or machine, on a connection of
 * its own. The hello must grant nothing there: the memory claim and the kernel
 * proof are bound to the connection the client opened. (The same with hosts
 * in network namespaces: multihost.spec.ts.)
 */

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;
const HOST = '127.0.0.1';
let socketDir: string;

beforeAll(async () => {
  socketDir = await mkdtemp(join(tmpdir(), 'friends-relay-'));
});
afterAll(async () => {
  await rm(socketDir, { recursive: true, force: true });
});

const tiers: [string, FriendsClientOptions['friends'], string][] = [
  ['every tier on', true, 'memory'],
  ['memory off', { memory: false }, 'unix'],
];

describe('Nest: a relayed hello', () => {
  let server: StartedServer;
  let relay: Relay;

  beforeAll(async () => {
    server = await startTestServer('friends', await freePort(), { socketDir });
    relay = await startNestRelay({ host: HOST, port: 0, upstream: { host: HOST, port: server.port } });
  });
  afterAll(async () => {
    await relay.close();
    await server.app.close();
  });

  test.each(tiers)('grants nothing to the relay (%s)', async (_label, option, direct) => {
    const connect = async (port: number) => {
      const client = new FriendsClient({ host: HOST, port, friends: option });
      try {
        await lastValueFrom(client.send('sum.sync', [1, 2]));
        return await client.tierDecision();
      } finally {
        client.close();
      }
    };
    // Dialled directly, the server is a friend.
    expect(await connect(server.port)).toBe(direct);
    relay.answers.length = 0;
    expect(await connect(relay.port)).toBe('tcp');
    expect(relay.answers.map((a) => a.tier)).toEqual(['tcp']);
  });
});

describe('gRPC: a relayed hello', () => {
  let server: FriendsGrpcServer;
  let port: number;
  let relay: Relay;

  beforeAll(async () => {
    server = new FriendsGrpcServer({ friends: { socketDir } });
    server.addService(Echo.service, echoHandlers);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${HOST}:0`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    relay = await startGrpcRelay({ host: HOST, port: 0, upstream: { host: HOST, port } });
  });
  afterAll(async () => {
    await relay.close();
    server.forceShutdown();
  });

  test.each(tiers)('grants nothing to the relay (%s)', async (_label, option, direct) => {
    const way = async (target: number) => {
      const client = new Echo(`${HOST}:${target}`, grpc.credentials.createInsecure(), friends({ friends: option }));
      try {
        const unary = () =>
          new Promise((resolve, reject) =>
            (client as EchoClient).Unary({ text: 'x' }, (err: Error | null, reply: unknown) =>
              err ? reject(err) : resolve(reply),
            ),
          );
        return (await wayOf(unary)).way;
      } finally {
        client.close();
      }
    };
    expect(await way(port)).toBe(direct);
    relay.answers.length = 0;
    expect(await way(relay.port)).toBe('http2');
    expect(relay.answers.map((a) => a.tier)).toEqual(['tcp']);
  });
});
