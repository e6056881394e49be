import { startGateway, traceStore, type Gateway, type GatewayConfig } from '@friends/gateway';
import { loadConfig, SERVICES, type MeshConfig, type ServiceName } from './config.js';
import { OtherHost } from './other-host.js';
import { startChild, type ChildService } from './processes.js';
import { startService, type RunningService } from './services.js';
import { hopTable, tour, traceOf, traceTree } from './tour.js';
import { warmHops } from './warm-hops.js';

/**
 * `npm start`: the sample mesh. An HTTP gateway calls a catalog (Nest, in the
 * gateway's process by default: memory), pricing (gRPC, its own process: unix) and
 * inventory (Nest, another host: tcp). Starts everything, makes a tour of
 * calls, prints what went over which tier, and serves until Ctrl-C
 * (`--once`: exits after the tour). Nothing is left running or on disk.
 */
const once = process.argv.includes('--once');
const config = loadConfig(process.argv.slice(2), process.env);

interface Placed {
  address: { host: string; port: number };
  /** Whether the gateway dials it with friends on. */
  friends: boolean;
  note: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
const collect = (span: Parameters<typeof traceStore.add>[0]): void => traceStore.add(span);
let gateway: Gateway | undefined;

async function place(name: ServiceName, mesh: MeshConfig): Promise<Placed> {
  const placement = mesh[name].placement;
  if (placement === 'gateway') {
    const service: RunningService = await startService(name, '127.0.0.1');
    cleanups.push(() => service.stop());
    return { address: { host: '127.0.0.1', port: service.port }, friends: true, note: "in the gateway's process" };
  }
  if (placement === 'process') {
    const child: ChildService = await startChild(name, '127.0.0.1', collect);
    cleanups.push(() => child.stop());
    return { address: { host: '127.0.0.1', port: child.port }, friends: true, note: `process ${child.child.pid}` };
  }
  const why = OtherHost.unavailable();
  if (why) {
    const child = await startChild(name, '127.0.0.1', collect);
    cleanups.push(() => child.stop());
    return {
      address: { host: '127.0.0.1', port: child.port },
      friends: false,
      note: `process ${child.child.pid}, dialled with friends off (no network namespace: ${why})`,
    };
  }
  const host = OtherHost.create();
  cleanups.push(() => host.close());
  const child = await startChild(name, host.address, collect, (argv) => host.command(argv));
  cleanups.push(() => child.stop());
  return {
    address: { host: host.address, port: child.port },
    friends: true,
    note: `network namespace ${host.namespace} (${host.address}, another kernel id)`,
  };
}

async function start(): Promise<void> {
  const placed = {} as Record<ServiceName, Placed>;
  for (const name of SERVICES) {
    placed[name] = await place(name, config);
    console.log(`${name.padEnd(9)} ${config[name].placement.padEnd(7)} ${placed[name].note}`);
  }
  const gatewayConfig: GatewayConfig = {
    httpHost: config.gateway.host,
    httpPort: config.gateway.port,
    catalog: { ...placed.catalog.address, friends: placed.catalog.friends },
    pricing: {
      target: `${placed.pricing.address.host}:${placed.pricing.address.port}`,
      friends: placed.pricing.friends,
    },
    inventory: { ...placed.inventory.address, friends: placed.inventory.friends },
  };
  gateway = await startGateway(gatewayConfig);
  cleanups.push(() => gateway!.close());
}

const HOP_NOTES = [
  'p50 µs traced: each hop as the gateway timed it while serving the tour over HTTP, 100 calls after 100 warm-up',
  '  ones, with every span recorded and exported on both sides (MESH_TRACING=off: no tracing at all); calls mix',
  '  lookups and lists, and GET /products streams six quotes from pricing.',
  'p50 µs warm, unsampled: one call kind per hop (catalog.get, Pricing/Quote, inventory.levels) straight from',
  "  the gateway's clients, 500 after 500 warm-up ones, in a trace that is not sampled (spans made, none recorded).",
  "Both include the services' own work; `npm run bench` measures the tiers alone against the stock transports.",
];

let stopping: Promise<void> | undefined;
function stop(code: number): Promise<void> {
  stopping ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        console.error(err);
      }
    }
    process.exitCode = code;
  })();
  return stopping;
}

process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));

try {
  await start();
  const traced = await tour(gateway!);
  const warm = await warmHops(gateway!);
  console.table(hopTable(traced, warm));
  for (const line of HOP_NOTES) console.log(line);
  // The order's trace: the HTTP request, then a client and a server span per hop (pricing, inventory).
  const order = await traceOf('POST /orders', 5);
  console.log(`\ntrace of POST /orders (${order[0]?.traceId ?? 'not recorded'}):`);
  for (const line of traceTree(order)) console.log(`  ${line}`);
  console.log('');
  console.log(`gateway listening on ${gateway!.url}  (GET / lists the endpoints; GET /metrics for Prometheus)`);
  if (once) await stop(0);
  else console.log('serving until Ctrl-C');
} catch (err) {
  console.error(err);
  await stop(1);
}
