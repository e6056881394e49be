import type { AsyncLocalStorage } from 'node:async_hooks';
import type * as grpc from '@grpc/grpc-js';
import type { ClientCalls } from './client-calls.js';
import type { Codec } from './proto.js';
import type { ServerConfigName } from './server-configs.js';

export type MethodKind = 'unary' | 'serverStream' | 'clientStream' | 'bidi';

/** A generic client: one method per scenario, named by `methodName(scenario.id)`. */
export type ParityClient = grpc.Client & Record<string, Function>;

/** What a handler gets besides the call: where to record, and the server it runs in. */
export interface ServerCallContext {
  /** Appends an entry to this call's server-side log. */
  rec(label: string, value?: unknown): void;
  /** The server serving this call (a FriendsGrpcServer or a grpc.Server). */
  server: grpc.Server;
  /** Which backend of a several-backend config serves the call (0 otherwise). */
  backend: number;
  /** The port the backend listens on. */
  port: number;
  /** The harness's store, to see what the handler inherits from its caller. */
  als: AsyncLocalStorage<unknown>;
  /** A timer that does not hold the process open. */
  sleep(ms: number): Promise<void>;
}

// The handler's call and callback are typed loosely: one signature serves all four kinds.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ServerHandler = (call: any, callback: grpc.sendUnaryData<any>, s: ServerCallContext) => void;

/** A server started for one run (scenarios that shut servers down, or need one that starts late). */
export interface StartedServer {
  ports: number[];
  stop(): Promise<void>;
}

export interface ClientContext extends ClientCalls {
  /** `127.0.0.1:<port>` of the scenario's server (for several backends: an `ipv4:` list). */
  readonly target: string;
  readonly ports: readonly number[];
  readonly path: string;
  readonly als: AsyncLocalStorage<unknown>;
  /** The placement's own client options, fresh (a new `friends()` on friends placements, `{}` for stock). */
  placementOptions(): grpc.ClientOptions;
  /** The scenario's client (placement options through `scenario.clientOptions`), made on first use. */
  readonly client: ParityClient;
  /** Another client, closed at the end of the run. `options` are complete: start from placementOptions(). */
  newClient(options: grpc.ClientOptions, target?: string, credentials?: grpc.ChannelCredentials): ParityClient;
  /** Channel credentials matching the server config (insecure, TLS or mTLS). */
  credentials(): grpc.ChannelCredentials;
  /** Material for TLS scenarios (PEM), null when openssl is missing. */
  readonly tls: { ca: Buffer; clientKey: Buffer; clientCert: Buffer } | null;
  /** Appends an entry to the client-side trace. */
  rec(label: string, value?: unknown): void;
  /** Reserves an entry now whose events are appended as they happen (an interceptor's, say). */
  log(label: string): (event: string, value?: unknown) => void;
  /** Runs `action`, recording what it returned or threw (message, code, details, metadata). */
  attempt<T>(label: string, action: () => T): T | undefined;
  sleep(ms: number): Promise<void>;
  /**
   * Waits until `client` (default: the scenario's) is READY, so that a short
   * deadline or sleep that follows times the call, not the connection setup
   * (nor, with friends, the hello that decides the connection's tier).
   */
  connected(client?: ParityClient): Promise<void>;
  /**
   * Waits until `calls` (default 1) handler or interceptor logs of the
   * scenario's method recorded `label` (an entry, or a counted event such as
   * 'cancelled'), at most `limitMs` (default 1,000): a scenario about what
   * the server observes keeps its channel open until then, since closing it
   * would cancel the server's streams anyway. Records it when the server never did.
   */
  serverSaw(label: string, limitMs?: number, calls?: number): Promise<void>;
  /** A server of this placement's kind and location, started for this run and stopped after it. */
  startServer(config: ServerConfigName, port?: number): Promise<StartedServer>;
  /** A loopback port nothing listens on (a moment ago). */
  freePort(): Promise<number>;
  /** Which client resources keep the process alive (sockets, ref'd timers) that were not there before the run. */
  clientResources(): Promise<unknown>;
}

export interface Scenario {
  /** `area/name`; unique. */
  id: string;
  kind: MethodKind;
  /** Message codec; default 'strings'. */
  codec?: Codec;
  /** Which server config the scenario runs against; default 'plain'. */
  server?: ServerConfigName;
  /** A server of its own for this run (the scenario shuts it down, say). */
  freshServer?: boolean;
  /** Server-side code for this scenario's method; none: the method is not registered (UNIMPLEMENTED). */
  handler?: ServerHandler;
  /** Client options from the placement's: `(base) => ({ ...base, ... })`. Default: the placement's. */
  clientOptions?: (base: grpc.ClientOptions) => grpc.ClientOptions;
  /** Client-side code: makes the calls and records what it saw. */
  client(t: ClientContext): Promise<void>;
  /** Other method paths whose server logs belong to this scenario. */
  paths?: string[];
  /** Bound on the client code, default 2,000 ms; past it the run is recorded as timed out. */
  timeoutMs?: number;
  /**
   * false: the handler's call events ('end', 'finish', 'close') are not recorded on their own, for
   * scenarios where stock's order of them is a race (a deadline timer on each side).
   */
  watchServerCall?: boolean;
  /** Extra quiet time the server needs before its log is complete (ms). */
  serverSettleMs?: number;
  /** Needs TLS material; recorded as skipped without openssl. */
  needsTls?: boolean;
}

/** The method name a scenario's calls use (a gRPC path segment). */
export function methodName(id: string): string {
  return id.replace(/[^A-Za-z0-9]+/g, '_');
}

export const SERVICE = 'parity.Parity';

export function methodPath(id: string): string {
  return `/${SERVICE}/${methodName(id)}`;
}
