import { Controller } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { PRODUCTS, type Product } from './products.js';

/** The catalog: what is sold, by SKU. */
@Controller()
export class CatalogController {
  @MessagePattern('catalog.list')
  list(): readonly Product[] {
    return PRODUCTS;
  }

  @MessagePattern('catalog.get')
  get(@Payload() request: { sku: string }): Product {
    const product = PRODUCTS.find((p) => p.sku === request?.sku);
    if (!product) throw new RpcException({ status: 404, message: `no product ${String(request?.sku)}` });
    return product;
  }
}
