import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { CHECKOUT } from '../consumer/matrix.js';

/**
 * Every workspace (library or application) declares each package its sources
 * import, statically, dynamically, through `require` or as an optional peer:
 * installed on its own (a packed library, an app deployed alone) it must not
 * rely on what the workspace's other members happen to hoist.
 */
interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const WORKSPACES = ['libs', 'apps'].flatMap((group) =>
  readdirSync(join(CHECKOUT, group)).map((name) => join(CHECKOUT, group, name)),
);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The package a specifier names (`@scope/name` or `name`), or undefined for relative and built-in ones. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

const IMPORT_FORMS = [
  /\bfrom\s+'([^']+)'/g,
  /\bimport\s+'([^']+)'/g,
  /\bimport\(\s*'([^']+)'\s*\)/g,
  /\brequire\(\s*'([^']+)'\s*\)/g,
  /\boptionalPeer(?:<[^>]*>)?\(\s*'([^']+)'\s*\)/g,
];

function imported(file: string): Set<string> {
  const text = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const form of IMPORT_FORMS)
    for (const match of text.matchAll(form)) {
      const name = packageOf(match[1]!);
      if (name) found.add(name);
    }
  return found;
}

test.each(WORKSPACES.map((dir) => [dir.slice(CHECKOUT.length + 1), dir]))(
  '%s declares every package it imports',
  (_name, dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
    const declared = new Set([
      manifest.name,
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const undeclared = new Set<string>();
    for (const file of sources(join(dir, 'src')))
      for (const name of imported(file)) if (!declared.has(name)) undeclared.add(name);
    expect([...undeclared].sort()).toEqual([]);
  },
);

test("the libraries declare no Nest, grpc-js or OpenTelemetry as a dependency of their own: those are the application's (peers)", () => {
  for (const lib of ['core', 'nest', 'grpc']) {
    const manifest = JSON.parse(readFileSync(join(CHECKOUT, 'libs', lib, 'package.json'), 'utf8')) as Manifest;
    const own = Object.keys(manifest.dependencies ?? {});
    expect(
      own.filter((name) => /^@nestjs\/|^@grpc\/grpc-js$|^@opentelemetry\/|^prom-client$|^rxjs$/.test(name)),
    ).toEqual([]);
  }
});
