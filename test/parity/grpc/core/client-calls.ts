import * as grpc from '@grpc/grpc-js';
import { describe, describeStatus, type Json } from './describe.js';
import { serializers } from './proto.js';
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
  /** Call this path with the generic client methods (strings codec) instead of the scenario's method. */
  path?: string;
  /** Record this (an AsyncLocalStorage's store) at every event the application gets. */
  store?: () => unknown;
  /**
   * The call ends by its deadline while a server has it. On stock the client's
   * and the server's timers race, and the status carries the server's headers
   * only if the server's won: the status metadata is then left out.
   */
  deadlineRace?: boolean;
}

/** A deadline a call was started with: where it lies, and when the call started (epoch ms). */
export interface DeadlineSet {
  at: number;
  startedAt: number;
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
  hooks: {
    reserve(label: string, log: Json[]): void;
    track(call: { cancel(): void }): void;
    /** A call started with a deadline (epoch ms) at `startedAt`. */
    deadline(set: DeadlineSet): void;
  },
): ClientCalls {
  function start<C extends grpc.ClientUnaryCall>(kind: Kind, request: unknown, setup: CallSetup): CallHandle<C> {
    const log: Json[] = [];
    hooks.reserve(setup.label ?? kind, log);
    const note = (label: string, value?: unknown): void => {
      log.push(value === undefined ? [label] : [label, describe(value)]);
      if (setup.store) log.push(['store', describe(setup.store())]);
    };
    const client = setup.client ?? defaultClient();
    const metadata = setup.metadata ?? new grpc.Metadata();
    const options = setup.options ?? {};
    const at = deadlineMs(options.deadline);
    if (at !== undefined) hooks.deadline({ at, startedAt: Date.now() });
    let statusSeen: () => void = () => undefined;
    const status = new Promise<void>((resolve) => (statusSeen = resolve));
    const racy = (value: unknown): unknown => (setup.deadlineRace ? deadlineRaced(value) : value);
    const callback = (err: grpc.ServiceError | null, value?: unknown): void => {
      note('callback', { err: racy(err), value });
    };
    const call = (setup.path ? byPath(client, setup.path, kind) : byName(client, method, kind))(
      request,
      metadata,
      options,
      callback,
    ) as C;
    hooks.track(call);
    call.on('metadata', (md: grpc.Metadata) => note('metadata', md));
    call.on('status', (s: grpc.StatusObject) => {
      note('status', racy(describeStatus(s)));
      statusSeen();
    });
    if (kind !== 'unary') {
      const stream = call as unknown as NodeJS.EventEmitter;
      stream.on('error', (err: Error) => note('error', racy(err)));
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

type Start = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Function) => unknown;

function byName(client: ParityClient, method: string, kind: Kind): Start {
  const fn = client[method] as Function;
  return (request, metadata, options, callback) => {
    if (kind === 'unary') return fn.call(client, request, metadata, options, callback);
    if (kind === 'serverStream') return fn.call(client, request, metadata, options);
    if (kind === 'clientStream') return fn.call(client, metadata, options, callback);
    return fn.call(client, metadata, options);
  };
}

function byPath(client: ParityClient, path: string, kind: Kind): Start {
  const { serialize, deserialize } = serializers('strings');
  return (request, metadata, options, callback) => {
    if (kind === 'unary')
      return client.makeUnaryRequest(path, serialize, deserialize, request, metadata, options, callback as never);
    if (kind === 'serverStream')
      return client.makeServerStreamRequest(path, serialize, deserialize, request, metadata, options);
    if (kind === 'clientStream')
      return client.makeClientStreamRequest(path, serialize, deserialize, metadata, options, callback as never);
    return client.makeBidiStreamRequest(path, serialize, deserialize, metadata, options);
  };
}

/** A deadline as epoch ms, when it is one grpc-js carries (a valid Date, a finite number, or -Infinity: 0m). */
function deadlineMs(deadline: grpc.Deadline | undefined): number | undefined {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return typeof ms === 'number' && (Number.isFinite(ms) || ms === -Infinity) ? ms : undefined;
}

/** A text of a deadline race, tagged for normalize.ts: either timer's text becomes one. */
export function raceText<T>(text: T): T | Json {
  return typeof text === 'string' ? { $: 'deadline race', v: text } : text;
}

/**
 * A status or error of a deadline race (see CallSetup.deadlineRace): its
 * metadata replaced by a marker, its texts tagged for normalize.ts, which
 * makes either timer's text one.
 */
function deadlineRaced(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const described = describe(value) as Record<string, Json>;
  return {
    ...described,
    ...('details' in described ? { details: raceText(described.details) } : {}),
    ...('message' in described ? { message: raceText(described.message) } : {}),
    metadata: 'not compared: the deadline race decides it',
  };
}
