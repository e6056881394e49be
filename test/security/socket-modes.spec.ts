import 'reflect-metadata';
import { chmod, chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { freePort } from '../support/ports.js';
import { removeCheckoutMirror } from '../support/readable-checkout.js';
import { echo, echoClient, startGrpcServer, startNestServer } from '../support/sec-servers.js';
import { describeWithTools, type Tool } from '../support/tools.js';
import { grpcHost, nestHost, startHost, type FaultHost } from '../faults/support/host.js';

Logger.overrideLogger(false);
afterAll(() => removeCheckoutMirror());

/** `socketDirMode` and `socketMode`, as both servers take them. */
interface Modes {
  socketDirMode?: number;
  socketMode?: number;
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o7777;

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'friends-sec-modes-'));
  // Others may enter it, as /tmp: what they may do further down is what the tests look at.
  await chmod(base, 0o755);
});
afterEach(() => rm(base, { recursive: true, force: true }));

/** A server in this process with its socket in `socketDir`, open; resolves with the socket's path. */
type PlaceHere = (socketDir: string, modes: Modes) => Promise<{ unixPath: string; close(): Promise<void> }>;

const nestHere: PlaceHere = async (socketDir, modes) => {
  const { server } = await startNestServer({ socketDir, ...modes });
  return { unixPath: server.unixPath!, close: () => server.close() };
};

const grpcHere: PlaceHere = async (socketDir, modes) => {
  const { server, target } = await startGrpcServer({ socketDir, ...modes });
  // The gRPC server opens its socket at the first hello.
  const client = echoClient(target, { friends: { memory: false } });
  expect((await echo(client, 'x')).way).toBe('unix');
  client.close();
  return {
    unixPath: server.unixPath!,
    close: async () => server.forceShutdown(),
  };
};

describe.each([
  ['Nest', nestHere],
  ['gRPC', grpcHere],
] as const)('%s: the modes of the socket directory and the socket on disk', (_name, place) => {
  test.each([
    ['by default, the same user only', {}, 0o700, 0o600],
    ['wider when asked', { socketDirMode: 0o750, socketMode: 0o660 }, 0o750, 0o660],
  ])('%s', async (_case, modes: Modes, dirMode, socketMode) => {
    const socketDir = join(base, 'sockets');
    const server = await place(socketDir, modes);
    try {
      expect(server.unixPath.startsWith(`${socketDir}/`)).toBe(true);
      expect(await mode(socketDir)).toBe(dirMode);
      expect(await mode(server.unixPath)).toBe(socketMode);
    } finally {
      await server.close();
    }
  });
});

/**
 * A pod whose containers run as different users and share the pod's `fsGroup`: the volume is
 * the group's, setgid and writable by all (as Kubernetes makes an emptyDir), the server and the
 * client run under uids and primary groups of their own, with the fsGroup as supplementary group.
 */
const SERVER_UID = 65534;
const CLIENT_UID = 65533;
const FS_GROUP = 65532;

/** A server running as SERVER_UID in a fault host. */
interface PlacedServer {
  host: FaultHost;
  /** Its socket (the gRPC server opens it at the first hello). */
  unixPath(): Promise<string | null>;
  /** The tier a client in `client` gets; its call has been answered either way. */
  tierFrom(client: FaultHost): Promise<string>;
}
type PlaceAs = (socketDir: string, modes: Modes) => Promise<PlacedServer>;

const asServer = { runAs: SERVER_UID, groups: [FS_GROUP] };

const nestAs: PlaceAs = async (socketDir, modes) => {
  const port = await freePort();
  const host = await nestHost(port, { socketDir, ...modes }, asServer);
  return {
    host,
    unixPath: async () => host.unixPath,
    tierFrom: async (client) => (await client.request<{ tier: string }>({ op: 'nest-client', port })).tier,
  };
};

const grpcAs: PlaceAs = async (socketDir, modes) => {
  const host = await grpcHost(0, socketDir, asServer, { ...modes });
  return {
    host,
    unixPath: async () => (await host.stats(false)).unixPaths.grpc,
    async tierFrom(client) {
      const { way } = await client.request<{ way: string }>({ op: 'grpc-client', port: host.port });
      return way === 'wire' ? 'tcp' : way;
    },
  };
};

const SETPRIV: Tool = { package: 'util-linux', command: 'setpriv', probe: ['--version'] };

describeWithTools(
  [SETPRIV],
  'a client under another uid in the same group (a pod with fsGroup)',
  () => {
    describe.each([
      ['Nest', nestAs],
      ['gRPC', grpcAs],
    ] as const)('%s', (_name, place) => {
      const hosts: FaultHost[] = [];
      let socketDir: string;
      beforeEach(async () => {
        const volume = join(base, 'volume');
        await mkdir(volume);
        await chown(volume, 0, FS_GROUP);
        await chmod(volume, 0o2777);
        socketDir = join(volume, 'sockets');
      });
      afterEach(async () => {
        await Promise.all(hosts.splice(0).map((host) => host.stop()));
      });

      test.each([
        // The setgid bit gives the socket the directory's group, the fsGroup, not the server's own.
        ['socketDirMode 0o2770 and socketMode 0o660: unix', { socketDirMode: 0o2770, socketMode: 0o660 }, 'unix'],
        ['the defaults (0700, 0600): tcp', {}, 'tcp'],
        ['the directory open to the group, the socket not (0600): tcp', { socketDirMode: 0o2770 }, 'tcp'],
      ])(
        '%s',
        async (_case, modes: Modes, tier) => {
          const server = await place(socketDir, modes);
          hosts.push(server.host);
          const client = await startHost('client as another uid in the group', {
            runAs: CLIENT_UID,
            groups: [FS_GROUP],
          });
          hosts.push(client);
          expect(await server.tierFrom(client)).toBe(tier);
          // The files are the server's and the mode asked for, whichever way the client went.
          const unixPath = (await server.unixPath())!;
          expect(await mode(socketDir)).toBe(modes.socketDirMode ?? 0o700);
          expect(await mode(unixPath)).toBe(modes.socketMode ?? 0o600);
          const socket = await stat(unixPath);
          expect(socket.uid).toBe(SERVER_UID);
          if (modes.socketDirMode === 0o2770) expect(socket.gid).toBe(FS_GROUP);
        },
        30_000,
      );
    });
  },
  { root: true },
);
