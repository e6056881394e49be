import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { lastValueFrom } from 'rxjs';
import { FriendsClient } from '@friends/nest';
import { startTestServer } from '../fixtures/src/app.js';
import { freePort } from '../support/ports.js';
import { NEST_MAJOR } from '../support/nest-major.js';
import { openTarget, type TargetName } from '../support/targets.js';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});

afterAll(() => {
  trace.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

/** Sends `metadata` (the server answers with the packet metadata it saw) inside a span of the caller's. */
async function callInSpan(client: Pick<FriendsClient, 'send'>): Promise<{ caller: string; seen: unknown }> {
  const tracer = trace.getTracer('test');
  return tracer.startActiveSpan('caller', async (span) => {
    try {
      const seen = await lastValueFrom(client.send<unknown>('metadata', {}));
      return { caller: span.spanContext().spanId, seen };
    } finally {
      span.end();
    }
  });
}

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.name === name);
}

describe('Nest tracing: W3C trace context in packet metadata, a span per hop with its tier', () => {
  const cases: { name: TargetName; tier: string }[] = [
    { name: 'memory', tier: 'memory' },
    { name: 'unix', tier: 'unix' },
    { name: 'tcp', tier: 'tcp' },
    { name: 'friends client -> stock server', tier: 'tcp' },
  ];

  test.each(cases)('$name', async ({ name, tier }) => {
    const target = await openTarget(name, { tracing: true });
    try {
      exporter.reset();
      const { caller, seen } = await callInSpan(target.client);
      const [client] = spansNamed('metadata').filter((s) => s.kind === SpanKind.CLIENT);
      expect(client).toBeDefined();
      expect(client!.parentSpanContext?.spanId).toBe(caller);
      expect(client!.attributes['friends.tier']).toBe(tier);
      expect(client!.attributes['network.transport']).toBe(tier === 'memory' ? 'inproc' : tier);
      if (NEST_MAJOR >= 12) {
        // The server saw the trace context of the client span, whatever the tier and server.
        const traceparent = (seen as Record<string, string>).traceparent;
        expect(traceparent).toBe(`00-${client!.spanContext().traceId}-${client!.spanContext().spanId}-01`);
      } else {
        // A Nest 11 handler's context has no packet metadata, on the stock server as on ours.
        expect(seen ?? undefined).toBeUndefined();
      }
    } finally {
      await target.stop();
    }
  });

  test.each(['memory', 'tcp'] as const)(
    'a server with the option continues the trace in a span of its own (%s)',
    async (tier) => {
      const port = await freePort();
      const server = await startTestServer('friends', port, { tracing: true });
      const client = new FriendsClient({ host: '127.0.0.1', port, tracing: true, friends: tier === 'memory' });
      try {
        await client.tierDecision();
        exporter.reset();
        await callInSpan(client);
        const clientSpan = spansNamed('metadata').find((s) => s.kind === SpanKind.CLIENT)!;
        const serverSpan = spansNamed('metadata').find((s) => s.kind === SpanKind.SERVER)!;
        expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
        expect(serverSpan.spanContext().traceId).toBe(clientSpan.spanContext().traceId);
        expect(serverSpan.attributes['friends.tier']).toBe(tier);
        // An event: a PRODUCER span and its CONSUMER.
        exporter.reset();
        await lastValueFrom(client.emit('record', { who: 'tracing' }));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const kinds = spansNamed('record')
          .map((s) => s.kind)
          .sort();
        expect(kinds).toEqual([SpanKind.PRODUCER, SpanKind.CONSUMER].sort());
      } finally {
        await client.close();
        await server.app.close();
      }
    },
  );

  test('without the option the packet carries no trace context, as on the stock transport', async () => {
    const target = await openTarget('memory');
    try {
      const { seen } = await callInSpan(target.client);
      expect(seen ?? undefined).toBeUndefined();
      expect(spansNamed('metadata')).toEqual([]);
    } finally {
      await target.stop();
    }
  });
});
