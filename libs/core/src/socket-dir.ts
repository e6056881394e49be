import { closeSync, constants, openSync } from 'node:fs';
import { lstat, mkdir, readdir, chmod, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ErrorCodes, FriendsError } from './errors.js';

/** `$XDG_RUNTIME_DIR/friends` when set, else `<tmpdir>/friends-<uid>`. */
export function defaultSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'friends');
  return join(tmpdir(), `friends-${process.getuid?.() ?? 'user'}`);
}

/** Longest path `bind`/`connect` take (sun_path less its NUL). */
export const MAX_UNIX_PATH = process.platform === 'linux' ? 107 : 103;

/**
 * Creates the directory (mode 0700 unless told otherwise) and checks it is a real
 * directory owned by this user; tightens its mode if it is wider than asked.
 */
export async function prepareSocketDir(dir: string, mode = 0o700): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode });
    const stat = await lstat(dir);
    if (!stat.isDirectory()) throw new Error('not a directory');
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) throw new Error(`owned by uid ${stat.uid}, not ${uid}`);
    if ((stat.mode & 0o777) !== mode) await chmod(dir, mode);
  } catch (cause) {
    if (cause instanceof FriendsError) throw cause;
    throw new FriendsError(ErrorCodes.SOCKET_DIR, `Socket directory ${dir} is unusable: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * Removes sockets in `dir` that nobody listens on any more (their server died
 * without cleaning up). A socket that accepts a connection is live and is left
 * alone. Returns the number removed.
 */
export async function removeStaleSockets(dir: string, suffix = '.sock', probeTimeoutMs = 500): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const results = await Promise.all(
    names
      .filter((name) => name.endsWith(suffix))
      .map(async (name) => {
        const path = join(dir, name);
        const stat = await lstat(path).catch(() => undefined);
        if (!stat?.isSocket()) return false;
        if ((await probeSocket(path, probeTimeoutMs)) !== 'refused') return false;
        await unlink(path).catch(() => undefined);
        return true;
      }),
  );
  return results.filter(Boolean).length;
}

function probeSocket(path: string, timeoutMs: number): Promise<'live' | 'refused' | 'unknown'> {
  return new Promise((resolve) => {
    const { path: short, release } = bindablePath(path);
    const socket = connect(short);
    const timer = setTimeout(() => finish('unknown'), timeoutMs);
    function finish(result: 'live' | 'refused' | 'unknown'): void {
      clearTimeout(timer);
      socket.destroy();
      release();
      resolve(result);
    }
    socket.once('connect', () => finish('live'));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'refused' : 'unknown'),
    );
  });
}

/**
 * A path `bind`/`connect` accept for `path`. Paths over the kernel limit are
 * reached through `/proc/self/fd/<dir fd>/<name>` (Linux); `release` closes the fd
 * once the socket is bound or connected. Only for paths this side chose (its own
 * socket directory): the open is synchronous. O_DIRECTORY makes anything but a
 * directory (a FIFO) fail at once instead of blocking.
 */
export function bindablePath(path: string): { path: string; release: () => void } {
  if (Buffer.byteLength(path) <= MAX_UNIX_PATH) return { path, release: () => undefined };
  if (process.platform !== 'linux') {
    throw new FriendsError(
      ErrorCodes.SOCKET_DIR,
      `Unix socket path is ${Buffer.byteLength(path)} bytes, over the limit`,
    );
  }
  const fd = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  const short = `/proc/self/fd/${fd}/${basename(path)}`;
  let open = true;
  if (Buffer.byteLength(short) > MAX_UNIX_PATH) {
    closeSync(fd);
    throw new FriendsError(ErrorCodes.SOCKET_DIR, `Unix socket name ${basename(path)} is too long`);
  }
  return {
    path: short,
    release: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Listens on `path` (any length), then sets the socket's mode. */
export async function listenUnix(server: Server, path: string, mode = 0o600): Promise<void> {
  const { path: short, release } = bindablePath(path);
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(short, () => {
        server.off('error', onError);
        resolve();
      });
    });
  } finally {
    release();
  }
  await chmod(path, mode);
}

export async function removeSocketFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
