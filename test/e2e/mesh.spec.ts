import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../apps/demo/dist/main.js', import.meta.url));
const START_TIMEOUT_MS = 60_000;
const AS_ROOT = process.getuid?.() === 0 && spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;

interface Mesh {
  child: ChildProcess;
  url: string;
  output: string[];
  socketDir: string;
  exited: Promise<number | null>;
}

/** `npm start` as a user runs it (the built entry point), with a socket directory of its own. */
async function startMesh(args: string[]): Promise<Mesh> {
  const runtime = mkdtempSync(join(tmpdir(), 'friends-mesh-test-'));
  const child = spawn(process.execPath, [MAIN, '--port=0', ...args], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtime, FRIENDS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mesh not up in time:\n${output.join('\n')}`)), START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const match = /gateway listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mesh exited (${code}) before it was up:\n${output.join('\n')}`));
    });
  });
  return { child, url, output, socketDir: join(runtime, 'friends'), exited };
}

/** A span as GET /traces lists it. */
interface SpanView {
  name: string;
  kind: string;
  service: string;
  attributes: Record<string, unknown>;
}

// Answers are checked field by field; their shape is the test's subject.
type Body = any; // eslint-disable-line @typescript-eslint/no-explicit-any

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Body }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

function post(url: string, body: unknown): Promise<{ status: number; body: Body }> {
  return json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** `friends_calls_total` of the gateway's client series, by transport and tier. */
async function clientCalls(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const calls = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^friends_calls_total\{(.*)\} (\d+)$/.exec(line);
    if (!match || !match[1]!.includes('role="client"')) continue;
    const transport = /transport="(\w+)"/.exec(match[1]!)![1];
    const tier = /tier="(\w+)"/.exec(match[1]!)![1];
    const key = `${transport}/${tier}`;
    calls.set(key, (calls.get(key) ?? 0) + Number(match[2]));
  }
  return calls;
}

/** Stops the mesh with Ctrl-C and checks that nothing of it is left. */
async function stopMesh(mesh: Mesh): Promise<void> {
  const pids = mesh.output.flatMap((line) => [...line.matchAll(/process (\d+)/g)].map((m) => Number(m[1])));
  mesh.child.kill('SIGINT');
  try {
    const code = await Promise.race([mesh.exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(readdirSync(mesh.socketDir).filter((f) => f.endsWith('.sock'))).toEqual([]);
    if (AS_ROOT) {
      const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      expect(namespaces).not.toContain(`friends-mesh-${mesh.child.pid}`);
    }
  } finally {
    // A mesh that did not stop in time is killed; its runtime directory goes either way.
    if (mesh.child.exitCode === null && mesh.child.signalCode === null) mesh.child.kill('SIGKILL');
    rmSync(join(mesh.socketDir, '..'), { recursive: true, force: true });
  }
}

describe('the sample mesh (npm start)', () => {
  if (!AS_ROOT) {
    test('note: not root or no `ip`: inventory runs as a plain process dialled with friends off', () => undefined);
  }

  test('its endpoints answer, each tier carries a hop, metrics move, traces show the tiers, nothing is left', async () => {
    const mesh = await startMesh([]);
    try {
      const index = await json(`${mesh.url}/`);
      expect(index.body.endpoints.map((e: { path: string }) => e.path)).toEqual(
        expect.arrayContaining(['/', '/health', '/metrics', '/products', '/orders']),
      );
      expect((await json(`${mesh.url}/health`)).body).toEqual({
        status: 'ok',
        services: { catalog: 'SERVING', pricing: 'SERVING', inventory: 'SERVING' },
      });
      const products = await json(`${mesh.url}/products`);
      expect(products.status).toBe(200);
      expect(products.body).toHaveLength(6);
      expect(products.body[0]).toEqual(
        expect.objectContaining({ sku: 'kb-01', unitPrice: 8900, currency: 'EUR', available: expect.any(Number) }),
      );
      const quote = await json(`${mesh.url}/products/kb-01/quote?quantity=12`);
      expect(quote.body.quote).toEqual(expect.objectContaining({ total: Math.round((8900 * 12 * 95) / 100) }));
      expect((await json(`${mesh.url}/products/zz-99/quote`)).status).toBe(404);

      const before = await clientCalls(mesh.url);
      const order = await post(`${mesh.url}/orders`, { sku: 'ms-02', quantity: 2 });
      expect(order.status).toBe(201);
      expect(order.body).toEqual(expect.objectContaining({ sku: 'ms-02', quantity: 2, total: 6900 }));
      expect((await post(`${mesh.url}/orders`, { sku: 'dk-12', quantity: 1 })).status).toBe(409);
      await json(`${mesh.url}/products`);
      const after = await clientCalls(mesh.url);
      for (const key of ['nest/memory', 'grpc/unix', 'nest/tcp']) {
        expect({ key, moved: (after.get(key) ?? 0) > (before.get(key) ?? 0) }).toEqual({ key, moved: true });
      }

      const hops = (await json(`${mesh.url}/hops`)).body as { service: string; tier: string }[];
      const tierOf = (service: string): string[] => hops.filter((h) => h.service === service).map((h) => h.tier);
      expect(tierOf('catalog')).toEqual(['memory']);
      expect(tierOf('pricing')).toEqual(['unix']);
      expect(tierOf('inventory')).toEqual(['tcp']);
      if (AS_ROOT) expect(mesh.output.join('\n')).toMatch(/inventory\s+host\s+network namespace/);

      // The order's trace: every hop's client and server span, each with the tier it went over.
      let orderTrace: { spans: SpanView[] } | undefined;
      for (let i = 0; i < 40 && !orderTrace; i++) {
        const traces = (await json(`${mesh.url}/traces?limit=50`)).body as { root: string; spans: SpanView[] }[];
        orderTrace = traces.find((t) => t.root === 'POST /orders' && t.spans.length >= 5);
        if (!orderTrace) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const hopsOf = orderTrace!.spans
        .filter((s) => s.kind !== 'SERVER' || s.service !== 'gateway')
        .map((s) => `${s.service} ${s.kind} ${s.name} ${s.attributes['friends.tier']}`)
        .sort();
      expect(hopsOf).toEqual(
        [
          'gateway CLIENT grpc.mesh.pricing.v1.Pricing/Quote unix',
          'pricing SERVER grpc.mesh.pricing.v1.Pricing/Quote unix',
          'gateway CLIENT inventory.reserve tcp',
          'inventory SERVER inventory.reserve tcp',
        ].sort(),
      );
    } finally {
      await stopMesh(mesh);
    }
  }, 120_000);

  test('placement is configuration: pricing in the gateway process (memory), the catalog in its own (unix)', async () => {
    const mesh = await startMesh(['--pricing=gateway', '--catalog=process', '--inventory=process']);
    try {
      await json(`${mesh.url}/products`);
      const hops = (await json(`${mesh.url}/hops`)).body as { service: string; tier: string }[];
      expect(Object.fromEntries(hops.map((h) => [h.service, h.tier]))).toEqual({
        catalog: 'unix',
        pricing: 'memory',
        inventory: 'unix',
      });
      let spans: SpanView[] = [];
      for (let i = 0; i < 40 && spans.length === 0; i++) {
        const traces = (await json(`${mesh.url}/traces`)).body as { root: string; spans: SpanView[] }[];
        spans = traces.find((t) => t.root === 'GET /products')?.spans ?? [];
      }
      const priceList = spans.filter((s) => s.name === 'grpc.mesh.pricing.v1.Pricing/PriceList');
      expect(priceList.map((s) => `${s.kind} ${s.attributes['friends.tier']}`).sort()).toEqual([
        'CLIENT memory',
        'SERVER memory',
      ]);
    } finally {
      await stopMesh(mesh);
    }
  }, 120_000);

  test('--once makes the tour, prints the table and exits 0', async () => {
    const runtime = mkdtempSync(join(tmpdir(), 'friends-mesh-test-'));
    try {
      const run = spawnSync(process.execPath, [MAIN, '--once', '--port=0'], {
        env: { ...process.env, XDG_RUNTIME_DIR: runtime },
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(run.status).toBe(0);
      for (const row of [
        /gateway → catalog.*Nest.*memory/,
        /gateway → pricing.*gRPC.*unix/,
        /gateway → inventory.*Nest.*tcp/,
      ]) {
        expect(run.stdout).toMatch(row);
      }
      expect(run.stdout).toMatch(/trace of POST \/orders/);
      expect(readdirSync(join(runtime, 'friends')).filter((f) => f.endsWith('.sock'))).toEqual([]);
    } finally {
      rmSync(runtime, { recursive: true, force: true });
    }
  }, 120_000);
});
