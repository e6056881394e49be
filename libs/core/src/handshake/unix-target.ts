import { constants } from 'node:fs';
import { lstat, open, statfs, type FileHandle } from 'node:fs/promises';
import { ErrorCodes, FriendsError } from '../errors.js';
import { MAX_UNIX_PATH } from '../socket-dir.js';

/** What `connect()` is given for a unix answer's path, and the fd that pins it until connected. */
export interface UnixTarget {
  /** `/proc/self/fd/<n>` on Linux (any path length, no second lookup), else the path itself. */
  connectPath: string;
  release(): void;
}

/** O_PATH (Linux): an fd naming the file without opening it, so a FIFO or device there is never opened. */
const O_PATH = 0o10000000;
const FUSE_SUPER_MAGIC = 0x65735546;
/**
 * File system calls on peer-named paths run in libuv's thread pool; a lookup
 * that never returns (a FUSE daemon that stalls) holds its thread. At most this
 * many run at once, so such paths can never take the whole pool.
 */
const MAX_LOOKUPS = 2;
let lookups = 0;
const waiting: (() => void)[] = [];

/**
 * Resolves the path a unix answer named, without blocking the event loop: every
 * file system call is asynchronous, and the client connects only to a socket.
 * On Linux the file is pinned with O_PATH|O_NOFOLLOW (a FIFO is not opened, a
 * symlink is not followed) and checked through that fd: a socket, not on FUSE
 * (whose daemon could stall the lookup `connect()` makes on the event loop);
 * `connect()` then goes through `/proc/self/fd/<n>` and reaches that very file.
 * Elsewhere: an lstat that says socket, and a path within the kernel's limit.
 * `isCancelled` is asked after each step: an attempt that timed out stops there.
 */
export async function openUnixTarget(path: string, isCancelled: () => boolean): Promise<UnixTarget> {
  await acquire();
  try {
    // A turn that comes after the attempt gave up is passed on at once.
    if (isCancelled()) throw cancelled(path);
    return process.platform === 'linux' ? await pin(path, isCancelled) : await check(path);
  } finally {
    release();
  }
}

async function pin(path: string, isCancelled: () => boolean): Promise<UnixTarget> {
  let handle: FileHandle | undefined = await open(path, O_PATH | constants.O_NOFOLLOW);
  try {
    const stat = await handle.stat();
    if (!stat.isSocket()) throw notSocket(path);
    const fs = await statfs(`/proc/self/fd/${handle.fd}`);
    if (fs.type === FUSE_SUPER_MAGIC)
      throw new FriendsError(ErrorCodes.BAD_SERVER_PROOF, `Unix answer names a socket on FUSE: ${path}`);
    if (isCancelled()) throw cancelled(path);
    const pinned = handle;
    handle = undefined;
    let held = true;
    return {
      connectPath: `/proc/self/fd/${pinned.fd}`,
      release: () => {
        if (held) void pinned.close().catch(() => undefined);
        held = false;
      },
    };
  } finally {
    void handle?.close().catch(() => undefined);
  }
}

async function check(path: string): Promise<UnixTarget> {
  if (Buffer.byteLength(path) > MAX_UNIX_PATH)
    throw new FriendsError(ErrorCodes.BAD_SERVER_PROOF, `Unix answer names a path over the kernel limit: ${path}`);
  if (!(await lstat(path)).isSocket()) throw notSocket(path);
  return { connectPath: path, release: () => undefined };
}

function notSocket(path: string): FriendsError {
  return new FriendsError(ErrorCodes.BAD_SERVER_PROOF, `Unix answer names something other than a socket: ${path}`);
}

function cancelled(path: string): FriendsError {
  return new FriendsError(ErrorCodes.HANDSHAKE_TIMEOUT, `Unix admission at ${path} timed out`);
}

function acquire(): Promise<void> {
  if (lookups < MAX_LOOKUPS) {
    lookups++;
    return Promise.resolve();
  }
  // The queue holds this process's own connection attempts, each bounded by its deadline (one that
  // timed out passes its turn on at once): a burst of connections waits its turn rather than falling back.
  return new Promise((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else lookups--;
}
