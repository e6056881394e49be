import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tool } from './tools.js';

/** What a lab needs besides root: ip for namespaces and veths, unshare and mount for a private socket directory. */
export const NETNS_TOOLS: Tool[] = [
  { package: 'iproute2', command: 'ip', probe: ['-V'] },
  { package: 'util-linux', command: 'unshare', probe: ['--version'] },
  { package: 'mount', command: 'mount', probe: ['--version'] },
];

/**
 * Every name a lab creates (namespaces, links, directories) is `fmh<pid>_<run><role>`: `pid` (base 36)
 * is the process that made it, so a later run can tell leftovers of a dead run from a live run's.
 */
const FAMILY = 'fmh';
const NAME = /^fmh([0-9a-z]{1,7})_[0-9a-z]{2}[a-z]?$/;
const IP_TIMEOUT_MS = 10_000;

/** One modelled host: a network namespace with one end of the veth pair. */
export interface LabHost {
  /** The namespace, and the name of its veth end. */
  ns: string;
  veth: string;
  /** Its address on the veth (198.18.0.0/15, reserved for benchmarking). */
  address: string;
}

export interface VethCounters {
  rxBytes: number;
  txBytes: number;
}

function ip(args: string[], check = true): string {
  const run = spawnSync('ip', args, { encoding: 'utf8', timeout: IP_TIMEOUT_MS });
  if (check && (run.error || run.status !== 0)) {
    throw new Error(`ip ${args.join(' ')} failed: ${run.error?.message ?? run.stderr.trim()}`);
  }
  return run.stdout ?? '';
}

function ownerAlive(name: string): boolean {
  const match = NAME.exec(name);
  if (!match) return true;
  try {
    process.kill(parseInt(match[1]!, 36), 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes what labs of dead processes left behind (a run that crashed or was
 * killed before its afterAll): their namespaces (and the processes still in
 * them), links and directories. A live run's are left alone. Returns the names removed.
 */
export function sweepLeftovers(): string[] {
  const removed: string[] = [];
  const namespaces = (JSON.parse(ip(['-j', 'netns', 'list']) || '[]') as { name: string }[]).map((n) => n.name);
  for (const ns of namespaces) {
    if (!ns.startsWith(FAMILY) || ownerAlive(ns)) continue;
    for (const pid of ip(['netns', 'pids', ns], false).split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    ip(['netns', 'del', ns], false);
    removed.push(ns);
  }
  const links = JSON.parse(ip(['-j', 'link', 'show']) || '[]') as { ifname: string }[];
  for (const { ifname } of links) {
    if (!ifname.startsWith(FAMILY) || ownerAlive(ifname)) continue;
    ip(['link', 'del', ifname], false);
    removed.push(ifname);
  }
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(FAMILY) || ownerAlive(name)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Two hosts on one machine: network namespaces `a` (198.18.0.1/24) and `b`
 * (198.18.0.2/24) joined by a veth pair, and a scratch directory. The veth
 * ends are created inside the namespaces, so deleting the namespaces removes
 * everything; `destroy()` does, and so does process exit if afterAll never ran.
 */
export class NetLab {
  readonly a: LabHost;
  readonly b: LabHost;
  /** Scratch directory of this run (socket directories live under it). */
  readonly dir: string;
  private destroyed = false;
  private readonly onExit = (): void => this.destroy();

  private constructor(readonly run: string) {
    this.a = { ns: `${run}a`, veth: `${run}a`, address: '198.18.0.1' };
    this.b = { ns: `${run}b`, veth: `${run}b`, address: '198.18.0.2' };
    this.dir = join(tmpdir(), run);
  }

  static create(): NetLab {
    sweepLeftovers();
    const run = (randomBytes(2).readUInt16BE(0) % 36 ** 2).toString(36).padStart(2, '0');
    const lab = new NetLab(`${FAMILY}${process.pid.toString(36)}_${run}`);
    process.once('exit', lab.onExit);
    try {
      mkdirSync(lab.dir, { mode: 0o700 });
      const { a, b } = lab;
      ip(['netns', 'add', a.ns]);
      ip(['netns', 'add', b.ns]);
      ip(['link', 'add', a.veth, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.veth, 'netns', b.ns]);
      for (const host of [a, b]) {
        ip(['-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', host.veth]);
        ip(['-n', host.ns, 'link', 'set', host.veth, 'up']);
        ip(['-n', host.ns, 'link', 'set', 'lo', 'up']);
      }
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  /**
   * The command prefix that runs a program on `host`. With `privateDir`, the
   * program also gets a mount namespace of its own with an empty tmpfs on that
   * directory: a socket directory no other host sees (the mount ends with the process).
   */
  wrapper(host: LabHost, privateDir?: string): string[] {
    const exec = ['ip', 'netns', 'exec', host.ns];
    if (!privateDir) return exec;
    mkdirSync(privateDir, { recursive: true, mode: 0o700 });
    return [
      ...exec,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount -t tmpfs -o size=4m,mode=0700 friends-lab "$0" && exec "$@"',
      privateDir,
    ];
  }

  /** Bytes through `host`'s veth end since it was created. */
  counters(host: LabHost): VethCounters {
    const [link] = JSON.parse(ip(['-n', host.ns, '-j', '-s', 'link', 'show', 'dev', host.veth])) as {
      stats64: { rx: { bytes: number }; tx: { bytes: number } };
    }[];
    return { rxBytes: link!.stats64.rx.bytes, txBytes: link!.stats64.tx.bytes };
  }

  /** Total bytes both ways through `host`'s veth end since `before`. */
  bytesSince(host: LabHost, before: VethCounters): number {
    const now = this.counters(host);
    return now.rxBytes - before.rxBytes + (now.txBytes - before.txBytes);
  }

  setLink(host: LabHost, up: boolean): void {
    ip(['-n', host.ns, 'link', 'set', host.veth, up ? 'up' : 'down']);
  }

  /** Deletes the namespaces (and with them the veth pair) and the scratch directory. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.off('exit', this.onExit);
    for (const host of [this.a, this.b]) ip(['netns', 'del', host.ns], false);
    // Normally gone with the namespaces; a pair whose move failed would be left here.
    ip(['link', 'del', this.a.veth], false);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Namespaces and links of this run that still exist (for the test that checks cleanup). */
  leftovers(): string[] {
    const namespaces = (JSON.parse(ip(['-j', 'netns', 'list']) || '[]') as { name: string }[]).map((n) => n.name);
    const links = (JSON.parse(ip(['-j', 'link', 'show']) || '[]') as { ifname: string }[]).map((l) => l.ifname);
    return [...namespaces, ...links].filter((name) => name.startsWith(this.run));
  }
}
