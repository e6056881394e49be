import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A socket directory of one test's own: servers create it, the test checks it is left empty. */
export interface TestSocketDir {
  /** Where servers put their sockets (not created yet: a server creates it 0700). */
  readonly dir: string;
  /** Its parent, created for the test. */
  readonly base: string;
  /** Files left in `dir`. */
  leftovers(): Promise<string[]>;
  /** Removes everything. */
  remove(): Promise<void>;
}

export async function testSocketDir(): Promise<TestSocketDir> {
  const base = await mkdtemp(join(tmpdir(), 'friends-faults-'));
  const dir = join(base, 'sockets');
  return {
    dir,
    base,
    leftovers: () =>
      readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err))),
    remove: () => rm(base, { recursive: true, force: true }),
  };
}
