/**
 * Where a handler's call object keeps the stream it is served on: the call
 * objects (ServerUnaryCallImpl and the others) hold grpc-js's intercepting
 * call as `call`, whose innermost `nextCall` holds the stream. A span that
 * marks its call's tier reads it there. The same in every grpc-js from 1.10 on.
 */
import { grpcModule, type Shape } from './shape.js';
import { fieldsFromParameters } from './source-shape.js';

function keeps(module: string, exported: string, field: string, at: number): string | undefined {
  const cls = (grpcModule<Record<string, unknown>>(module) as Record<string, unknown>)[exported];
  if (typeof cls !== 'function') return `build/src/${module}.js has no ${exported}`;
  return fieldsFromParameters(cls).get(field) === at
    ? undefined
    : `${exported} does not keep parameter ${at + 1} as \`${field}\``;
}

export const serverCallShapes: readonly Shape[] = [
  {
    seam: 'server-call',
    name: 'a handler call keeps its intercepting call as `call`, each interceptor its next as `nextCall`, the innermost its stream as `stream`',
    differs: () =>
      keeps('server-call', 'ServerUnaryCallImpl', 'call', 1) ??
      keeps('server-interceptors', 'ServerInterceptingCall', 'nextCall', 0) ??
      keeps('server-interceptors', 'BaseServerInterceptingCall', 'stream', 0),
  },
];

/** The stream under a handler's call object, or undefined when it holds none where grpc-js keeps it. */
export function streamOfServerCall(call: unknown): object | undefined {
  let inner = (call as { call?: unknown } | null)?.call;
  for (let depth = 0; inner && typeof inner === 'object' && depth < 32; depth++) {
    const candidate = inner as { stream?: unknown; nextCall?: unknown };
    if (candidate.stream && typeof candidate.stream === 'object') return candidate.stream;
    inner = candidate.nextCall;
  }
  return undefined;
}
