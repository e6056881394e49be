import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout: the tree a child process runs from (its build and node_modules). */
const CHECKOUT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

let mirror: { base: string; checkout: string } | undefined;

/** Whether `uid` can read `file` (checked as that uid, through setpriv). */
function readableBy(uid: number, file: string): boolean {
  const run = spawnSync(
    'setpriv',
    [
      `--reuid=${uid}`,
      `--regid=${uid}`,
      '--clear-groups',
      process.execPath,
      '-e',
      'require("node:fs").accessSync(process.argv[1], require("node:fs").constants.R_OK)',
      file,
    ],
    { stdio: 'ignore', cwd: '/', timeout: 10_000 },
  );
  return run.status === 0;
}

/**
 * A copy of the checkout in a directory anyone may enter: hard links where the
 * file system allows (instant, no space), else a copy made readable to all.
 * Removed by `removeCheckoutMirror()`.
 */
function makeMirror(): { base: string; checkout: string } {
  const base = mkdtempSync(join(tmpdir(), 'friends-checkout-'));
  chmodSync(base, 0o755);
  const target = join(base, 'checkout');
  const linked = spawnSync('cp', ['-al', CHECKOUT, target], { stdio: 'ignore' });
  if (linked.status !== 0) {
    rmSync(target, { recursive: true, force: true });
    const copied = spawnSync('cp', ['-r', CHECKOUT, target], { stdio: 'ignore' });
    if (copied.status !== 0) throw new Error(`could not copy the checkout to ${target}`);
    spawnSync('chmod', ['-R', 'a+rX', target], { stdio: 'ignore' });
  }
  return { base, checkout: target };
}

/**
 * Where a child process running as `uid` can load `entry` (a file of this
 * checkout) from. A checkout in a directory only its owner can read (a home
 * directory, `mktemp -d`) is out of another uid's reach: the child then runs
 * from a mirror of the checkout that it can read. Throws when not even a
 * mirror is readable to it (files that are not the checkout's own to change).
 */
export function entryReadableBy(uid: number, entry: string): string {
  if (readableBy(uid, entry)) return entry;
  mirror ??= makeMirror();
  const mirrored = join(mirror.checkout, relative(CHECKOUT, entry));
  if (!readableBy(uid, mirrored)) {
    // Hard links share the original's mode: an owner-only file needs a real copy.
    const copy = mirror.checkout;
    rmSync(copy, { recursive: true, force: true });
    const copied = spawnSync('cp', ['-r', CHECKOUT, copy], { stdio: 'ignore' });
    spawnSync('chmod', ['-R', 'a+rX', copy], { stdio: 'ignore' });
    if (copied.status !== 0 || !readableBy(uid, mirrored))
      throw new Error(`uid ${uid} cannot read ${entry}, nor a copy of the checkout in ${copy}`);
  }
  return mirrored;
}

/** Removes the mirror `entryReadableBy` made, if any (call it once the children it served are gone). */
export function removeCheckoutMirror(): void {
  if (mirror) rmSync(mirror.base, { recursive: true, force: true });
  mirror = undefined;
}
