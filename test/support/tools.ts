import { spawnSync } from 'node:child_process';

/** A program from outside npm that a suite runs. */
export interface Tool {
  /** The Debian package that provides it, named in the skip reason. */
  package: string;
  command: string;
  /** Arguments that make `command` exit 0 when it is usable. */
  probe: string[];
}

const PROBE_TIMEOUT_MS = 10_000;
// .ci/run installs every tool, so there a missing one is a broken setup, not a reason to skip.
const ON_CI = /^(1|true)$/i.test(process.env.CI ?? '');

function installed(tool: Tool): boolean {
  const run = spawnSync(tool.command, tool.probe, { stdio: 'ignore', timeout: PROBE_TIMEOUT_MS });
  return run.error === undefined && run.status === 0;
}

/** What a suite needs besides its tools. */
export interface Needs {
  /** Runs as root (network namespaces, mounts). */
  root?: boolean;
}

/**
 * `describe(name, body)` when every tool is installed (and, with `needs.root`, the process is
 * root). Otherwise the suite is skipped with the reason in its name and a warning, so
 * `npm ci && npm test` passes on a machine with only Node; under CI=true it fails instead.
 */
export function describeWithTools(tools: readonly Tool[], name: string, body: () => void, needs: Needs = {}): void {
  const missing = tools.filter((tool) => !installed(tool)).map((tool) => tool.package);
  const reasons = missing.length > 0 ? [`${missing.join(', ')} not installed`] : [];
  if (needs.root && process.getuid?.() !== 0) reasons.push('not root');
  if (reasons.length === 0) {
    describe(name, body);
    return;
  }
  const reason = reasons.join('; ');
  if (ON_CI) {
    describe(name, () => {
      test(`requires ${[...missing, ...(needs.root ? ['root'] : [])].join(', ')}`, () => {
        throw new Error(`${reason}: under CI=true every tool must be present (.ci/run installs them, as root)`);
      });
    });
    return;
  }
  // Straight to stderr: Jest drops the console output of a test file whose every test is skipped.
  process.stderr.write(`warning: ${name}: skipped: ${reason}\n`);
  describe.skip(`${name} (skipped: ${reason})`, body);
}
