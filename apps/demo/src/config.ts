import { readFileSync } from 'node:fs';

/**
 * Where a service runs:
 * - `gateway`: inside the gateway's process (a modular monolith): the memory tier;
 * - `process`: a process of its own on this machine: the unix tier;
 * - `host`: another host. As root, a network namespace joined by a veth pair
 *   (198.18.0.0/15 addresses) whose processes see another kernel: the tcp tier,
 *   for real. Otherwise a process of its own that the gateway dials with
 *   friends off, which gives the tcp tier too.
 */
export type Placement = 'gateway' | 'process' | 'host';

export const SERVICES = ['catalog', 'pricing', 'inventory'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface MeshConfig {
  gateway: { host: string; port: number };
  catalog: { placement: Placement };
  pricing: { placement: Placement };
  inventory: { placement: Placement };
}

const PLACEMENTS: readonly Placement[] = ['gateway', 'process', 'host'];

function placement(value: unknown, where: string): Placement {
  if (PLACEMENTS.includes(value as Placement)) return value as Placement;
  throw new Error(`${where}: placement must be one of ${PLACEMENTS.join(', ')}, got ${JSON.stringify(value)}`);
}

/**
 * The mesh's configuration: `mesh.json` beside this app (or `--config FILE`),
 * then `MESH_<SERVICE>=<placement>` and `MESH_PORT` from the environment, then
 * `--<service>=<placement>` and `--port=N` on the command line.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): MeshConfig {
  const configFlag = argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
  const file = configFlag ?? new URL('../mesh.json', import.meta.url);
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<MeshConfig>;
  const config: MeshConfig = {
    gateway: { host: raw.gateway?.host ?? '127.0.0.1', port: raw.gateway?.port ?? 3000 },
    catalog: { placement: placement(raw.catalog?.placement ?? 'gateway', 'catalog') },
    pricing: { placement: placement(raw.pricing?.placement ?? 'process', 'pricing') },
    inventory: { placement: placement(raw.inventory?.placement ?? 'host', 'inventory') },
  };
  for (const service of SERVICES) {
    const fromEnv = env[`MESH_${service.toUpperCase()}`];
    if (fromEnv) config[service].placement = placement(fromEnv, `MESH_${service.toUpperCase()}`);
    const flag = argv.find((a) => a.startsWith(`--${service}=`));
    if (flag) config[service].placement = placement(flag.slice(service.length + 3), `--${service}`);
  }
  const port = argv.find((a) => a.startsWith('--port='))?.slice('--port='.length) ?? env.MESH_PORT;
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`port must be 0..65535, got ${port}`);
    config.gateway.port = n;
  }
  return config;
}
