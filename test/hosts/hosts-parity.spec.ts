import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareHostWorkspace } from './host-workspace.mjs';
import { registryReachable, run } from '../consumer/matrix.js';

/**
 * The parity suites on the other end of the support matrix: this process runs
 * them on the workspace's hosts (Nest 12, the newest grpc-js); here they run
 * again, on the same build, in a copy of the checkout with Nest 11 and the
 * oldest supported grpc-js installed. Each suite compares every placement
 * with stock on those very versions.
 *
 * Needs npm's registry (or its cache) for the host versions: without it the
 * suite is skipped with the reason; under CI=true it fails.
 */
const HOSTS = { nest: 11, grpcJs: '1.10.0' } as const;
const ON_CI = /^(1|true)$/i.test(process.env.CI ?? '');
const registry = registryReachable();
const describeHosts = registry.ok || ON_CI ? describe : describe.skip;
if (!registry.ok && !ON_CI)
  process.stderr.write(`warning: parity on Nest 11 / grpc-js 1.10.0: skipped: ${registry.reason}\n`);

/** The lines of a jest run worth showing: failures and the totals. */
function summary(output: string): string {
  return output
    .split('\n')
    .filter((line) => /✕|●|Tests:|Test Suites:|FAIL/.test(line))
    .slice(0, 60)
    .join('\n');
}

describeHosts(`parity on Nest ${HOSTS.nest} and grpc-js ${HOSTS.grpcJs}`, () => {
  let dir: string | undefined;
  let installed: Record<string, string>;

  beforeAll(async () => {
    if (!registry.ok) throw new Error(`${registry.reason}: under CI=true the host matrix must run`);
    dir = join(await mkdtemp(join(tmpdir(), 'friends-hosts-')), 'checkout');
    installed = prepareHostWorkspace(dir, HOSTS);
  }, 240_000);

  afterAll(() => {
    if (dir) rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  test.each([
    ['the Nest parity suite', 'test/parity/nest'],
    ['the gRPC parity suite', 'test/parity/grpc'],
  ])(
    '%s passes in every placement',
    async (_name, path) => {
      expect(installed['@nestjs/microservices']).toMatch(/^11\./);
      expect(installed['@grpc/grpc-js']).toBe(HOSTS.grpcJs);
      const result = await run(
        process.execPath,
        ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--ci', '--maxWorkers=1', path],
        dir!,
        {},
        600_000,
      );
      if (result.code !== 0)
        throw new Error(`${path} on ${JSON.stringify(installed)}:\n${summary(result.stderr + result.stdout)}`);
      const tally = /^Tests:.*$/m.exec(result.stderr)?.[0] ?? '';
      expect(tally).toMatch(/\d+ passed/);
      expect(tally).not.toMatch(/failed/);
    },
    600_000,
  );
});
