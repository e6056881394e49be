import { Body, Controller, Get, Header, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { Downstream } from './downstream.js';
import { via } from './errors.js';
import { MetricsService } from './metrics.js';
import { traceStore } from './traces.js';

export const ENDPOINTS = [
  { method: 'GET', path: '/', description: 'this list' },
  { method: 'GET', path: '/health', description: 'the gateway and each service it depends on' },
  { method: 'GET', path: '/metrics', description: 'Prometheus metrics, with per-tier friends counters' },
  { method: 'GET', path: '/hops', description: 'calls, tier and p50 latency of each downstream hop' },
  {
    method: 'GET',
    path: '/traces',
    description: 'the latest traces: spans of every service, with the tier of each hop',
  },
  {
    method: 'GET',
    path: '/products',
    description: 'every product with unit price and stock (catalog, pricing, inventory)',
  },
  {
    method: 'GET',
    path: '/products/:sku/quote?quantity=N',
    description: 'a price quote for N items (catalog, pricing)',
  },
  {
    method: 'POST',
    path: '/orders',
    description: 'body {"sku","quantity"}: quote, then reserve stock (pricing, inventory)',
  },
] as const;

@Controller()
export class GatewayController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  @Get()
  index(): { service: string; endpoints: typeof ENDPOINTS } {
    return { service: 'gateway', endpoints: ENDPOINTS };
  }

  @Get('health')
  async health(): Promise<{ status: string; services: Record<string, string> }> {
    const settle = async (call: Promise<unknown>, ok: (value: unknown) => string): Promise<string> => {
      try {
        return ok(await call);
      } catch (err) {
        return `down: ${(err as Error).message}`;
      }
    };
    const [catalog, pricing, inventory] = await Promise.all([
      settle(this.downstream.listProducts(), () => 'SERVING'),
      settle(this.downstream.pricingHealth(), (status) => String(status)),
      settle(this.downstream.stockLevels([]), () => 'SERVING'),
    ]);
    const services = { catalog, pricing, inventory };
    return { status: Object.values(services).every((s) => s === 'SERVING') ? 'ok' : 'degraded', services };
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }

  @Get('hops')
  hops(): unknown {
    return this.downstream.hops.rows();
  }

  @Get('traces')
  traces(@Query('limit') limit?: string): unknown {
    return traceStore.recent(limit === undefined ? 20 : Math.min(Math.max(Number(limit) || 1, 1), 200));
  }

  @Get('products')
  async products(): Promise<unknown[]> {
    const products = await via('catalog', this.downstream.listProducts());
    const skus = products.map((p) => p.sku);
    const [prices, levels] = await Promise.all([
      via('pricing', this.downstream.priceList(skus)),
      via('inventory', this.downstream.stockLevels(skus)),
    ]);
    return products.map((product) => {
      const price = prices.find((q) => q.sku === product.sku);
      return {
        ...product,
        unitPrice: price?.unitPrice ?? null,
        currency: price?.currency ?? null,
        available: levels.find((l) => l.sku === product.sku)?.available ?? 0,
      };
    });
  }

  @Get('products/:sku/quote')
  async quote(@Param('sku') sku: string, @Query('quantity') quantity?: string): Promise<unknown> {
    const product = await via('catalog', this.downstream.getProduct(sku));
    const quote = await via('pricing', this.downstream.quote(sku, quantity === undefined ? 1 : Number(quantity)));
    return { product, quote };
  }

  @Post('orders')
  @HttpCode(201)
  async order(@Body() body: { sku?: unknown; quantity?: unknown }): Promise<unknown> {
    const sku = String(body?.sku ?? '');
    const quantity = Number(body?.quantity ?? 1);
    const quote = await via('pricing', this.downstream.quote(sku, quantity));
    const reservation = await via('inventory', this.downstream.reserve(sku, quantity));
    return { order: reservation.reservation, sku, quantity, total: quote.total, currency: quote.currency, reservation };
  }
}
