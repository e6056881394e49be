import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { SpanRecord } from '@friends/gateway';

const ExportSuccess = 0;

function toRecord(span: ReadableSpan, service: string): SpanRecord {
  const toUs = ([s, ns]: [number, number]): number => s * 1e6 + Math.round(ns / 1e3);
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
    name: span.name,
    kind: SpanKind[span.kind],
    service,
    startUs: toUs(span.startTime),
    durationUs: toUs(span.duration),
    attributes: { ...span.attributes },
    ...(span.status.code === 2 ? { error: span.status.message ?? 'error' } : {}),
  };
}

/**
 * OpenTelemetry for one process of the mesh: the SDK with W3C trace context,
 * the standard gRPC instrumentation, and every finished span handed to `sink`.
 * Must run before anything loads @grpc/grpc-js: the instrumentation patches it
 * as it is required.
 */
export function startTracing(service: string, sink: (span: SpanRecord) => void): void {
  if (process.env.MESH_TRACING === 'off') return;
  const exporter: SpanExporter = {
    export(spans, done) {
      for (const span of spans) sink(toRecord(span, service));
      done({ code: ExportSuccess });
    },
    shutdown: () => Promise.resolve(),
  };
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  provider.register();
  registerInstrumentations({ instrumentations: [new GrpcInstrumentation()] });
  // ES modules import grpc-js without require(): load it through require() now, patched,
  // so the ES imports that follow get this same, instrumented module.
  createRequire(import.meta.url)('@grpc/grpc-js');
}
