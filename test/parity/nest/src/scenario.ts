import type { Deserializer, Serializer } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import type { Entry } from './recorder.js';

/** What scenarios use of a client; ClientTCP and FriendsClient both are one. */
export interface ParityClient {
  send<T = unknown>(pattern: unknown, data: unknown): Observable<T>;
  /** FriendsClient only. */
  tierDecision?(): Promise<string>;
  emit<T = unknown>(pattern: unknown, data: unknown): Observable<T>;
  connect(): Promise<unknown>;
  close(): unknown;
  /** Nest 12 only. */
  setOnDispatchHook(hook: (packet: { pattern: unknown; data: unknown; metadata?: unknown }) => void): void;
  readonly status: Observable<string>;
}

/** Client options every client kind takes. */
export interface ClientSettings {
  maxBufferSize?: number;
  serializer?: Serializer;
  deserializer?: Deserializer;
}

/**
 * Server setups. A scenario names one; every placement runs one server per
 * setup and shares it between the scenarios that name it.
 */
export type ServerSetup = 'default' | 'limits' | 'serde' | 'grace' | 'lifecycle' | 'hooks' | 'bare';

export interface ServerControl {
  readonly port: number;
  /** Closes the server as `app.close()` does; resolves once closed. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /**
   * Resolves once the server's trace satisfies `done`, or after `timeoutMs`
   * (default 2 s): an entry that never comes then shows as a difference.
   */
  until(done: (entries: readonly Entry[]) => boolean, timeoutMs?: number): Promise<void>;
}

export interface ObserveOptions {
  /** Also record the caller store seen in each notification. */
  store?: boolean;
  /** Give up after this long, recording 'pending' (for calls that never settle). */
  within?: number;
}

/** What a scenario's client code gets. It never learns the placement it runs in. */
export interface ScenarioContext {
  readonly client: ParityClient;
  /** Another client like `client` (same kind, options merged with `settings`), closed after the run. */
  newClient(settings?: ClientSettings): ParityClient;
  readonly server: ServerControl;
  /** Records one client-side observation. */
  note(label: string, value?: unknown): void;
  /** Subscribes, records every notification under `label`, resolves once it terminates. */
  observe(label: string, source: Observable<unknown>, options?: ObserveOptions): Promise<void>;
  /** `observe(label, client.send(pattern, data))`. */
  call(label: string, pattern: unknown, data: unknown, options?: ObserveOptions): Promise<void>;
  /** Resolves once the server trace has at least `count` entries (see `ServerControl.until`). */
  serverSaw(count: number): Promise<void>;
  sleep(ms: number): Promise<void>;
  /**
   * This placement's client in a process of its own makes one call and closes;
   * true if the process then exits by itself (nothing left keeping it alive).
   */
  processExitsAfterClose(): Promise<boolean>;
  /** Handles and requests this process gained since the run started and still holds. */
  leftoverResources(): Promise<string[]>;
}

export interface ClientRecorders {
  note: ScenarioContext['note'];
  /**
   * Records into a list of its own, appended to the client trace after the
   * run: for observers (a user's deserializer) whose interleaving with
   * callbacks depends on how reads happen to be split.
   */
  aside: ScenarioContext['note'];
}

export interface Scenario {
  /** `theme/name`; `PARITY_ONLY` selects by substring. */
  id: string;
  /**
   * Runs with a client that has not connected yet. Otherwise the client has
   * connected and, for a FriendsClient, its tier is decided before `run`
   * starts, so that every call takes the placement's tier (calls made while a
   * tier is being decided go on tcp).
   */
  fresh?: boolean;
  /** Why the scenario cannot run on Nest 11 (a Nest 12 feature it is about, say); it is skipped there. */
  notOnNest11?: string;
  server?: ServerSetup;
  /** Client options; a function when they record into the client trace (serializers). */
  client?: ClientSettings | ((record: ClientRecorders) => ClientSettings);
  run(t: ScenarioContext): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
