import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as grpc from '@grpc/grpc-js';
import { lastValueFrom } from 'rxjs';
import type { Tier, TierMessage } from '@friends/core';
import { FriendsClient } from '@friends/nest';
import { friends } from '@friends/grpc';
import type { Product } from '@friends/catalog';
import type { Reservation, StockLevel } from '@friends/inventory';
import { Health, Pricing, type Quote, type ServingStatus } from '@friends/pricing';
import type { GatewayConfig } from './config.js';
import { Hops } from './hops.js';

type PricingClient = grpc.Client & {
  Quote(
    request: { sku: string; quantity: number },
    options: grpc.CallOptions,
    callback: grpc.requestCallback<Quote>,
  ): grpc.ClientUnaryCall;
  PriceList(request: { skus: string[] }, options: grpc.CallOptions): grpc.ClientReadableStream<Quote>;
};
type HealthClient = grpc.Client & {
  Check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: grpc.requestCallback<{ status: ServingStatus }>,
  ): grpc.ClientUnaryCall;
};

/**
 * The gateway's clients of its three services, each call timed into `hops`:
 * the catalog and inventory over the Nest transport, pricing over gRPC. The
 * code is what it would be with the stock transports, apart from the
 * `FriendsClient` class and `friends()` channel options.
 */
export class Downstream {
  readonly hops = new Hops();
  private readonly catalog: FriendsClient;
  private readonly inventory: FriendsClient;
  private readonly pricing: PricingClient;
  private readonly health: HealthClient;
  private pricingTier: Tier | undefined;
  private readonly onTier = (message: unknown): void => {
    const event = message as TierMessage;
    if (event.transport === 'grpc' && event.role === 'client' && event.target === this.config.pricing.target) {
      this.pricingTier = event.tier;
    }
  };

  constructor(private readonly config: GatewayConfig) {
    this.catalog = new FriendsClient({
      host: config.catalog.host,
      port: config.catalog.port,
      friends: config.catalog.friends,
      tracing: true,
    });
    this.inventory = new FriendsClient({
      host: config.inventory.host,
      port: config.inventory.port,
      friends: config.inventory.friends,
      tracing: true,
    });
    subscribe('friends:connection:tier', this.onTier);
    const options = friends({ friends: config.pricing.friends });
    const credentials = grpc.credentials.createInsecure();
    this.pricing = new Pricing(config.pricing.target, credentials, options) as unknown as PricingClient;
    this.health = new Health(config.pricing.target, credentials, options) as unknown as HealthClient;
    // Without friends the channel never publishes a tier: it is the standard wire.
    if (!config.pricing.friends) this.pricingTier = 'tcp';
  }

  listProducts(): Promise<Product[]> {
    return this.nest(this.catalog, 'catalog', () => lastValueFrom(this.catalog.send<Product[]>('catalog.list', {})));
  }

  getProduct(sku: string): Promise<Product> {
    return this.nest(this.catalog, 'catalog', () => lastValueFrom(this.catalog.send<Product>('catalog.get', { sku })));
  }

  stockLevels(skus: string[]): Promise<StockLevel[]> {
    return this.nest(this.inventory, 'inventory', () =>
      lastValueFrom(this.inventory.send<StockLevel[]>('inventory.levels', { skus })),
    );
  }

  reserve(sku: string, quantity: number): Promise<Reservation> {
    return this.nest(this.inventory, 'inventory', () =>
      lastValueFrom(this.inventory.send<Reservation>('inventory.reserve', { sku, quantity })),
    );
  }

  quote(sku: string, quantity: number): Promise<Quote> {
    return this.grpc(
      () =>
        new Promise<Quote>((resolve, reject) =>
          this.pricing.Quote({ sku, quantity }, { deadline: Date.now() + 5_000 }, (err, quote) =>
            err ? reject(err) : resolve(quote!),
          ),
        ),
    );
  }

  priceList(skus: string[]): Promise<Quote[]> {
    return this.grpc(async () => {
      const quotes: Quote[] = [];
      for await (const quote of this.pricing.PriceList({ skus }, { deadline: Date.now() + 5_000 })) {
        quotes.push(quote as Quote);
      }
      return quotes;
    });
  }

  pricingHealth(): Promise<ServingStatus> {
    return this.grpc(
      () =>
        new Promise<ServingStatus>((resolve, reject) =>
          this.health.Check({ service: '' }, { deadline: Date.now() + 2_000 }, (err, answer) =>
            err ? reject(err) : resolve(answer!.status),
          ),
        ),
    );
  }

  async close(): Promise<void> {
    unsubscribe('friends:connection:tier', this.onTier);
    this.pricing.close();
    this.health.close();
    await Promise.all([this.catalog.close(), this.inventory.close()]);
  }

  private nest<T>(client: FriendsClient, service: string, call: () => Promise<T>): Promise<T> {
    return this.hops.measure({ service, transport: 'nest' }, () => client.tier, call);
  }

  private grpc<T>(call: () => Promise<T>): Promise<T> {
    return this.hops.measure({ service: 'pricing', transport: 'grpc' }, () => this.pricingTier, call);
  }
}
