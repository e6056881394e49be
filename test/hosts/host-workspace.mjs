#!/usr/bin/env node
/**
 * A scratch copy of this checkout whose host packages (grpc-js, Nest) are
 * other supported versions, with this checkout's build copied in: the same
 * build, run against another host, as a user who installs the packages gets.
 *
 *   node test/hosts/host-workspace.mjs <dir> [--grpc-js=<spec>] [--nest=11|12|<11.x.y>]
 *   cd <dir> && node --experimental-vm-modules node_modules/jest/bin/jest.js test/parity/grpc
 *
 * The checkout must be built (`npm run build`). Installs go through npm's
 * cache (`--prefer-offline`), so a second workspace costs seconds.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHECKOUT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The host packages of each Nest major, at their newest release of that major. */
const NEST_PACKAGES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/microservices',
  '@nestjs/testing',
  '@nestjs/platform-express',
];

/**
 * `nest` is a major (each Nest package at its newest release of that major) or
 * an exact @nestjs/microservices version (the other packages at the newest of
 * its major): the microservices package is where the shapes friends relies on live.
 *
 * @param {{ grpcJs?: string, nest?: number | string }} hosts
 * @returns {Record<string, string>} package name → version spec
 */
export function hostVersions(hosts) {
  const versions = {};
  if (hosts.grpcJs) versions['@grpc/grpc-js'] = hosts.grpcJs;
  if (hosts.nest) {
    const major = String(hosts.nest).split('.')[0];
    for (const name of NEST_PACKAGES) versions[name] = `^${major}.0.0`;
    if (String(hosts.nest).includes('.')) versions['@nestjs/microservices'] = String(hosts.nest);
  }
  return versions;
}

function run(command, args, cwd, env = {}) {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status} in ${cwd}:\n${result.stderr || result.stdout}`,
    );
  return result.stdout;
}

/**
 * The checkout's files as git lists them (tracked, and untracked ones it does
 * not ignore); without git (a machine with only Node, an unpacked archive),
 * every file outside `node_modules`, dot folders and `dist`.
 */
function sourceFiles(root) {
  let listed;
  try {
    listed = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root).split('\0');
  } catch {
    listed = [];
    const walk = (dir) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else listed.push(relative(root, path));
      }
    };
    walk(root);
  }
  return listed.filter((file) => file && existsSync(join(root, file)));
}

/** Every `dist` folder of the checkout's build (libs, apps, test projects). */
function buildOutputs(root) {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.name === 'dist') found.push(relative(root, path));
      else walk(path);
    }
  };
  walk(root);
  return found;
}

/**
 * Makes `dir` a copy of the checkout (tracked and untracked, not ignored,
 * files, and the build), with `hosts` installed in place of the workspace's
 * host versions. Returns the versions npm installed.
 *
 * @param {string} dir
 * @param {{ grpcJs?: string, nest?: number | string }} hosts
 */
export function prepareHostWorkspace(dir, hosts) {
  if (!existsSync(join(CHECKOUT, 'libs/core/dist/index.js')))
    throw new Error('the checkout is not built: run `npm run build` first');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of [...sourceFiles(CHECKOUT), ...buildOutputs(CHECKOUT)]) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(CHECKOUT, file), join(dir, file), { recursive: true, verbatimSymlinks: true });
  }
  const versions = hostVersions(hosts);
  const manifestPath = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  for (const [name, spec] of Object.entries(versions)) {
    for (const field of ['dependencies', 'devDependencies']) if (manifest[field]?.[name]) manifest[field][name] = spec;
  }
  // Overrides reach the workspaces' own pins (apps depend on the hosts too).
  manifest.overrides = { ...(manifest.overrides ?? {}), ...versions };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
  const installed = {};
  for (const name of Object.keys(versions)) {
    installed[name] = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  }
  return installed;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, ...flags] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: host-workspace.mjs <dir> [--grpc-js=<spec>] [--nest=11|12|<11.x.y>]');
    process.exit(2);
  }
  const hosts = {};
  for (const flag of flags) {
    const [key, value] = flag.replace(/^--/, '').split('=');
    if (key === 'grpc-js') hosts.grpcJs = value;
    else if (key === 'nest') hosts.nest = value.includes('.') ? value : Number(value);
    else {
      console.error(`unknown flag ${flag}`);
      process.exit(2);
    }
  }
  console.log(JSON.stringify(prepareHostWorkspace(resolve(dir), hosts)));
}
