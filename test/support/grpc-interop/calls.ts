import * as grpc from '@grpc/grpc-js';
import type {
  SimpleRequest,
  SimpleResponse,
  StreamingInputCallRequest,
  StreamingInputCallResponse,
  StreamingOutputCallRequest,
  StreamingOutputCallResponse,
} from '../../fixtures/src/grpc/interop-service.js';

type Callback<T> = grpc.requestCallback<T>;
type Md = grpc.Metadata;
type Opts = grpc.CallOptions;

/** The grpc.testing.TestService methods the cases call, as a generic grpc-js client exposes them. */
export interface TestServiceClient extends grpc.Client {
  EmptyCall(request: object, metadata: Md, options: Opts, callback: Callback<object>): grpc.ClientUnaryCall;
  UnaryCall(request: SimpleRequest, metadata: Md, options: Opts, cb: Callback<SimpleResponse>): grpc.ClientUnaryCall;
  StreamingOutputCall(
    request: StreamingOutputCallRequest,
    metadata: Md,
    options: Opts,
  ): grpc.ClientReadableStream<StreamingOutputCallResponse>;
  StreamingInputCall(
    metadata: Md,
    options: Opts,
    callback: Callback<StreamingInputCallResponse>,
  ): grpc.ClientWritableStream<StreamingInputCallRequest>;
  FullDuplexCall(
    metadata: Md,
    options: Opts,
  ): grpc.ClientDuplexStream<StreamingOutputCallRequest, StreamingOutputCallResponse>;
  UnimplementedCall(request: object, metadata: Md, options: Opts, callback: Callback<object>): grpc.ClientUnaryCall;
}

export interface UnimplementedServiceClient extends grpc.Client {
  UnimplementedCall(request: object, metadata: Md, options: Opts, callback: Callback<object>): grpc.ClientUnaryCall;
}

export interface InteropClients {
  client: TestServiceClient;
  unimplementedClient: UnimplementedServiceClient;
}

/** Every call carries a deadline so a broken peer fails a case instead of hanging it. */
export const CALL_DEADLINE_MS = 4_000;
const WAIT_MS = CALL_DEADLINE_MS + 500;

export function callOptions(): grpc.CallOptions {
  return { deadline: Date.now() + CALL_DEADLINE_MS };
}

/** What a call ended with, as the application sees it. */
export interface Outcome<T> {
  messages: T[];
  initial: grpc.Metadata | null;
  status: grpc.StatusObject;
}

export function describeStatus(status: Pick<grpc.StatusObject, 'code' | 'details'>): string {
  return `${grpc.status[status.code] ?? '?'} (${status.code}) ${JSON.stringify(status.details)}`;
}

function statusOf(error: grpc.ServiceError): grpc.StatusObject {
  return { code: error.code, details: error.details, metadata: error.metadata };
}

/** Wakes whoever waits on a call whenever something about it changes. */
class Changes {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves once `check` returns a value (or rejects when it throws); rejects after WAIT_MS. */
  until<R>(check: () => R | undefined, what: string): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => finish(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`))), WAIT_MS);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
        settle();
      };
      const attempt = () => {
        try {
          const result = check();
          if (result !== undefined) finish(() => resolve(result));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      this.waiters.add(attempt);
      attempt();
    });
  }
}

/**
 * A unary-response call's outcome. The callback's error wins over the 'status' event: it is what the
 * application sees (grpc-js reports OK-without-a-message as UNIMPLEMENTED only there).
 */
export function unaryOutcome<T>(what: string, start: (callback: Callback<T>) => NodeJS.EventEmitter) {
  const changes = new Changes();
  let initial: grpc.Metadata | null = null;
  let result: { error: grpc.ServiceError | null; value?: T } | null = null;
  let status: grpc.StatusObject | null = null;
  const call = start((error, value) => {
    result = { error, value };
    changes.notify();
  });
  call.on('metadata', (metadata: grpc.Metadata) => (initial = metadata));
  call.on('status', (s: grpc.StatusObject) => {
    status = s;
    changes.notify();
  });
  return changes.until<Outcome<T>>(() => {
    if (!result || !status) return undefined;
    const { error, value } = result as { error: grpc.ServiceError | null; value?: T };
    if (error) return { messages: [], initial, status: statusOf(error) };
    return { messages: value === undefined ? [] : [value], initial, status };
  }, `${what} callback and status`);
}

/** Records a streaming-response call so cases can read one message at a time or wait for the end. */
export class ResponseRecorder<T> {
  readonly messages: T[] = [];
  initial: grpc.Metadata | null = null;
  status: grpc.StatusObject | null = null;
  private ended = false;
  private read = 0;
  private readonly changes = new Changes();

  constructor(
    call: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<never, T>,
    private readonly what: string,
  ) {
    call.on('metadata', (metadata: grpc.Metadata) => (this.initial = metadata));
    call.on('data', (message: T) => this.changed(() => this.messages.push(message)));
    call.on('end', () => this.changed(() => (this.ended = true)));
    call.on('status', (status: grpc.StatusObject) => this.changed(() => (this.status = status)));
    // A failed call also emits 'error'; its status event says the same and is what the cases check.
    call.on('error', () => {});
  }

  nextMessage(): Promise<T> {
    const index = this.read + 1;
    return this.changes.until(() => {
      if (this.read < this.messages.length) return this.messages[this.read++];
      if (this.status) {
        throw new Error(`${this.what}: call ended with ${describeStatus(this.status)} before response #${index}`);
      }
      return undefined;
    }, `${this.what} response #${index}`);
  }

  /** The outcome once the status is in and, for OK, every message has been delivered. */
  finished(): Promise<Outcome<T>> {
    return this.changes.until(() => {
      const status = this.status;
      if (!status || (status.code === grpc.status.OK && !this.ended)) return undefined;
      return { messages: this.messages, initial: this.initial, status };
    }, `${this.what} status`);
  }

  private changed(update: () => void): void {
    update();
    this.changes.notify();
  }
}
