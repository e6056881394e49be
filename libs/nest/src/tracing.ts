import type * as OpenTelemetry from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { ErrorCodes, FriendsError, optionalPeer, tierAttributes, type Tier } from '@friends/core/internal';

type Carrier = Record<string, unknown>;

let api: typeof OpenTelemetry | undefined;

/**
 * `@opentelemetry/api`, for `tracing: true` (an optional peer: loaded when a
 * client or server with tracing is made, never otherwise). Throws a coded
 * error when it is not installed.
 */
export function requireTracing(): typeof OpenTelemetry {
  api ??= optionalPeer<typeof OpenTelemetry>('@opentelemetry/api');
  if (!api)
    throw new FriendsError(
      ErrorCodes.MISSING_PEER,
      '`tracing: true` needs @opentelemetry/api: install it next to @friends/nest',
    );
  return api;
}

/** The caller's context, to send a packet in later (tracing on). */
export function activeContext(): Context {
  return requireTracing().context.active();
}

/** Runs `fn` in `context`. */
export function withContext<T>(context: Context, fn: () => T): T {
  return requireTracing().context.with(context, fn);
}

/**
 * A span for one request or event a client sends, and the packet metadata
 * that carries its W3C trace context (`traceparent`, `tracestate`) to the
 * server, on every tier. The user's own metadata is kept.
 */
export function startClientSpan(
  pattern: string,
  tier: Tier,
  target: { host: string; port: number },
  event: boolean,
  metadata: unknown,
): { span: Span; metadata: Carrier } {
  const { context, propagation, trace, SpanKind } = requireTracing();
  const span = trace.getTracer('@friends/nest').startSpan(pattern, {
    kind: event ? SpanKind.PRODUCER : SpanKind.CLIENT,
    attributes: {
      'rpc.system': 'nestjs',
      'rpc.method': pattern,
      'server.address': target.host,
      'server.port': target.port,
      ...tierAttributes(tier),
    },
  });
  const carrier: Carrier = metadata && typeof metadata === 'object' ? { ...(metadata as Carrier) } : {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return { span, metadata: carrier };
}

/**
 * The server's span for a packet: a child of the trace context its metadata
 * carries, if any. Handlers run in the returned context, so their own calls
 * continue the trace.
 */
export function startServerSpan(
  pattern: string,
  tier: Tier,
  event: boolean,
  metadata: unknown,
): { span: Span; context: Context } {
  const { propagation, trace, ROOT_CONTEXT, SpanKind } = requireTracing();
  const parent =
    metadata && typeof metadata === 'object'
      ? propagation.extract(ROOT_CONTEXT, metadata, {
          keys: (carrier) => Object.keys(carrier as Carrier),
          get: (carrier, key) => {
            const value = (carrier as Carrier)[key];
            return typeof value === 'string' ? value : undefined;
          },
        })
      : ROOT_CONTEXT;
  const span = trace.getTracer('@friends/nest').startSpan(
    pattern,
    {
      kind: event ? SpanKind.CONSUMER : SpanKind.SERVER,
      attributes: { 'rpc.system': 'nestjs', 'rpc.method': pattern, ...tierAttributes(tier) },
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends a span, as failed when `err` is set. */
export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) {
    span.setStatus({ code: requireTracing().SpanStatusCode.ERROR, message: describe(err) });
  }
  span.end();
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) return String((err as { message: unknown }).message);
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}
