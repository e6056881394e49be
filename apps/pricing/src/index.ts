export { HealthService } from './health.js';
export { pricingHandlers, quote } from './pricing.js';
export { Health, Pricing, type Quote, type QuoteRequest, type ServingStatus } from './protos.js';
export { startPricing, type PricingServer } from './start.js';
