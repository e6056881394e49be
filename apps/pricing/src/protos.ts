import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO_DIR = fileURLToPath(new URL('../proto', import.meta.url));

const definition = loadSync(['pricing.proto', 'grpc/health/v1/health.proto'], {
  includeDirs: [PROTO_DIR],
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
});
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  mesh: { pricing: { v1: { Pricing: grpc.ServiceClientConstructor } } };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

/** The generated client constructors (and `.service` definitions) of the pricing and health services. */
export const Pricing = loaded.mesh.pricing.v1.Pricing;
export const Health = loaded.grpc.health.v1.Health;

export interface QuoteRequest {
  sku: string;
  quantity: number;
}

export interface Quote {
  sku: string;
  quantity: number;
  unitPrice: number;
  total: number;
  currency: string;
  discountPercent: number;
}

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
