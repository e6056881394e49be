import type * as OpenTelemetry from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { Metadata } from '@grpc/grpc-js';
import { optionalPeer, tierAttributes, type Tier } from '@friends/core/internal';

/**
 * The active span, when `@opentelemetry/api` is installed (an optional peer:
 * without it no instrumentation can have made a span, and nothing is loaded).
 */
export function activeSpan(): Span | undefined {
  return optionalPeer<typeof OpenTelemetry>('@opentelemetry/api')?.trace.getActiveSpan();
}

/** Calls whose span waits to hear its tier, by span id; the oldest go first beyond this many. */
const MAX_WAITING = 4_096;
const waiting = new Map<string, Span>();

/**
 * Remembers the span that is active where a call is created: a gRPC
 * instrumentation's client span. Calls reach a transport later, often from
 * another async context (a call queued for a pick runs when the picker
 * changes), so the span is found again by the W3C `traceparent` the
 * instrumentation put in the call's metadata.
 */
export function rememberCallSpan(): void {
  const span = activeSpan();
  if (!span?.isRecording()) return;
  if (waiting.size >= MAX_WAITING) waiting.delete(waiting.keys().next().value!);
  waiting.set(span.spanContext().spanId, span);
}

/** Records on the call's span which tier carries it (first attempt only). */
export function markCallTier(metadata: Metadata, tier: Tier): void {
  if (waiting.size === 0) return;
  const parent = metadata.get('traceparent')[0];
  if (typeof parent !== 'string') return;
  const spanId = parent.split('-')[2];
  const span = spanId === undefined ? undefined : waiting.get(spanId);
  if (!span) return;
  waiting.delete(spanId!);
  span.setAttributes(tierAttributes(tier));
}
