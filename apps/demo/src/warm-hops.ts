import { randomBytes } from 'node:crypto';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import type { Gateway, HopRow } from '@friends/gateway';

const WARM_UP_CALLS = 500;
const MEASURED_CALLS = 500;

/**
 * Runs `call` inside a trace that is not sampled: every side still creates
 * its spans and passes the trace context on (`traceparent` flags 00), but
 * none is recorded or exported, as with tracing sampled out in production.
 */
function unsampled<T>(call: () => Promise<T>): Promise<T> {
  const parent = trace.setSpanContext(context.active(), {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    traceFlags: TraceFlags.NONE,
    isRemote: true,
  });
  return context.with(parent, call);
}

/**
 * Each hop once its code is warm and nothing is traced: one kind of call per
 * hop (a catalog lookup, a unary price quote, a stock level), made straight
 * from the gateway's clients (no HTTP in front), one at a time,
 * WARM_UP_CALLS unmeasured and then MEASURED_CALLS timed by the gateway's
 * own hop meter. The meter is cleared after, so `GET /hops` keeps showing
 * the traffic the gateway served.
 */
export async function warmHops(gateway: Gateway): Promise<HopRow[]> {
  const { downstream } = gateway;
  const calls: (() => Promise<unknown>)[] = [
    () => downstream.getProduct('kb-01'),
    () => downstream.quote('kb-01', 12),
    () => downstream.stockLevels(['kb-01']),
  ];
  for (const call of calls) for (let i = 0; i < WARM_UP_CALLS; i++) await unsampled(call);
  downstream.hops.reset();
  for (const call of calls) for (let i = 0; i < MEASURED_CALLS; i++) await unsampled(call);
  const rows = downstream.hops.rows();
  downstream.hops.reset();
  return rows;
}
