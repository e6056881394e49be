import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { socketFileName } from '@friends/core/internal';
import { FriendsClient } from '@friends/nest';
import { LogLines } from '../support/log-lines.js';
import { echo, echoClient, startGrpcServer, startNestServer } from '../support/sec-servers.js';
import { describeWithTools } from '../support/tools.js';

const logs = new LogLines();
Logger.overrideLogger(logs);

/** A user that is not us (Debian's `nobody`). */
const OTHER_UID = 65534;

let root: string;
let n = 0;

beforeAll(async () => {
  // Readable by the other user, as /tmp is: what it may do in it is what the tests look at.
  root = await mkdtemp(join(tmpdir(), 'friends-sec-dir-'));
  await chmod(root, 0o755);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => logs.clear());

async function sharedDir(): Promise<string> {
  const dir = join(root, `shared-${n++}`);
  await mkdir(dir);
  await chmod(dir, 0o1777);
  return dir;
}

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o7777;

/** A socket file nobody listens on: the listener's file is moved away while it closes, then put back. */
async function staleSocket(path: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  await rename(path, `${path}.moving`);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rename(`${path}.moving`, path);
}

async function unixNestClient(port: number): Promise<FriendsClient> {
  const client = new FriendsClient({ host: '127.0.0.1', port, friends: { memory: false } });
  await client.connect();
  return client;
}

describe('an existing shared socket directory (mode 1777)', () => {
  test('Nest: the server uses it, and leaves its mode (sticky bit included) alone', async () => {
    const dir = await sharedDir();
    const { server, port } = await startNestServer({ socketDir: dir });
    const client = await unixNestClient(port);
    try {
      expect(client.tier).toBe('unix');
      expect(server.unixPath!.startsWith(`${dir}/`)).toBe(true);
      expect(await lastValueFrom(client.send('sum', [1, 2]))).toBe(3);
      expect(await mode(dir)).toBe(0o1777);
    } finally {
      client.close();
      await server.close();
    }
    expect(await mode(dir)).toBe(0o1777);
  });

  test('gRPC: the server uses it, and leaves its mode alone', async () => {
    const dir = await sharedDir();
    const { server, target } = await startGrpcServer({ socketDir: dir });
    const client = echoClient(target, { friends: { memory: false } });
    try {
      expect(await echo(client, 'hi')).toEqual({ result: 'hi', way: 'unix' });
      expect(server.unixPath!.startsWith(`${dir}/`)).toBe(true);
      expect(await mode(dir)).toBe(0o1777);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });

  test('an existing directory of ours keeps whatever mode it has', async () => {
    const dir = join(root, `ours-${n++}`);
    await mkdir(dir);
    await chmod(dir, 0o750);
    const { server, port } = await startNestServer({ socketDir: dir });
    const client = await unixNestClient(port);
    const tier = client.tier;
    client.close();
    await server.close();
    expect(tier).toBe('unix');
    expect(await mode(dir)).toBe(0o750);
  });

  test('a directory others may write to without the sticky bit is refused, with a warning, and not changed', async () => {
    const dir = join(root, `open-${n++}`);
    await mkdir(dir);
    await chmod(dir, 0o777);
    const { server, port } = await startNestServer({ socketDir: dir });
    const client = await unixNestClient(port);
    const tier = client.tier;
    client.close();
    await server.close();
    expect(tier).toBe('tcp');
    expect(server.unixPath).toBeUndefined();
    expect(await mode(dir)).toBe(0o777);
    const warnings = logs.of('FriendsServer', 'warn').map((line) => line.message);
    expect(warnings).toEqual([expect.stringMatching(/Unix tier disabled: .*lets other users replace its sockets/)]);
  });
});

describeWithTools(
  [],
  'the startup sweep in a shared directory',
  () => {
    test('removes only stale sockets named as ours and owned by us; others, and live ones, stay', async () => {
      const dir = await sharedDir();
      const ours = join(dir, socketFileName('nest', 4242, '0123456789abcdef'));
      const othersOurName = join(dir, socketFileName('nest', 4243, 'fedcba9876543210'));
      const othersApp = join(dir, 'agent.sock');
      const oursOtherApp = join(dir, 'app-1.sock');
      const notASocket = join(dir, socketFileName('grpc', 4244, '00000000000000ff'));
      for (const path of [ours, othersOurName, othersApp, oursOtherApp]) await staleSocket(path);
      await writeFile(notASocket, '');
      await chown(othersOurName, OTHER_UID, OTHER_UID);
      await chown(othersApp, OTHER_UID, OTHER_UID);
      const live = createServer();
      const livePath = join(dir, socketFileName('nest', 4245, '0000000000000abc'));
      await new Promise<void>((resolve) => live.listen(livePath, resolve));

      const { server } = await startNestServer({ socketDir: dir });
      // The gRPC server opens its socket (and sweeps) at the first hello.
      const grpc = await startGrpcServer({ socketDir: dir });
      const client = echoClient(grpc.target, { friends: { memory: false } });
      try {
        expect((await echo(client, 'sweep')).way).toBe('unix');
        expect(existsSync(ours)).toBe(false);
        for (const kept of [othersOurName, othersApp, oursOtherApp, notASocket, livePath])
          expect([kept, existsSync(kept)]).toEqual([kept, true]);
        expect((await lstat(othersOurName)).isSocket()).toBe(true);
        expect(await mode(dir)).toBe(0o1777);
      } finally {
        client.close();
        await server.close();
        grpc.server.forceShutdown();
        await new Promise<void>((resolve) => (live as Server).close(() => resolve()));
      }
    });
  },
  { root: true },
);

/** Runs `work` with these environment variables, then puts the environment back. */
async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Process warnings (process.emitWarning) with a FRIENDS_ERR_ code, while `work` runs. */
async function processWarnings(work: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  // Jest gives each test file its own `process`: its emitWarning is what the library calls.
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation((warning, options) => {
    const code = typeof options === 'object' ? (options as { code?: string }).code : undefined;
    if (code?.startsWith('FRIENDS_ERR_')) seen.push(`${code}: ${String(warning)}`);
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

describeWithTools(
  [],
  'XDG_RUNTIME_DIR that is not ours',
  () => {
    const uid = process.getuid!();

    /** The tmpdir default, where sockets go when the runtime directory will not do. */
    const fallback = join(tmpdir(), `friends-${uid}`);

    /** A runtime directory owned by `owner`. */
    async function runtimeDir(owner: number): Promise<string> {
      const xdg = join(root, `run-user-${n++}`);
      await mkdir(xdg, { mode: 0o700 });
      await chown(xdg, owner, owner);
      return xdg;
    }

    test("Nest: a server run with another user's XDG_RUNTIME_DIR creates nothing in it, uses the tmpdir default and says so", async () => {
      const xdg = await runtimeDir(OTHER_UID);
      await withEnv({ XDG_RUNTIME_DIR: xdg }, async () => {
        const { server, port } = await startNestServer();
        const client = await unixNestClient(port);
        const tier = client.tier;
        const path = server.unixPath;
        client.close();
        await server.close();
        expect(tier).toBe('unix');
        expect(path!.startsWith(`${fallback}/`)).toBe(true);
        expect(existsSync(join(xdg, 'friends'))).toBe(false);
      });
      const warnings = logs.of('FriendsServer', 'warn').map((line) => line.message);
      expect(warnings).toEqual([
        `XDG_RUNTIME_DIR ${xdg} belongs to uid ${OTHER_UID}, not to this process (uid ${uid}): unix sockets go to ${fallback} instead`,
      ]);
    });

    test('gRPC: the same, with a process warning', async () => {
      const xdg = await runtimeDir(OTHER_UID);
      let path: string | undefined;
      const warnings = await processWarnings(() =>
        withEnv({ XDG_RUNTIME_DIR: xdg }, async () => {
          const { server, target } = await startGrpcServer();
          const client = echoClient(target, { friends: { memory: false } });
          try {
            expect((await echo(client, 'x')).way).toBe('unix');
            path = server.unixPath;
          } finally {
            client.close();
            server.forceShutdown();
          }
        }),
      );
      expect(path!.startsWith(`${fallback}/`)).toBe(true);
      expect(existsSync(join(xdg, 'friends'))).toBe(false);
      expect(warnings).toEqual([
        expect.stringMatching(/^FRIENDS_ERR_SOCKET_DIR: XDG_RUNTIME_DIR .* belongs to uid 65534/),
      ]);
    });

    test('a friends directory left in our runtime directory by another user: we say so, and use the tmpdir default', async () => {
      const xdg = await runtimeDir(uid);
      const left = join(xdg, 'friends');
      await mkdir(left, { mode: 0o700 });
      await chown(left, OTHER_UID, OTHER_UID);
      await withEnv({ XDG_RUNTIME_DIR: xdg }, async () => {
        const { server, port } = await startNestServer();
        const client = await unixNestClient(port);
        const path = server.unixPath;
        const tier = client.tier;
        client.close();
        await server.close();
        expect(tier).toBe('unix');
        expect(path!.startsWith(`${fallback}/`)).toBe(true);
      });
      expect((await stat(left)).uid).toBe(OTHER_UID);
      const warnings = logs.of('FriendsServer', 'warn').map((line) => line.message);
      expect(warnings).toEqual([
        `Socket directory ${left} is owned by uid ${OTHER_UID}, not ${uid} (left by another user's process?); remove it to use it again. Unix sockets go to ${fallback} meanwhile`,
      ]);
    });
  },
  { root: true },
);
