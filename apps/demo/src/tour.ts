import { traceStore, type Gateway, type HopRow, type SpanRecord } from '@friends/gateway';

/** Rounds before measuring: until the code paths are compiled, a call costs many times what it costs after. */
const WARM_UP_ROUNDS = 50;
const ROUNDS = 50;

async function call(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (the metrics page): kept as text.
  }
  return { status: response.status, body };
}

/** The tour's checks: what each endpoint must answer. */
function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(`tour: ${what}`);
}

/**
 * A tour of the gateway's endpoints, as a client would make it: a warm-up, then
 * the measured rounds; returns the hops behind them. Latencies are what the
 * gateway sees of each hop while it serves HTTP with every call traced (a gRPC
 * hop includes grpc-js's own client work; `GET /products` streams six quotes).
 */
export async function tour(gateway: Gateway): Promise<HopRow[]> {
  const base = gateway.url;
  const index = await call(`${base}/`);
  expect(
    index.status === 200 && Array.isArray((index.body as { endpoints?: unknown }).endpoints),
    'GET / lists endpoints',
  );
  const health = await call(`${base}/health`);
  expect(
    health.status === 200 && (health.body as { status?: string }).status === 'ok',
    `GET /health is ok: ${JSON.stringify(health.body)}`,
  );
  for (let round = 0; round < WARM_UP_ROUNDS + ROUNDS; round++) {
    if (round === WARM_UP_ROUNDS) gateway.downstream.hops.reset();
    const products = await call(`${base}/products`);
    expect(products.status === 200 && Array.isArray(products.body), 'GET /products lists products');
    const quote = await call(`${base}/products/kb-01/quote?quantity=12`);
    expect(quote.status === 200, `GET /products/kb-01/quote: ${quote.status}`);
  }
  const order = await call(`${base}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'ms-02', quantity: 2 }),
  });
  expect(order.status === 201, `POST /orders: ${order.status} ${JSON.stringify(order.body)}`);
  const soldOut = await call(`${base}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sku: 'dk-12', quantity: 1 }),
  });
  expect(soldOut.status === 409, `POST /orders of a sold-out item is 409: ${soldOut.status}`);
  return gateway.downstream.hops.rows();
}

/** The hop table: each hop as the tour saw it (traced), and warm and unsampled (see warm-hops.ts). */
export function hopTable(traced: readonly HopRow[], warm: readonly HopRow[]): Record<string, unknown>[] {
  const same = (a: HopRow, b: HopRow): boolean =>
    a.service === b.service && a.transport === b.transport && a.tier === b.tier;
  return traced.map((row) => ({
    'caller → service': `${row.caller} → ${row.service}`,
    transport: row.transport === 'grpc' ? 'gRPC' : 'Nest',
    tier: row.tier,
    calls: row.calls,
    errors: row.errors,
    'p50 µs traced': row.p50Us,
    'p50 µs warm, unsampled': warm.find((w) => same(w, row))?.p50Us ?? '–',
  }));
}

/** Spans of one trace as an indented tree: name, kind, service, tier. */
export function traceTree(spans: readonly SpanRecord[]): string[] {
  const children = new Map<string | undefined, SpanRecord[]>();
  const ids = new Set(spans.map((s) => s.spanId));
  for (const span of spans) {
    const parent = span.parentSpanId !== undefined && ids.has(span.parentSpanId) ? span.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const span of children.get(parent) ?? []) {
      const tier = span.attributes['friends.tier'];
      const label = `${'  '.repeat(depth)}${span.name}`;
      lines.push(
        `${label.padEnd(44)} ${span.kind.padEnd(8)} ${span.service.padEnd(9)} ${tier === undefined ? '' : `tier ${String(tier)}`}`.trimEnd(),
      );
      walk(span.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

/** The trace of the latest request whose root span is `root`, once its services' spans have arrived. */
export async function traceOf(root: string, expectedSpans: number, waitMs = 2_000): Promise<SpanRecord[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = traceStore.recent(50).find((t) => t.root === root);
    if ((found && found.spans.length >= expectedSpans) || Date.now() >= deadline) return found?.spans ?? [];
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
