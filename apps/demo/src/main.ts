import type { SpanRecord } from '@friends/gateway';
import { startTracing } from './tracing.js';

// Tracing first, and nothing that loads @grpc/grpc-js before it: the gRPC
// instrumentation patches the module as it is required.
const early: SpanRecord[] = [];
let sink = (span: SpanRecord): void => void early.push(span);
startTracing('gateway', (span) => sink(span));
const { traceStore } = await import('@friends/gateway');
sink = (span) => traceStore.add(span);
for (const span of early.splice(0)) traceStore.add(span);
await import('./mesh.js');
