import { spawn } from 'node:child_process';
import { existsSync, fstatSync, renameSync, symlinkSync } from 'node:fs';
import { chmod, lstat, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import {
  ErrorCodes,
  MAX_UNIX_PATH,
  bindablePath,
  defaultSocketDir,
  isFriendsError,
  listenUnix,
  prepareSocketDir,
  removeSocketFile,
  removeStaleSockets,
  socketFileName,
} from '../src/internal.js';
import { closeServer, makeTempDir, once, removeDir, socketClosed } from './support/helpers.js';

let root: string;
let n = 0;
const servers: Server[] = [];

beforeAll(async () => {
  root = await makeTempDir();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});
afterAll(async () => {
  await removeDir(root);
});

async function freshDir(): Promise<string> {
  const dir = join(root, `case-${n++}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A directory deep enough that sockets in it exceed the kernel's path limit. */
async function longDir(): Promise<string> {
  const dir = join(root, `long-${n++}`, 'a'.repeat(50), 'b'.repeat(50));
  await mkdir(dir, { recursive: true });
  return dir;
}

async function listening(path: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined); // probes hang up at once
    socket.end('hi');
  });
  servers.push(server);
  await listenUnix(server, path);
  return server;
}

/** A socket file whose listener is gone: the file is moved away while the server closes. */
async function staleSocket(path: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  renameSync(path, `${path}.tmp`);
  await closeServer(server); // libuv unlinks `path`, which no longer exists
  renameSync(`${path}.tmp`, path);
}

/** A socket file left behind by a server process killed with SIGKILL. */
async function socketOfKilledProcess(path: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('ready'))", path],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await once(child.stdout!, 'data', 5000);
  const exited = once(child, 'exit', 5000);
  child.kill('SIGKILL');
  await exited;
}

function canConnect(path: string): Promise<boolean> {
  const { path: short, release } = bindablePath(path);
  const socket = connect(short);
  return new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
  }).finally(async () => {
    release();
    socket.destroy();
    await socketClosed(socket);
  });
}

describe('defaultSocketDir', () => {
  test('uses $XDG_RUNTIME_DIR/friends when set', () => {
    expect(defaultSocketDir({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/friends');
  });

  test('falls back to <tmpdir>/friends-<uid>', () => {
    expect(defaultSocketDir({})).toBe(join(tmpdir(), `friends-${process.getuid!()}`));
    expect(defaultSocketDir({ XDG_RUNTIME_DIR: '' })).toBe(join(tmpdir(), `friends-${process.getuid!()}`));
  });
});

describe('prepareSocketDir', () => {
  test('creates missing directories with mode 0700', async () => {
    const dir = join(root, `new-${n++}`, 'nested', 'friends');
    await prepareSocketDir(dir);
    const s = await stat(dir);
    expect(s.isDirectory()).toBe(true);
    expect(s.mode & 0o777).toBe(0o700);
  });

  test('leaves the mode of an existing directory alone', async () => {
    const dir = await freshDir();
    await chmod(dir, 0o755);
    await prepareSocketDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
  });

  test('refuses an existing directory others may write to without the sticky bit', async () => {
    const dir = await freshDir();
    await chmod(dir, 0o777);
    await expect(prepareSocketDir(dir)).rejects.toMatchObject({ code: ErrorCodes.SOCKET_DIR });
    expect((await stat(dir)).mode & 0o7777).toBe(0o777);
  });

  test('applies an explicit wider mode', async () => {
    const dir = join(root, `wide-${n++}`);
    await prepareSocketDir(dir, 0o755);
    expect((await stat(dir)).mode & 0o777).toBe(0o755);
  });

  test('refuses a regular file with FRIENDS_ERR_SOCKET_DIR', async () => {
    const file = join(root, `file-${n++}`);
    await writeFile(file, '');
    await expect(prepareSocketDir(file)).rejects.toMatchObject({ code: ErrorCodes.SOCKET_DIR });
  });

  test('refuses a symlink to a directory (it could point anywhere)', async () => {
    const target = await freshDir();
    const link = join(root, `link-${n++}`);
    await symlink(target, link);
    await expect(prepareSocketDir(link)).rejects.toMatchObject({ code: ErrorCodes.SOCKET_DIR });
  });

  test('refuses a directory it cannot create', async () => {
    const file = join(root, `blocker-${n++}`);
    await writeFile(file, '');
    const err = await prepareSocketDir(join(file, 'sub')).catch((e: unknown) => e);
    expect(isFriendsError(err, ErrorCodes.SOCKET_DIR)).toBe(true);
    expect((err as Error).cause).toBeDefined();
  });
});

describe('removeStaleSockets', () => {
  test('removes a socket whose listener is gone and leaves a live one', async () => {
    const dir = await freshDir();
    const stale = join(dir, ours(1));
    const live = join(dir, ours(2));
    await staleSocket(stale);
    await listening(live);
    expect((await lstat(stale)).isSocket()).toBe(true);
    expect(await canConnect(stale)).toBe(false);
    expect(await removeStaleSockets(dir)).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(await canConnect(live)).toBe(true);
  });

  test('removes the socket of a server process killed with SIGKILL', async () => {
    const dir = await freshDir();
    const path = join(dir, ours(3));
    await socketOfKilledProcess(path);
    expect((await lstat(path)).isSocket()).toBe(true);
    expect(await removeStaleSockets(dir)).toBe(1);
    expect(existsSync(path)).toBe(false);
  });

  test('leaves files that are not sockets, and sockets not named as ours', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, ours(4)), 'not a socket');
    await mkdir(join(dir, ours(5)));
    await staleSocket(join(dir, 'other.sock'));
    await staleSocket(join(dir, `${ours(6)}.old`));
    expect(await removeStaleSockets(dir)).toBe(0);
    expect(existsSync(join(dir, ours(4)))).toBe(true);
    expect(existsSync(join(dir, ours(5)))).toBe(true);
    expect(existsSync(join(dir, 'other.sock'))).toBe(true);
    expect(existsSync(join(dir, `${ours(6)}.old`))).toBe(true);
  });

  test('a missing directory removes nothing', async () => {
    expect(await removeStaleSockets(join(root, 'does-not-exist'))).toBe(0);
  });

  test('works in a directory whose socket paths exceed the kernel limit', async () => {
    const dir = await longDir();
    const stale = join(dir, ours(7));
    const live = join(dir, ours(8));
    expect(Buffer.byteLength(stale)).toBeGreaterThan(MAX_UNIX_PATH);
    await socketOfKilledProcess(viaShortSymlink(stale));
    await listening(live);
    expect(existsSync(stale)).toBe(true);
    expect(await removeStaleSockets(dir)).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(await canConnect(live)).toBe(true);
  });
});

/** A socket file name as our servers make them. */
function ours(n: number): string {
  return socketFileName('nest', 1000 + n, n.toString(16).padStart(16, '0'));
}

/** A short path for `path` that a child process can bind: a short symlink to its long directory. */
function viaShortSymlink(path: string): string {
  const shortDir = join(root, `s${n++}`);
  symlinkSync(dirname(path), shortDir);
  return join(shortDir, basename(path));
}

describe('bindablePath', () => {
  test('returns short paths unchanged', () => {
    const path = join(root, 'short.sock');
    const target = bindablePath(path);
    expect(target.path).toBe(path);
    target.release();
  });

  test('reaches a long path through /proc/self/fd, and release() closes that fd once', async () => {
    const dir = await longDir();
    const path = join(dir, 'x.sock');
    expect(Buffer.byteLength(path)).toBeGreaterThan(MAX_UNIX_PATH);
    const target = bindablePath(path);
    const match = /^\/proc\/self\/fd\/(\d+)\/x\.sock$/.exec(target.path);
    expect(match).not.toBeNull();
    expect(Buffer.byteLength(target.path)).toBeLessThanOrEqual(MAX_UNIX_PATH);
    const fd = Number(match![1]);
    expect(fstatSync(fd).isDirectory()).toBe(true);
    target.release();
    expect(() => fstatSync(fd)).toThrow();
    target.release(); // idempotent: must not close an fd reused by someone else
  });

  test('a long path whose file name alone is too long is refused with FRIENDS_ERR_SOCKET_DIR', async () => {
    const dir = await freshDir();
    const path = join(dir, `${'n'.repeat(120)}.sock`);
    let thrown: unknown;
    try {
      bindablePath(path);
    } catch (err) {
      thrown = err;
    }
    expect(isFriendsError(thrown, ErrorCodes.SOCKET_DIR)).toBe(true);
  });
});

describe('listenUnix', () => {
  test('listens on a path longer than the kernel limit, with mode 0600, and clients get through', async () => {
    const dir = await longDir();
    const path = join(dir, 'server.sock');
    expect(Buffer.byteLength(path)).toBeGreaterThan(MAX_UNIX_PATH);
    await listening(path);
    const s = await stat(path);
    expect(s.isSocket()).toBe(true);
    expect(s.mode & 0o777).toBe(0o600);
    const { path: short, release } = bindablePath(path);
    const client = connect(short);
    const [data] = await once<[Buffer]>(client, 'data');
    release();
    expect(data.toString()).toBe('hi');
    await socketClosed(client);
  });

  test('applies the requested mode', async () => {
    const path = join(await freshDir(), 'm.sock');
    const server = createServer();
    servers.push(server);
    await listenUnix(server, path, 0o660);
    expect((await stat(path)).mode & 0o777).toBe(0o660);
  });

  test('fails on a path a live server holds, and leaves that server alone', async () => {
    const path = join(await freshDir(), 'taken.sock');
    await listening(path);
    const second = createServer();
    await expect(listenUnix(second, path)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(await canConnect(path)).toBe(true);
  });
});

describe('removeSocketFile', () => {
  test('removes a file and ignores a missing one', async () => {
    const path = join(await freshDir(), 'gone.sock');
    await writeFile(path, '');
    await removeSocketFile(path);
    expect(existsSync(path)).toBe(false);
    await expect(removeSocketFile(path)).resolves.toBeUndefined();
  });
});
