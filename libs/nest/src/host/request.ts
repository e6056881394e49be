import type { BaseRpcContext, MessageHandler, WritePacket } from '@nestjs/microservices';
import { isObservable, type Observable } from 'rxjs';
import type { NestHost } from './shapes.js';

/** The Server members a request runs through (protected in Nest's types). */
export interface RequestServer {
  readonly transportId?: unknown;
  onProcessingStartHook(transportId: unknown, context: BaseRpcContext, done: () => Promise<unknown>): unknown;
  onProcessingEndHook?: (transportId: unknown, context: BaseRpcContext) => void;
  send(stream$: Observable<unknown>, respond: (packet: WritePacket) => unknown): unknown;
  transformToObservable(result: unknown): Observable<unknown>;
  handleRequest?(
    context: BaseRpcContext,
    produce: () => Promise<Observable<unknown>>,
    respond: (packet: WritePacket) => unknown,
  ): unknown;
}

/** A response packet on its way out: `encode` gives it its id and serializes it, `write` sends the result. */
export interface Reply {
  encode(packet: WritePacket): unknown;
  write(encoded: unknown): void;
}

/**
 * Runs one request as the installed major's stock ServerTCP does: calls the
 * handler, and sends the packets of its answer through `reply`. Returns what
 * the transport's handleMessage returns: a promise that rejects if the
 * handler does (or, from a start hook that returns nothing, nothing).
 */
export type RunRequest = (
  server: RequestServer,
  handler: MessageHandler,
  data: unknown,
  context: BaseRpcContext,
  reply: Reply,
) => unknown;

/** The request path of the installed Nest, with processing hooks set and without. */
export interface RequestPath {
  /** Between the processing hooks, exactly as the installed major runs them. */
  readonly hooked: RunRequest;
  /**
   * With no hook set: the same steps in the same microtasks, without the hook
   * plumbing, and an answer that is a value rather than an Observable written
   * as send(of(value)) writes it (one packet, value and dispose flag merged, on
   * the next tick) without subscribing to anything. The parity suite compares
   * the order this gives with stock's, for every kind of handler.
   */
  readonly plain: RunRequest;
}

const respondWith =
  (reply: Reply) =>
  (packet: WritePacket): void =>
    reply.write(reply.encode(packet));

/** What send(transformToObservable(value)) does for a value that is already settled. */
function answer(server: RequestServer, value: unknown, respond: (packet: WritePacket) => void): void {
  if (isObservable(value)) server.send(value, respond);
  else process.nextTick(respond, { response: value, isDisposed: true });
}

/** Nest 12: the inherited Server#handleRequest (the end hook runs once, when the stream settles). */
const handleRequest: RunRequest = (server, handler, data, context, reply) =>
  server.handleRequest!(
    context,
    async () => server.transformToObservable(await handler(data, context)),
    respondWith(reply),
  );

/**
 * Nest 12 with no hook set: handleRequest awaits an async `produce`, which
 * awaits the handler, so the answer is sent two microtasks after the handler
 * settles; two reactions here, without the async functions' cost.
 */
const handleRequestWithoutHooks: RunRequest = (server, handler, data, context, reply) =>
  Promise.resolve(handler(data, context))
    .then(settled)
    .then((value) => answer(server, value, respondWith(reply)));

/**
 * Nest 11 has no Server#handleRequest: its ServerTCP#handleMessage runs the start hook around the
 * handler and the end hook before each response packet is written. Reproduced here because there is
 * no seam to call; test/e2e/nest-host.spec.ts fails if ServerTCP 11's original changes shape.
 */
const startHook: RunRequest = (server, handler, data, context, reply) =>
  server.onProcessingStartHook(server.transportId, context, async () => {
    const response$ = server.transformToObservable(await handler(data, context));
    if (!response$) return;
    server.send(response$, (packet) => {
      const encoded = reply.encode(packet);
      server.onProcessingEndHook?.(server.transportId, context);
      reply.write(encoded);
    });
  });

/** Nest 11 with no hook set: its start hook's step awaits the handler, so the answer is sent one microtask after it settles. */
const startHookWithoutHooks: RunRequest = (server, handler, data, context, reply) =>
  Promise.resolve(handler(data, context)).then((value) => answer(server, value, respondWith(reply)));

/** A reaction that passes the value on: one microtask, as an `await` of an async step. */
const settled = <T>(value: T): T => value;

/** The request path of the installed Nest. */
export function requestPath(host: NestHost): RequestPath {
  return host.request === 'handleRequest'
    ? { hooked: handleRequest, plain: handleRequestWithoutHooks }
    : { hooked: startHook, plain: startHookWithoutHooks };
}
