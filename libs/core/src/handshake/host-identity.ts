import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

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

/** Proof that the sender runs on the kernel `identity`, bound to `nonce` (the client's, in its hello). */
export function kernelProof(identity: string, nonce: string): string {
  return createHmac('sha256', nonce).update(identity).digest('hex');
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
