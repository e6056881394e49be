import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout, whose packages are packed. */
export const CHECKOUT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const APP_SOURCES = join(CHECKOUT, 'test/consumer/app');
const TSC = join(CHECKOUT, 'node_modules/typescript/bin/tsc');
const LIBS = ['core', 'nest', 'grpc'] as const;

/** How an application is written: Nest 11 apps are CommonJS, Nest 12 apps ES modules. */
export interface AppKind {
  nest: 11 | 12;
  format: 'commonjs' | 'module';
}

export const APPS: readonly AppKind[] = [
  { nest: 11, format: 'commonjs' },
  { nest: 12, format: 'module' },
];

/** grpc-js releases the smoke runs on: the oldest supported, and the newest of each minor. */
export const GRPC_JS: readonly string[] = ['1.10.0', '~1.10.0', '~1.11.0', '~1.12.0', '~1.13.0', '~1.14.0'];
/** A release friends does not support: it must step aside. */
export const UNSUPPORTED_GRPC_JS = '~1.9.0';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (asynchronously: a smoke run takes seconds, and jest's timers must keep running). */
export function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 240_000,
): Promise<CommandResult> {
  return new Promise((resolvePromise) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function ok(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0)
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}:\n${result.stderr}${result.stdout}`,
    );
  return result.stdout;
}

/**
 * Whether the matrix can run: npm's registry answers (host versions are
 * installed from it), and FRIENDS_MATRIX=off does not ask to skip it (a
 * developer's quicker loop; never under CI=true).
 */
export function registryReachable(): { ok: boolean; reason?: string } {
  if (/^(off|0|false|no)$/i.test(process.env.FRIENDS_MATRIX ?? '')) return { ok: false, reason: 'FRIENDS_MATRIX=off' };
  const probe = spawnSync('npm', ['view', '@grpc/grpc-js@1.10.0', 'version', '--prefer-online'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (probe.status === 0 && probe.stdout.trim() === '1.10.0') return { ok: true };
  return {
    ok: false,
    reason: `npm's registry cannot be reached (${(probe.stderr || probe.error?.message || '').trim().split('\n')[0]})`,
  };
}

/** Packs the three packages (their prepack builds them) into `dir`; returns the tarballs by package. */
export async function packLibraries(dir: string): Promise<Record<(typeof LIBS)[number], string>> {
  mkdirSync(dir, { recursive: true });
  const tarballs = {} as Record<(typeof LIBS)[number], string>;
  for (const lib of LIBS) {
    const out = await ok('npm', ['pack', '--pack-destination', dir, '--silent'], join(CHECKOUT, 'libs', lib));
    tarballs[lib] = join(dir, out.trim().split('\n').pop()!);
  }
  return tarballs;
}

/** What `npm pack --dry-run` would put in a package's tarball. */
export async function packedFiles(lib: (typeof LIBS)[number]): Promise<string[]> {
  const out = await ok('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], join(CHECKOUT, 'libs', lib));
  const [report] = JSON.parse(out) as { files: { path: string }[] }[];
  return report!.files.map((f) => f.path).sort();
}

/** A scratch application: its directory, and how to install into it and run its smoke. */
export interface App {
  kind: AppKind;
  dir: string;
  /** Installs this grpc-js (a spec); returns the version installed. */
  useGrpcJs(spec: string, options?: { outsidePeerRange?: boolean }): Promise<string>;
  /** Type-checks and compiles the application against what is installed. */
  compile(): Promise<void>;
  /** Runs the smoke scenario; resolves with its per-placement outcomes. */
  smoke(
    env?: NodeJS.ProcessEnv,
  ): Promise<{ code: number; outcomes: SmokeOutcome[]; openTelemetry?: boolean; output: string }>;
  installed(name: string): string;
}

export interface SmokeOutcome {
  transport: string;
  placement: string;
  expected: string;
  reported?: string;
  counted?: string;
  reason?: string;
  ok: boolean;
  error?: string;
}

/**
 * An application outside the workspace that installs the packed packages as
 * a user would: `npm install` of the tarballs with its Nest major, no
 * OpenTelemetry. Installs go through npm's cache (shared by every app).
 */
export async function makeApp(root: string, kind: AppKind, tarballs: Record<string, string>): Promise<App> {
  const dir = join(root, `nest${kind.nest}-${kind.format === 'module' ? 'esm' : 'cjs'}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(APP_SOURCES, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(APP_SOURCES, 'echo.proto'), join(dir, 'echo.proto'));
  const nest = `^${kind.nest}.0.0`;
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: `consumer-nest${kind.nest}`,
        private: true,
        type: kind.format,
        dependencies: {
          '@friends/core': `file:${tarballs.core}`,
          '@friends/nest': `file:${tarballs.nest}`,
          '@friends/grpc': `file:${tarballs.grpc}`,
          '@grpc/grpc-js': GRPC_JS[GRPC_JS.length - 1],
          '@grpc/proto-loader': '^0.8.0',
          '@nestjs/common': nest,
          '@nestjs/core': nest,
          '@nestjs/microservices': nest,
          'reflect-metadata': '^0.2.2',
          rxjs: '^7.8.1',
        },
      },
      null,
      2,
    )}\n`,
  );
  // As the application's own tsconfig would be: CommonJS apps resolve the classic way (node10).
  const compilerOptions =
    kind.format === 'module'
      ? { module: 'nodenext', moduleResolution: 'nodenext' }
      : { module: 'commonjs', moduleResolution: 'node10' };
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          ...compilerOptions,
          target: 'ES2022',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          esModuleInterop: true,
          // The packages' own declarations are checked too.
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(CHECKOUT, 'node_modules/@types')],
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
  );
  const npm = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
  await ok('npm', ['install', ...npm], dir);
  const installed = (name: string): string =>
    (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    kind,
    dir,
    installed,
    async useGrpcJs(spec, options = {}) {
      const flags = options.outsidePeerRange ? ['--legacy-peer-deps'] : [];
      await ok('npm', ['install', ...npm, ...flags, `@grpc/grpc-js@${spec}`], dir);
      return installed('@grpc/grpc-js');
    },
    async compile() {
      rmSync(join(dir, 'dist'), { recursive: true, force: true });
      await ok(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
    },
    async smoke(env = {}) {
      const result = await run(process.execPath, ['dist/main.js'], dir, env, 120_000);
      const outcomes: SmokeOutcome[] = [];
      let openTelemetry: boolean | undefined;
      for (const line of result.stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as SmokeOutcome & { openTelemetry?: boolean };
        if ('openTelemetry' in parsed) openTelemetry = parsed.openTelemetry;
        else outcomes.push(parsed);
      }
      return { code: result.code, outcomes, openTelemetry, output: result.stdout + result.stderr };
    },
  };
}

export function scratchRoot(): string {
  return mkdtempSync(join(tmpdir(), 'friends-consumer-'));
}

export function listApps(root: string): string[] {
  return readdirSync(root);
}
