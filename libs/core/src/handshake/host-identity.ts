import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ErrorCodes, FriendsError } from '../errors.js';

let cached: string | null | undefined;

/**
 * An identifier of the running kernel: Linux's boot id, shared by every process
 * and container on this kernel and new at every boot. It never leaves the
 * process; only HMACs keyed by a fresh nonce do. `null` where there is none (the
 * unix tier is then off unless an identity is configured).
 */
export function kernelIdentity(): string | null {
  if (cached !== undefined) return cached;
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    cached = id.length > 0 ? id : null;
  } catch {
    cached = null;
  }
  return cached;
}

/**
 * The identity in force: a configured one (a non-empty string, or `null` for
 * none), else the boot id. A configured value that is neither is a coded error.
 */
export function resolveKernelIdentity(configured: string | null | undefined): string | null {
  if (configured === undefined) return kernelIdentity();
  if (configured !== null && (typeof configured !== 'string' || configured.length === 0)) {
    throw new FriendsError(ErrorCodes.INVALID_OPTION, 'kernelIdentity must be a non-empty string');
  }
  return configured;
}

/**
 * Proof that the sender runs on the kernel `identity`, bound to `nonce` and to
 * `clientEnd` (the client's address and port on the connection the hello
 * travels, see binding.ts; empty off TCP): a hello that someone the client
 * dialled replays on a connection of its own proves nothing there.
 */
export function kernelProof(identity: string, nonce: string, clientEnd = ''): string {
  return createHmac('sha256', nonce).update(`${clientEnd}\n${identity}`).digest('hex');
}

/**
 * The server's proof in a `unix` answer: that it runs on the kernel `identity`
 * too, bound to the client's `nonce` and to the path and ticket it hands out (a
 * relay cannot swap either). Its label keeps it apart from the client's proof,
 * which the server has seen: echoing that back proves nothing.
 */
export function unixAnswerProof(identity: string, nonce: string, path: string, ticket: string): string {
  return createHmac('sha256', nonce).update(`friends unix answer v1\0${identity}\0${path}\0${ticket}`).digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
