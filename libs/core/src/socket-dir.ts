import { closeSync, constants, openSync } from 'node:fs';
import { lstat, mkdir, readdir, chmod, stat as statPath, unlink } from 'node:fs/promises';
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
 * The default socket directory, checked: `$XDG_RUNTIME_DIR/friends` only when
 * that runtime directory belongs to this user and `friends` in it is not
 * someone else's (a root process run with a user's environment must not leave
 * a root-owned directory there, which would lock that user out of the unix
 * tier until the runtime directory is cleared); otherwise `<tmpdir>/friends-<uid>`,
 * with a `notice` that says why, for the log.
 */
export async function chooseSocketDir(env: NodeJS.ProcessEnv = process.env): Promise<{ dir: string; notice?: string }> {
  const dir = defaultSocketDir(env);
  const uid = process.getuid?.();
  const xdg = env.XDG_RUNTIME_DIR;
  if (!xdg || uid === undefined) return { dir };
  const fallback = defaultSocketDir({});
  const runtime = await statPath(xdg).catch((err: NodeJS.ErrnoException) => err);
  if (runtime instanceof Error || !runtime.isDirectory() || runtime.uid !== uid) {
    const why =
      runtime instanceof Error
        ? `is unusable (${runtime.code ?? runtime.message})`
        : !runtime.isDirectory()
          ? 'is not a directory'
          : `belongs to uid ${runtime.uid}, not to this process (uid ${uid})`;
    return { dir: fallback, notice: `XDG_RUNTIME_DIR ${xdg} ${why}: unix sockets go to ${fallback} instead` };
  }
  const existing = await lstat(dir).catch(() => undefined);
  if (existing && (!existing.isDirectory() || existing.uid !== uid)) {
    const what = existing.isDirectory() ? `is owned by uid ${existing.uid}, not ${uid}` : 'is not a directory';
    return {
      dir: fallback,
      notice: `Socket directory ${dir} ${what} (left by another user's process?); remove it to use it again. Unix sockets go to ${fallback} meanwhile`,
    };
  }
  return { dir };
}

/** Name of a socket file this project creates; the stale-socket sweep touches no other. */
export function socketFileName(prefix: string, pid: number, id: string): string {
  return `${prefix}-${pid}-${id}.sock`;
}
const SOCKET_FILE_NAME = /^[a-z][a-z0-9]{0,15}-\d{1,10}-[0-9a-f]{16}\.sock$/;

/**
 * Makes sure `dir` is a safe place for our sockets. A directory this call
 * creates gets `mode` (default 0700). An existing one keeps its mode, whoever
 * made it (it may be shared: changing it would break its other users), and is
 * used only if it is a real directory owned by this user, or a root-owned one
 * with the sticky bit (like /tmp), and if nobody else may replace files in it:
 * write access beyond `mode` for group or others needs the sticky bit.
 */
export async function prepareSocketDir(dir: string, mode = 0o700): Promise<void> {
  try {
    const created = await mkdir(dir, { recursive: true, mode });
    const stat = await lstat(dir);
    if (!stat.isDirectory()) throw new Error('not a directory');
    const uid = process.getuid?.();
    const sticky = (stat.mode & 0o1000) !== 0;
    if (uid !== undefined && stat.uid !== uid && !(stat.uid === 0 && sticky)) {
      throw new Error(`owned by uid ${stat.uid}, not ${uid}`);
    }
    // The umask may have narrowed what mkdir gave: ours to set, as it is ours alone.
    if (created !== undefined && (stat.mode & 0o7777) !== mode) {
      await chmod(dir, mode);
      return;
    }
    const foreignWrite = stat.mode & 0o022 & ~mode;
    if (created === undefined && foreignWrite !== 0 && !sticky) {
      throw new Error(
        `mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')} lets other users replace its sockets (no sticky bit)`,
      );
    }
  } catch (cause) {
    if (cause instanceof FriendsError) throw cause;
    throw new FriendsError(ErrorCodes.SOCKET_DIR, `Socket directory ${dir} is unusable: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * Removes sockets in `dir` that this project's servers left behind when they
 * died without cleaning up: only files named as `socketFileName` makes them,
 * that are sockets, owned by this user, and that nobody listens on any more
 * (a socket that accepts a connection is live and is left alone). Returns the
 * number removed.
 */
export async function removeStaleSockets(dir: string, probeTimeoutMs = 500): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const uid = process.getuid?.();
  const results = await Promise.all(
    names
      .filter((name) => SOCKET_FILE_NAME.test(name))
      .map(async (name) => {
        const path = join(dir, name);
        const stat = await lstat(path).catch(() => undefined);
        if (!stat?.isSocket() || (uid !== undefined && stat.uid !== uid)) return false;
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
