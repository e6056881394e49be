import * as grpc from '@grpc/grpc-js';
import { describe, describeStatus, type Json } from './describe.js';
import { settle } from './timing.js';
import type { ParityClient } from './scenario.js';

export interface CallSetup {
  metadata?: grpc.Metadata;
  options?: grpc.CallOptions;
  /** Default: the scenario's client. */
  client?: ParityClient;
  /** The entry's label in the client trace; default the call kind. */
  label?: string;
  /** Attach a 'data' listener (default true); false leaves reading to the scenario. */
  read?: boolean;
}

export interface CallHandle<C> {
  call: C;
  /** An entry in this call's log, in order with its events. */
  note(label: string, value?: unknown): void;
  /** `call.write(message)`, recording what it returned and when its callback ran. */
  write(message: unknown): boolean;
  /** `call.end()`, recorded. */
  end(): void;
  /** Resolves once the status arrived and what follows it settled. */
  done: Promise<void>;
}

export interface ClientCalls {
  unary(request: unknown, setup?: CallSetup): CallHandle<grpc.ClientUnaryCall>;
  serverStream(request: unknown, setup?: CallSetup): CallHandle<grpc.ClientReadableStream<unknown>>;
  clientStream(setup?: CallSetup): CallHandle<grpc.ClientWritableStream<unknown>>;
  bidi(setup?: CallSetup): CallHandle<grpc.ClientDuplexStream<unknown, unknown>>;
}

type Kind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

/**
 * Starts calls of the scenario's method and records every event the
 * application can see on them. Each call's log takes its place in the trace
 * when the call starts, so concurrent calls keep a deterministic order.
 */
export function clientCalls(
  method: string,
  defaultClient: () => ParityClient,
  hooks: { reserve(label: string, log: Json[]): void; track(call: { cancel(): void }): void },
): ClientCalls {
  function start<C extends grpc.ClientUnaryCall>(kind: Kind, request: unknown, setup: CallSetup): CallHandle<C> {
    const log: Json[] = [];
    hooks.reserve(setup.label ?? kind, log);
    const note = (label: string, value?: unknown): void => {
      log.push(value === undefined ? [label] : [label, describe(value)]);
    };
    const client = setup.client ?? defaultClient();
    const metadata = setup.metadata ?? new grpc.Metadata();
    const options = setup.options ?? {};
    let statusSeen: () => void = () => undefined;
    const status = new Promise<void>((resolve) => (statusSeen = resolve));
    const fn = client[method] as Function;
    const callback = (err: grpc.ServiceError | null, value?: unknown): void => {
      log.push(['callback', { err: describe(err), value: describe(value) }]);
    };
    let call: C;
    if (kind === 'unary') call = fn.call(client, request, metadata, options, callback);
    else if (kind === 'serverStream') call = fn.call(client, request, metadata, options);
    else if (kind === 'clientStream') call = fn.call(client, metadata, options, callback);
    else call = fn.call(client, metadata, options);
    hooks.track(call);
    call.on('metadata', (md: grpc.Metadata) => note('metadata', md));
    call.on('status', (s: grpc.StatusObject) => {
      log.push(['status', describeStatus(s)]);
      statusSeen();
    });
    if (kind !== 'unary') {
      const stream = call as unknown as NodeJS.EventEmitter;
      stream.on('error', (err: Error) => note('error', err));
      if (kind !== 'clientStream') {
        if (setup.read !== false) stream.on('data', (message: unknown) => note('data', message));
        stream.on('end', () => note('end'));
      }
      if (kind !== 'serverStream') {
        stream.on('finish', () => note('finish'));
        stream.on('drain', () => note('drain'));
      }
      stream.on('close', () => note('close'));
    }
    let writes = 0;
    return {
      call,
      note,
      write(message) {
        const index = writes++;
        const returned = (call as unknown as grpc.ClientWritableStream<unknown>).write(message, (err?: Error | null) =>
          log.push(['write-callback', { index, err: describe(err) }]),
        );
        log.push(['write', { index, returned }]);
        return returned;
      },
      end() {
        log.push(['end()']);
        (call as unknown as grpc.ClientWritableStream<unknown>).end();
      },
      done: status.then(settle),
    };
  }
  return {
    unary: (request, setup = {}) => start('unary', request, setup),
    serverStream: (request, setup = {}) => start('serverStream', request, setup),
    clientStream: (setup = {}) => start('clientStream', undefined, setup),
    bidi: (setup = {}) => start('bidi', undefined, setup),
  } as ClientCalls;
}
