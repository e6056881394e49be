import type * as OpenTelemetry from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { ErrorCodes, FriendsError, optionalPeer, tierAttributes, type Tier } from '@friends/core/internal';

/** A span, for the modules that hand one back to `endSpan()`. */
export type { Span };

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

type Carrier = Record<string, unknown>;

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

/** What a request's callback is given: a Nest WritePacket. */
type Answer = { err?: unknown; response?: unknown; isDisposed?: boolean };

/**
 * Starts a span for a request or event a client sends and puts its trace
 * context in the packet's metadata. Returns the callback wrapped to end the
 * span with the last answer, and a function that ends it early (an event once
 * sent, a caller that unsubscribed).
 */
export function traceRequest<A extends Answer>(
  pattern: string,
  packet: Record<string, unknown>,
  tier: Tier,
  target: { host: string; port: number },
  event: boolean,
  callback: (answer: A) => void = () => undefined,
): [(answer: A) => void, () => void] {
  const { span, metadata } = startClientSpan(pattern, tier, target, event, packet.metadata);
  packet.metadata = metadata;
  let ended = false;
  const end = (err?: unknown): void => {
    if (ended) return;
    ended = true;
    endSpan(span, err);
  };
  return [
    (answer) => {
      if (answer.isDisposed || answer.err !== undefined) end(answer.err ?? undefined);
      callback(answer);
    },
    () => end(),
  ];
}

/** The active OpenTelemetry context, to carry into work that runs later. */
export function activeContext(): Context {
  return requireTracing().context.active();
}

/** Runs `fn` with `ctx` as the active OpenTelemetry context. */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return requireTracing().context.with(ctx, fn);
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
