import { arch, cpus, platform, release, totalmem } from 'node:os';

/** What the numbers depend on, printed with them. */
export function machineInfo(): string[] {
  const cores = cpus();
  const models = [...new Set(cores.map((c) => c.model.trim()))].join(' / ') || 'unknown';
  return [
    `node ${process.version} (V8 ${process.versions.v8}), ${platform()} ${release()} ${arch()}`,
    `${cores.length} CPUs: ${models}; ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
  ];
}
