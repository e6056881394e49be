import type { Gateway } from '@friends/gateway';

const ROUNDS = 20;

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
 * A tour of the gateway's endpoints, as a client would make it, repeated a few
 * times so latencies mean something; then the table of the hops behind them.
 */
export async function tour(gateway: Gateway): Promise<Record<string, unknown>[]> {
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
  for (let round = 0; round < ROUNDS; round++) {
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
  return gateway.downstream.hops.rows().map((row) => ({
    'caller → service': `${row.caller} → ${row.service}`,
    transport: row.transport === 'grpc' ? 'gRPC' : 'Nest',
    tier: row.tier,
    calls: row.calls,
    errors: row.errors,
    'p50 µs': row.p50Us,
  }));
}
