import * as grpc from '@grpc/grpc-js';
import type { Quote, QuoteRequest } from './protos.js';

/** Unit prices in cents. */
const PRICES: Record<string, number> = {
  'kb-01': 8_900,
  'ms-02': 3_450,
  'mn-27': 32_900,
  'hs-05': 7_990,
  'cb-10': 1_290,
  'dk-12': 18_900,
};

const MAX_QUANTITY = 10_000;

function discountFor(quantity: number): number {
  if (quantity >= 50) return 10;
  if (quantity >= 10) return 5;
  return 0;
}

/** A quote, or the gRPC status that says why there is none. */
export function quote(sku: string, quantity: number): Quote | { code: grpc.status; details: string } {
  const unitPrice = PRICES[sku];
  if (unitPrice === undefined) return { code: grpc.status.NOT_FOUND, details: `no price for ${sku}` };
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) {
    return { code: grpc.status.INVALID_ARGUMENT, details: `quantity must be 1..${MAX_QUANTITY}` };
  }
  const discountPercent = discountFor(quantity);
  const total = Math.round((unitPrice * quantity * (100 - discountPercent)) / 100);
  return { sku, quantity, unitPrice, total, currency: 'EUR', discountPercent };
}

/** The Pricing service's handlers, as grpc-js takes them. */
export const pricingHandlers: grpc.UntypedServiceImplementation = {
  Quote(call: grpc.ServerUnaryCall<QuoteRequest, Quote>, callback: grpc.sendUnaryData<Quote>) {
    const result = quote(call.request.sku, call.request.quantity);
    if ('code' in result) callback(result);
    else callback(null, result);
  },
  PriceList(call: grpc.ServerWritableStream<{ skus: string[] }, Quote>) {
    for (const sku of call.request.skus) {
      const result = quote(sku, 1);
      if ('code' in result) {
        call.emit('error', result);
        return;
      }
      call.write(result);
    }
    call.end();
  },
};
