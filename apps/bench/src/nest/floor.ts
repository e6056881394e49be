import { randomBytes } from 'node:crypto';
import { jsonCopy } from '@friends/core/internal';
import { TcpContext, type Server } from '@nestjs/microservices';
import type { Contender } from '../contender.js';
import type { Request } from '../measure.js';
import type { Workload } from '../workload.js';
import { echoPayload, eventPayload, PATTERNS, type FlushRequest, type StreamRequest } from './payloads.js';
import { NEST_FLOOR } from './variants.js';

/**
 * Calls the handler Nest registered on `server` for `pattern` as a transport
 * would, with no transport: the payload copied in, the handler's result
 * through `transformToObservable`, each value copied out. The copies are the
 * memory tier's own (`jsonCopy`: what `JSON.parse(JSON.stringify(v))` gives,
 * without building the text, so strings are shared): the wire's semantics at
 * the least cost known. Resolves at the
 * first value (`first`) or at completion.
 */
function viaHandler(
  server: Server,
  pattern: string,
  data: unknown,
  first: boolean,
  onValue?: (value: unknown) => void,
): Promise<void> {
  const handler = server.getHandlerByPattern(pattern);
  if (!handler) throw new Error(`no handler for ${pattern}`);
  // The context a handler gets; the stock one, since nothing here is a friends connection.
  const context = new TcpContext([undefined as never, pattern]);
  return new Promise((resolve, reject) => {
    server.transformToObservable(handler(jsonCopy(data), context)).subscribe({
      next: (value) => {
        const copied = jsonCopy(value);
        onValue?.(copied);
        if (first) resolve();
      },
      error: reject,
      complete: () => resolve(),
    });
  });
}

function requestFor(server: Server, workload: Workload): Request | undefined {
  switch (workload.kind) {
    case 'unary': {
      const payload = echoPayload(workload.bytes);
      return () => viaHandler(server, PATTERNS.echo, payload, true);
    }
    case 'stream': {
      const request: StreamRequest = { count: workload.items, bytes: workload.bytes };
      return async () => {
        let received = 0;
        await viaHandler(server, PATTERNS.stream, request, false, () => received++);
        if (received !== workload.items) throw new Error(`${NEST_FLOOR.id}: the stream brought ${received} messages`);
      };
    }
    case 'events': {
      const sink = randomBytes(4).toString('hex');
      const payload = eventPayload(sink, workload.bytes);
      let sent = 0;
      return async () => {
        const handled: Promise<void>[] = [];
        for (let i = 0; i < workload.items; i++) handled.push(viaHandler(server, PATTERNS.event, payload, false));
        sent += workload.items;
        await Promise.all(handled);
        const flush: FlushRequest = { sink, expected: sent };
        await viaHandler(server, PATTERNS.flush, flush, true);
      };
    }
    case 'bidi':
      return undefined;
  }
}

/** The floor as a contender, on the server whose registered handlers it calls. */
export function handlerFloor(server: Server, workloads: readonly Workload[]): Contender {
  const requests = new Map<string, { measured: Request; leadIn: Request }>();
  for (const workload of workloads) {
    const request = requestFor(server, workload);
    if (request) requests.set(workload.key, { measured: request, leadIn: request });
  }
  return { id: NEST_FLOOR.id, requests, server: () => undefined, check: () => undefined, reset: async () => undefined };
}
