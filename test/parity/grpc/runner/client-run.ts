import { createServer, type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { clientCalls, type ClientCalls, type DeadlineSet } from '../core/client-calls.js';
import { describe, type Json } from '../core/describe.js';
import { methodName, methodPath, type ClientContext, type ParityClient, type Scenario } from '../core/scenario.js';
import { serverConfig, type ServerConfigName } from '../core/server-configs.js';
import { parityAls, type ServerHostApi, type StartedGroup, type TlsFiles } from '../core/server-host.js';
import { sleep } from '../core/timing.js';
import { clientResources, type ResourceSnapshot } from './resources.js';

type ClientConstructor = new (target: string, credentials: grpc.ChannelCredentials, options?: object) => ParityClient;

/** A started call, so a run that times out can cancel what it left behind. */
interface Cancellable {
  cancel(): void;
}

/** The client side of one run: the context a scenario's client code gets, and what it recorded. */
/** Longest wait for a scenario's channel to connect before its timed part. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Longest wait for the server to record what a scenario is about. */
const SERVER_SAW_LIMIT_MS = 1_000;

export class ClientRun implements ClientContext {
  readonly entries: Json[] = [];
  readonly target: string;
  readonly path: string;
  readonly als = parityAls;
  readonly tls: ClientContext['tls'];
  /** Servers the scenario started, in order (their logs follow the main server's). */
  readonly extraServers: StartedGroup[] = [];
  /** Ports the scenario asked for (normalized like server ports). */
  readonly freePorts: number[] = [];
  /** Deadlines the scenario's calls were started with (handlers' deadlines are compared with them). */
  readonly deadlines: DeadlineSet[] = [];
  private readonly clients: ParityClient[] = [];
  private readonly calls: Cancellable[] = [];
  private readonly helpers: ClientCalls;
  private mainClient: ParityClient | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly group: StartedGroup,
    private readonly host: ServerHostApi,
    private readonly placementOptionsFn: () => grpc.ClientOptions,
    private readonly Client: ClientConstructor,
    private readonly tlsFiles: TlsFiles | null,
    private readonly before: ResourceSnapshot,
  ) {
    const ports = group.ports;
    this.target =
      ports.length > 1 ? `ipv4:${ports.map((port) => `127.0.0.1:${port}`).join(',')}` : `127.0.0.1:${ports[0]}`;
    this.path = methodPath(scenario.id);
    this.tls = tlsFiles ? { ca: tlsFiles.ca, clientKey: tlsFiles.clientKey, clientCert: tlsFiles.clientCert } : null;
    this.helpers = clientCalls(methodName(scenario.id), () => this.client, {
      reserve: (label, log) => this.entries.push([label, log]),
      track: (call) => this.calls.push(call),
      deadline: (set) => this.deadlines.push(set),
    });
  }

  get ports(): readonly number[] {
    return this.group.ports;
  }

  get client(): ParityClient {
    if (!this.mainClient) {
      const base = this.placementOptionsFn();
      this.mainClient = this.newClient(this.scenario.clientOptions ? this.scenario.clientOptions(base) : base);
    }
    return this.mainClient;
  }

  placementOptions(): grpc.ClientOptions {
    return this.placementOptionsFn();
  }

  newClient(options: grpc.ClientOptions, target = this.target, credentials = this.credentials()): ParityClient {
    const client = new this.Client(target, credentials, options);
    this.clients.push(client);
    return client;
  }

  credentials(): grpc.ChannelCredentials {
    const kind = serverConfig(this.scenario.server ?? 'plain').credentials ?? 'insecure';
    if (kind === 'insecure') return grpc.credentials.createInsecure();
    const tls = this.tlsFiles;
    if (!tls) throw new Error('TLS material missing');
    return kind === 'tls'
      ? grpc.credentials.createSsl(tls.ca)
      : grpc.credentials.createSsl(tls.ca, tls.clientKey, tls.clientCert);
  }

  rec(label: string, value?: unknown): void {
    this.entries.push(value === undefined ? [label] : [label, describe(value)]);
  }

  log(label: string): (event: string, value?: unknown) => void {
    const events: Json[] = [];
    this.entries.push([label, events]);
    return (event, value) => events.push(value === undefined ? [event] : [event, describe(value)]);
  }

  attempt<T>(label: string, action: () => T): T | undefined {
    try {
      const result = action();
      this.rec(label, 'returned');
      return result;
    } catch (error) {
      this.rec(label, { threw: describe(error) });
      return undefined;
    }
  }

  sleep(ms: number): Promise<void> {
    return sleep(ms);
  }

  async connected(client: ParityClient = this.client): Promise<void> {
    const ready = await new Promise<Error | undefined>((resolve) =>
      client.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (error) => resolve(error ?? undefined)),
    );
    if (ready) this.rec('harness: not connected', ready.message);
  }

  async serverSaw(label: string, limitMs = SERVER_SAW_LIMIT_MS, calls = 1): Promise<void> {
    const seen = await this.host.waitFor(this.group.id, this.path, label, limitMs, calls).catch(() => false);
    if (!seen) this.rec('harness: the server never recorded', label);
  }

  async startServer(config: ServerConfigName, port = 0): Promise<{ ports: number[]; stop(): Promise<void> }> {
    const group = await this.host.fresh(config, port);
    this.extraServers.push(group);
    return { ports: group.ports, stop: () => this.host.stop(group.id) };
  }

  async freePort(): Promise<number> {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    this.freePorts.push(port);
    return port;
  }

  async clientResources(): Promise<unknown> {
    return clientResources(this.before);
  }

  unary: ClientCalls['unary'] = (request, setup) => this.helpers.unary(request, setup);
  serverStream: ClientCalls['serverStream'] = (request, setup) => this.helpers.serverStream(request, setup);
  clientStream: ClientCalls['clientStream'] = (setup) => this.helpers.clientStream(setup);
  bidi: ClientCalls['bidi'] = (setup) => this.helpers.bidi(setup);

  /** After a timeout: cancel every call still running. */
  cancelAll(): void {
    for (const call of this.calls) call.cancel();
  }

  closeClients(): void {
    for (const client of this.clients) client.close();
  }
}
