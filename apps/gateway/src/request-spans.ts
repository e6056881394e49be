import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * Express middleware: a SERVER span for each HTTP request, active while the
 * request is handled, so the gateway's calls to its services belong to the
 * request's trace. (An HTTP instrumentation would do the same.)
 */
export function requestSpans(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const path = (req.url ?? '/').split('?')[0]!;
  const span = trace
    .getTracer('@friends/gateway')
    .startSpan(
      `${req.method ?? 'GET'} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path } },
      ROOT_CONTEXT,
    );
  res.once('finish', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  context.with(trace.setSpan(ROOT_CONTEXT, span), next);
}
