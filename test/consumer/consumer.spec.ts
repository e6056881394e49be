import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  APPS,
  GRPC_JS,
  UNSUPPORTED_GRPC_JS,
  makeApp,
  packLibraries,
  packedFiles,
  registryReachable,
  scratchRoot,
  type App,
  type SmokeOutcome,
} from './matrix.js';

/**
 * The packages as users get them: packed, installed into applications
 * outside the workspace (a CommonJS Nest 11 app and an ESM Nest 12 app, no
 * OpenTelemetry), type-checked there, and run: Nest and gRPC in memory, over
 * unix to another process, and with stock peers both ways, on every supported
 * grpc-js minor (newest patch) and on 1.10.0; then on a grpc-js outside the
 * supported range, where friends must step aside with one warning.
 *
 * Needs npm's registry (host versions are installed from it, through npm's
 * cache): without it the suite is skipped with the reason; under CI=true it
 * fails. FRIENDS_MATRIX_REPORT=<file> writes the matrix as Markdown.
 */
const ON_CI = /^(1|true)$/i.test(process.env.CI ?? '');
const registry = registryReachable();
const describeMatrix = registry.ok || ON_CI ? describe : describe.skip;
if (!registry.ok && !ON_CI) process.stderr.write(`warning: consumer matrix: skipped: ${registry.reason}\n`);

interface Row {
  app: string;
  grpcJs: string;
  nest: string;
  install: string;
  smoke: string;
  tiers: string;
}
const rows: Row[] = [];

function tiersSeen(outcomes: SmokeOutcome[]): string {
  return outcomes
    .filter((o) => o.counted)
    .map((o) => `${o.transport} ${o.placement}: ${o.counted}`)
    .join('; ');
}

function failures(outcomes: SmokeOutcome[]): string[] {
  return outcomes.filter((o) => !o.ok).map((o) => `${o.transport} ${o.placement}: ${o.error}`);
}

describeMatrix(`consumer applications${registry.ok ? '' : ` (${registry.reason})`}`, () => {
  let root: string;
  let tarballs: Record<string, string>;

  beforeAll(async () => {
    if (!registry.ok) throw new Error(`${registry.reason}: under CI=true the consumer matrix must run`);
    root = scratchRoot();
    tarballs = await packLibraries(join(root, 'packs'));
  }, 180_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    const report = process.env.FRIENDS_MATRIX_REPORT;
    if (report)
      writeFileSync(
        report,
        [
          '| app | Nest | grpc-js | install | smoke | tiers seen (counted) |',
          '|---|---|---|---|---|---|',
          ...rows.map((r) => `| ${r.app} | ${r.nest} | ${r.grpcJs} | ${r.install} | ${r.smoke} | ${r.tiers} |`),
        ].join('\n') + '\n',
      );
  });

  test('each tarball holds what a user needs: the build with types, sources for its maps, README, LICENSE; no build info, no tests', async () => {
    for (const lib of ['core', 'nest', 'grpc'] as const) {
      const files = await packedFiles(lib);
      expect(files).toEqual(
        expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']),
      );
      expect(files.filter((f) => /tsbuildinfo|(^|\/)test\/|\.spec\./.test(f))).toEqual([]);
      for (const map of files.filter((f) => f.endsWith('.js.map'))) {
        const source = map.replace(/^dist\//, 'src/').replace(/\.js\.map$/, '.ts');
        expect(files).toContain(source);
      }
      expect(files.every((f) => /^(dist|src|proto)\/|^(package\.json|README\.md|LICENSE)$/.test(f))).toBe(true);
    }
  }, 120_000);

  describe.each(APPS)('Nest $nest ($format application)', (kind) => {
    let app: App;
    const label = `Nest ${kind.nest} ${kind.format === 'module' ? 'ESM' : 'CommonJS'}`;

    beforeAll(async () => {
      app = await makeApp(root, kind, tarballs);
    }, 240_000);

    test.each(GRPC_JS)(
      'grpc-js %s: installs without flags, type-checks, and every placement takes its tier',
      async (spec) => {
        const version = await app.useGrpcJs(spec);
        const row: Row = {
          app: label,
          nest: app.installed('@nestjs/microservices'),
          grpcJs: version,
          install: 'ok',
          smoke: 'failed',
          tiers: '',
        };
        rows.push(row);
        // The types are checked against the oldest and the newest grpc-js.
        if (spec === GRPC_JS[0] || spec === GRPC_JS[GRPC_JS.length - 1]) await app.compile();
        const result = await app.smoke();
        row.tiers = tiersSeen(result.outcomes);
        expect(failures(result.outcomes)).toEqual([]);
        expect(result.code).toBe(0);
        // Every placement reported, and @opentelemetry/api was not there to be loaded.
        expect(result.outcomes.length).toBeGreaterThanOrEqual(10);
        expect(result.openTelemetry).toBe(false);
        row.smoke = 'passed';
      },
      240_000,
    );

    test(`grpc-js ${UNSUPPORTED_GRPC_JS} (outside the range): gRPC steps aside to HTTP/2 with one warning; Nest is unaffected`, async () => {
      const version = await app.useGrpcJs(UNSUPPORTED_GRPC_JS, { outsidePeerRange: true });
      const row: Row = {
        app: label,
        nest: app.installed('@nestjs/microservices'),
        grpcJs: `${version} (unsupported)`,
        install: '--legacy-peer-deps',
        smoke: 'failed',
        tiers: '',
      };
      rows.push(row);
      const result = await app.smoke({ EXPECT_GRPC: 'unsupported' });
      row.tiers = tiersSeen(result.outcomes);
      expect(failures(result.outcomes)).toEqual([]);
      expect(result.code).toBe(0);
      row.smoke = 'passed: fell back';
      // Back to a supported release for whatever runs next.
      await app.useGrpcJs(GRPC_JS[GRPC_JS.length - 1]!);
    }, 240_000);
  });
});
