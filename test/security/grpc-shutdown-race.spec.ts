import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FriendsAcceptor, memoryCopies, stockJsonCodec } from '@friends/core/internal';
import { spawnReady } from '../support/child-process.js';

const RACE_PROCESS = fileURLToPath(new URL('../fixtures/dist/grpc/shutdown-race-process.js', import.meta.url));
const EXIT_WITHIN_MS = 3_000;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'friends-race-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Socket files anywhere under `root`. */
async function socketsUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true });
  return entries.filter((name) => name.endsWith('.sock'));
}

/**
 * A gRPC server shut down (tryShutdown or forceShutdown) while the first
 * Hello is being answered leaves nothing behind: no listening unix server, no
 * socket file, and its process exits by itself.
 */
describe('gRPC shutdown racing the first hello', () => {
  const moments = ['start:0', 'start:1', 'start:3', 'start:10', 'answer:0', 'answer:1', 'admit:0', 'admit:1'];
  const scenarios = ['try', 'force'].flatMap((mode) => moments.map((moment) => `${mode}:${moment}`));

  test(`after ${scenarios.length} racing shutdowns the process exits by itself and no socket file is left`, async () => {
    const { child, ready, stop } = await spawnReady<{ done: boolean; results: string[] }>(
      'race process',
      RACE_PROCESS,
      [dir, ...scenarios],
    );
    expect(ready.results).toEqual(scenarios.map((s) => expect.stringMatching(`^${s}: shut down, call status \\d+$`)));
    const exited = await new Promise<boolean>((resolve) => {
      if (child.exitCode !== null) return resolve(true);
      const timer = setTimeout(() => resolve(false), EXIT_WITHIN_MS);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    const left = await socketsUnder(dir);
    if (!exited) await stop().catch(() => undefined);
    expect({ exited, left }).toEqual({ exited: true, left: [] });
  });
});

/** The root of it: an acceptor closed while its start() is under way undoes that start. */
describe('FriendsAcceptor closed while starting', () => {
  test.each([0, 1, 2, 5, 20])('close() %i turns into start(): no listener, no socket file', async (turns) => {
    const acceptor = new FriendsAcceptor({
      protocol: 'race',
      memory: false,
      unix: true,
      socketDir: dir,
      socketPrefix: 'race',
      memoryCopy: memoryCopies.json,
      unixCodec: stockJsonCodec,
      onLink: (link) => link.destroy(),
    });
    const starting = acceptor.start();
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
    await acceptor.close();
    await starting;
    expect(acceptor.unixPath).toBeUndefined();
    expect(await socketsUnder(dir)).toEqual([]);
  });
});
