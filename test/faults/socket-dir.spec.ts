import { basename } from 'node:path';
import { chmod, chown, rm } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { FriendsClient } from '@friends/nest';
import { freePort } from '../support/ports.js';
import { wayOf } from '../support/tier.js';
import { removeCheckoutMirror } from '../support/readable-checkout.js';
import { describeWithTools } from '../support/tools.js';
import { echoClient, nestSend, unary, type EchoClient } from './support/clients.js';
import { grpcHost, nestHost, startHost, type FaultHost } from './support/host.js';
import { report } from './support/report.js';
import { testSocketDir, type TestSocketDir } from './support/socket-dir.js';

Logger.overrideLogger(false);
afterAll(() => removeCheckoutMirror());

/**
 * The socket directory is tampered with while friends are linked (server in
 * another process, clients in this one). Established unix links keep working;
 * a new connection that cannot reach the socket stays on the standard wire;
 * the server's close still completes and leaves nothing behind that the next
 * server does not clean up.
 */
const CALLS = 50;
const host = '127.0.0.1';

interface Placed {
  /** The server's socket file (the gRPC server opens it for the first hello). */
  unixPath(): Promise<string>;
  /** A client in this process, and the way its calls go. */
  connect(): Promise<{ way(): Promise<string>; close(): void }>;
  /** A client in `other` (another process): the tier it gets. */
  connectFrom(other: FaultHost): Promise<string>;
  server: FaultHost;
}

/** The Nest test microservice in its own process, and clients of it. */
async function placeNest(socketDir: string, runAs?: number): Promise<Placed> {
  const port = await freePort();
  const server = await nestHost(port, { socketDir }, { runAs });
  return {
    server,
    unixPath: async () => server.unixPath!,
    async connect() {
      const client = new FriendsClient({ host, port });
      await nestSend(client, 'tier');
      return {
        async way() {
          const answers = await wayOf(async () => {
            for (let i = 0; i < CALLS; i++) expect(await nestSend(client, 'sum.sync', [i, 1])).toBe(i + 1);
          });
          return answers.way === 'http2' ? 'tcp' : answers.way;
        },
        close: () => client.close(),
      };
    },
    async connectFrom(other) {
      return (await other.request<{ tier: string }>({ op: 'nest-client', port })).tier;
    },
  };
}

/** The gRPC echo server in its own process, and clients of it. */
async function placeGrpc(socketDir: string, runAs?: number): Promise<Placed> {
  const server = await grpcHost(0, socketDir, { runAs });
  return {
    server,
    unixPath: async () => (await server.stats(false)).unixPaths.grpc!,
    async connect() {
      const client: EchoClient = echoClient(server.port, 'unix');
      await unary(client, { text: 'warm' });
      return {
        async way() {
          const answers = await wayOf(async () => {
            for (let i = 0; i < CALLS; i++) expect((await unary(client, { text: `${i}` })).text).toBe(`${i}`);
          });
          return answers.way === 'http2' ? 'tcp' : answers.way;
        },
        close: () => client.close(),
      };
    },
    async connectFrom(other) {
      const { way } = await other.request<{ way: string }>({ op: 'grpc-client', port: server.port });
      return way === 'wire' ? 'tcp' : way;
    },
  };
}

const TRANSPORTS = [
  ['Nest', placeNest],
  ['gRPC', placeGrpc],
] as const;

describe.each(TRANSPORTS)('%s: the socket file is deleted while friends are linked', (name, place) => {
  let sockets: TestSocketDir;
  beforeEach(async () => {
    sockets = await testSocketDir();
  });
  afterEach(() => sockets.remove());

  test('linked friends keep the unix link; new clients take tcp; close leaves nothing', async () => {
    const placed = await place(sockets.dir);
    const linked = await placed.connect();
    let late: Awaited<ReturnType<Placed['connect']>> | undefined;
    try {
      expect(await linked.way()).toBe('unix');
      await rm(await placed.unixPath());
      expect(await linked.way()).toBe('unix');
      late = await placed.connect();
      expect(await late.way()).toBe('tcp');
      expect(await linked.way()).toBe('unix');
      report(`socket file deleted, ${name}`, { linked: 'unix', new: 'tcp', calls: 3 * CALLS, lost: 0 });
    } finally {
      linked.close();
      late?.close();
      await placed.server.stop();
    }
    expect(await sockets.leftovers()).toEqual([]);
  }, 30_000);
});

/** A uid with no other business here: the server and its friends run as it, so permissions apply. */
const OWNER = 65534;
const STRANGER = 65533;
const isRoot = process.getuid?.() === 0;
const describeAsRoot = isRoot ? describe : describe.skip;
if (!isRoot)
  process.stderr.write('warning: socket directory permissions: skipped: needs root to run servers as another uid\n');

describeWithTools(
  [{ package: 'util-linux', command: 'setpriv', probe: ['--version'] }],
  'the socket directory made unwritable, then unsearchable, while friends are linked',
  () => {
    describeAsRoot.each(TRANSPORTS)('%s (server and clients as a non-root uid)', (name, place) => {
      let sockets: TestSocketDir;
      const hosts: FaultHost[] = [];
      beforeEach(async () => {
        sockets = await testSocketDir();
        // The server (uid OWNER) creates its socket directory in a parent it owns.
        await chown(sockets.base, OWNER, OWNER);
      });
      afterEach(async () => {
        await Promise.all(hosts.splice(0).map((h) => h.stop()));
        await sockets.remove();
      });

      test('linked friends keep working; new ones take tcp when the socket is out of reach; close completes', async () => {
        const placed = await place(sockets.dir, OWNER);
        hosts.push(placed.server);
        // This process is root: its established link is what the change can still affect.
        const linked = await placed.connect();
        const path = await placed.unixPath();
        const owner = await startHost('client as the owner', { runAs: OWNER });
        const stranger = await startHost('client as another user', { runAs: STRANGER });
        hosts.push(owner, stranger);
        const seen: Record<string, string> = {};
        try {
          expect(await linked.way()).toBe('unix');
          expect((seen.owner = await placed.connectFrom(owner))).toBe('unix');
          // 0700: another user cannot reach the socket, and stays on tcp.
          expect((seen.stranger = await placed.connectFrom(stranger))).toBe('tcp');

          // Unwritable: nothing can be created or removed there, but the socket is still reachable.
          await chmod(sockets.dir, 0o500);
          expect(await linked.way()).toBe('unix');
          expect((seen.ownerUnwritable = await placed.connectFrom(owner))).toBe('unix');

          // Unsearchable: the socket is out of reach for its owner too.
          await chmod(sockets.dir, 0o000);
          expect(await linked.way()).toBe('unix');
          expect((seen.ownerUnsearchable = await placed.connectFrom(owner))).toBe('tcp');
          expect(await linked.way()).toBe('unix');
        } finally {
          linked.close();
        }
        // The server cannot remove its socket now: its close completes all the same.
        await placed.server.stop();
        expect(await sockets.leftovers()).toEqual([basename(path)]);

        // Once the directory is usable again, the next server removes the stale socket.
        await chmod(sockets.dir, 0o700);
        const next = await place(sockets.dir, OWNER);
        hosts.push(next.server);
        const nextLinked = await next.connect();
        expect(await nextLinked.way()).toBe('unix');
        nextLinked.close();
        expect(await sockets.leftovers()).toEqual([basename(await next.unixPath())]);
        await next.server.stop();
        expect(await sockets.leftovers()).toEqual([]);
        report(`socket dir permissions, ${name}`, seen);
      }, 60_000);
    });
  },
);
