import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'friends-mesh-';

/**
 * Another host on this machine: a network namespace joined to this one by a
 * veth pair, addressed from 198.19.0.0/16 (inside the 198.18.0.0/15 benchmark
 * range), whose processes also see a kernel boot id of their own — so to the
 * services it is a different machine, and connections to it take the tcp tier
 * for real. Needs root, `ip` (iproute2) and `unshare` (util-linux).
 */
export class OtherHost {
  readonly namespace: string;
  /** This side's address on the veth, and the other host's. */
  readonly localAddress: string;
  readonly address: string;
  private readonly hostVeth: string;
  private readonly scratch: string;
  private readonly bootIdFile: string;
  private closed = false;

  private constructor(id: number) {
    this.namespace = `${PREFIX}${id}`;
    this.hostVeth = `fmh${id}`;
    const third = (id >> 6) & 255;
    const fourth = (id & 63) << 2;
    this.localAddress = `198.19.${third}.${fourth + 1}`;
    this.address = `198.19.${third}.${fourth + 2}`;
    this.scratch = mkdtempSync(join(tmpdir(), PREFIX));
    this.bootIdFile = join(this.scratch, 'boot_id');
    writeFileSync(this.bootIdFile, `${randomUUID()}\n`);
  }

  /** Why no other host can be made here, or undefined when one can. */
  static unavailable(): string | undefined {
    if (process.getuid?.() !== 0) return 'not root';
    for (const [command, args] of [
      ['ip', ['-V']],
      ['unshare', ['--version']],
    ] as const) {
      const probe = spawnSync(command, args, { stdio: 'ignore' });
      if (probe.error || probe.status !== 0) return `${command} not installed`;
    }
    return undefined;
  }

  /** Removes namespaces left by runs that died without cleaning up (their process is gone). */
  static sweep(): void {
    const listed = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const line of (listed.stdout ?? '').split('\n')) {
      const name = line.split(' ')[0] ?? '';
      if (!name.startsWith(PREFIX)) continue;
      const pid = Number(name.slice(PREFIX.length));
      if (Number.isInteger(pid) && !alive(pid)) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    }
  }

  static create(): OtherHost {
    OtherHost.sweep();
    const host = new OtherHost(process.pid);
    try {
      host.setUp();
    } catch (err) {
      host.close();
      throw err;
    }
    return host;
  }

  /** The command line that runs `argv` on the other host. */
  command(argv: readonly string[]): string[] {
    return [
      'ip',
      'netns',
      'exec',
      this.namespace,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$0" /proc/sys/kernel/random/boot_id && exec "$@"',
      this.bootIdFile,
      ...argv,
    ];
  }

  /** Bytes the veth carried, both ways, as this side counts them. */
  bytes(): number {
    const read = (what: string): number =>
      Number(readFileSync(`/sys/class/net/${this.hostVeth}/statistics/${what}_bytes`, 'utf8'));
    return read('rx') + read('tx');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Deleting the namespace deletes its end of the veth, and with it ours.
    spawnSync('ip', ['netns', 'del', this.namespace], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', this.hostVeth], { stdio: 'ignore' });
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private setUp(): void {
    const peerVeth = `fmn${process.pid}`;
    const ip = (...args: string[]): void => {
      execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    };
    ip('netns', 'add', this.namespace);
    ip('link', 'add', this.hostVeth, 'type', 'veth', 'peer', 'name', peerVeth);
    ip('link', 'set', peerVeth, 'netns', this.namespace);
    ip('addr', 'add', `${this.localAddress}/30`, 'dev', this.hostVeth);
    ip('link', 'set', this.hostVeth, 'up');
    ip('-n', this.namespace, 'addr', 'add', `${this.address}/30`, 'dev', peerVeth);
    ip('-n', this.namespace, 'link', 'set', peerVeth, 'up');
    ip('-n', this.namespace, 'link', 'set', 'lo', 'up');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
