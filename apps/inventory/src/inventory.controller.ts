import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';

export interface StockLevel {
  sku: string;
  available: number;
}

export interface Reservation {
  reservation: string;
  sku: string;
  quantity: number;
  remaining: number;
}

const INITIAL_STOCK: Record<string, number> = {
  'kb-01': 40,
  'ms-02': 120,
  'mn-27': 12,
  'hs-05': 35,
  'cb-10': 500,
  'dk-12': 0,
};

/** Stock levels, and reservations against them. */
@Controller()
export class InventoryController {
  private readonly stock = new Map(Object.entries(INITIAL_STOCK));
  private reservations = 0;

  @MessagePattern('inventory.levels')
  levels(@Payload() request: { skus: string[] }): StockLevel[] {
    const skus = Array.isArray(request?.skus) ? request.skus : [];
    return skus.map((sku) => ({ sku, available: this.stock.get(String(sku)) ?? 0 }));
  }

  @MessagePattern('inventory.reserve')
  reserve(@Payload() request: { sku: string; quantity: number }): Reservation {
    const sku = String(request?.sku);
    const quantity = Number(request?.quantity);
    if (!Number.isInteger(quantity) || quantity < 1) {
      throw new RpcException({ status: 400, message: 'quantity must be a positive integer' });
    }
    const available = this.stock.get(sku);
    if (available === undefined) throw new RpcException({ status: 404, message: `no stock record for ${sku}` });
    if (available < quantity) {
      throw new RpcException({ status: 409, message: `only ${available} of ${sku} left` });
    }
    this.stock.set(sku, available - quantity);
    this.reservations++;
    return { reservation: `r-${this.reservations}`, sku, quantity, remaining: available - quantity };
  }
}
