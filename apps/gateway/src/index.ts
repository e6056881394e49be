export type { GatewayConfig } from './config.js';
export { Downstream } from './downstream.js';
export { ENDPOINTS } from './gateway.controller.js';
export { Hops, type HopRow } from './hops.js';
export { startGateway, type Gateway } from './start.js';
export { TraceStore, traceStore, type SpanRecord } from './traces.js';
