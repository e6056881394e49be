import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { serveOnOlderGrpcJs } from '../../../fixtures/src/grpc/serve.js';
import { FriendsGrpcServer } from '@friends/grpc';
import type { Json } from './describe.js';
import { closeOwnClients } from './inner-client.js';
import { pathCounts, type PathCounts } from './path-counts.js';
import { methodPath, type Scenario } from './scenario.js';
import { serverConfig, type ServerConfigName } from './server-configs.js';
import { ServerLog } from './server-log.js';
import { authServerInterceptor, forceShutdownServerInterceptor, recordingServerInterceptor } from './server-observe.js';
import { parityImplementation, parityService } from './service.js';

export type ServerKind = 'friends' | 'stock';

/** Where scenario servers run: this process, or a child process that drives one of these over IPC. */
export interface ServerHostApi {
  /** The placement's server for `config`, started on first use and kept for the other scenarios. */
  shared(config: ServerConfigName): Promise<StartedGroup>;
  /** A server for one run; `port` 0 picks one. */
  fresh(config: ServerConfigName, port?: number): Promise<StartedGroup>;
  /** The server logs of one scenario, once the server has been quiet for a moment. */
  collect(id: number, paths: string[], extraMs?: number): Promise<Json[]>;
  /** Whether `logs` logs of `path` got an event labelled `label` within `limitMs`. */
  waitFor(id: number, path: string, label: string, limitMs: number, logs?: number): Promise<boolean>;
  stop(id: number): Promise<void>;
  stopAll(): Promise<void>;
  /** What friends counted in the process the servers live in (see path-counts.ts). */
  counters(): Promise<PathCounts>;
}

export interface StartedGroup {
  id: number;
  ports: number[];
}

interface Group {
  ports: number[];
  log: ServerLog;
  stop(): Promise<void>;
}

/** PEM files the runner generated: a CA, a server and a client certificate (for 127.0.0.1). */
export function readTls(dir: string | null): TlsFiles | null {
  if (!dir) return null;
  const read = (name: string): Buffer => readFileSync(join(dir, name));
  return {
    ca: read('ca.pem'),
    serverKey: read('server-key.pem'),
    serverCert: read('server-cert.pem'),
    clientKey: read('client-key.pem'),
    clientCert: read('client-cert.pem'),
  };
}

export interface TlsFiles {
  ca: Buffer;
  serverKey: Buffer;
  serverCert: Buffer;
  clientKey: Buffer;
  clientCert: Buffer;
}

/** The store handlers are checked against: a caller in this process runs its calls inside it. */
export const parityAls = new AsyncLocalStorage<unknown>();

export class ServerHost implements ServerHostApi {
  private readonly groups = new Map<number, Group>();
  private readonly sharedIds = new Map<ServerConfigName, Promise<StartedGroup>>();
  private readonly scenarioPaths: Set<string>;
  private nextId = 1;

  constructor(
    private readonly kind: ServerKind,
    private readonly scenarios: readonly Scenario[],
    private readonly tls: TlsFiles | null,
    extraPaths: readonly string[] = [],
  ) {
    this.scenarioPaths = new Set([...scenarios.map((s) => methodPath(s.id)), ...extraPaths]);
  }

  shared(config: ServerConfigName): Promise<StartedGroup> {
    let started = this.sharedIds.get(config);
    if (!started) {
      started = this.fresh(config);
      this.sharedIds.set(config, started);
      started.catch(() => this.sharedIds.delete(config));
    }
    return started;
  }

  async fresh(config: ServerConfigName, port = 0): Promise<StartedGroup> {
    const group = await this.startGroup(config, port);
    const id = this.nextId++;
    this.groups.set(id, group);
    return { id, ports: group.ports };
  }

  async collect(id: number, paths: string[], extraMs = 0): Promise<Json[]> {
    const group = this.groups.get(id);
    if (!group) return [['harness', 'no such server']];
    return group.log.take(paths, (path) => this.scenarioPaths.has(path), extraMs);
  }

  async waitFor(id: number, path: string, label: string, limitMs: number, logs = 1): Promise<boolean> {
    const group = this.groups.get(id);
    return group ? group.log.waitFor(path, label, limitMs, logs) : false;
  }

  async stop(id: number): Promise<void> {
    const group = this.groups.get(id);
    this.groups.delete(id);
    await group?.stop();
  }

  async counters(): Promise<PathCounts> {
    return pathCounts();
  }

  async stopAll(): Promise<void> {
    const ids = [...this.groups.keys()];
    this.sharedIds.clear();
    await Promise.all(ids.map((id) => this.stop(id)));
  }

  private async startGroup(name: ServerConfigName, port: number): Promise<Group> {
    const config = serverConfig(name);
    const log = new ServerLog();
    if (config.nest) {
      const { startNestServer } = await import('./nest-server.js');
      const nest = await startNestServer(this.kind, port, log);
      return { ports: [nest.port], log, stop: nest.stop };
    }
    const servers: grpc.Server[] = [];
    const ports: number[] = [];
    try {
      for (let backend = 0; backend < (config.backends ?? 1); backend++) {
        const interceptors = (config.interceptors ?? []).map((which) => {
          if (which === 'record') return recordingServerInterceptor(log, backend);
          if (which === 'auth') return authServerInterceptor();
          return forceShutdownServerInterceptor(() => servers[backend]!, log, backend);
        });
        const options: grpc.ServerOptions = { ...config.options, interceptors };
        const server = this.kind === 'friends' ? new FriendsGrpcServer(options) : new grpc.Server(options);
        servers.push(server);
        server.addService(
          parityService(this.scenarios),
          parityImplementation(this.scenarios, { log, server, backend, port: () => ports[backend]!, als: parityAls }),
        );
        ports.push(await bind(server, backend === 0 ? port : 0, this.credentials(config.credentials ?? 'insecure')));
      }
    } catch (error) {
      for (const server of servers) server.forceShutdown();
      throw error;
    }
    return {
      ports,
      log,
      stop: async () => {
        closeOwnClients(ports);
        for (const server of servers) server.forceShutdown();
      },
    };
  }

  private credentials(kind: 'insecure' | 'tls' | 'mtls'): grpc.ServerCredentials {
    if (kind === 'insecure') return grpc.ServerCredentials.createInsecure();
    if (!this.tls) throw new Error('TLS material missing (openssl not found)');
    const pair = [{ private_key: this.tls.serverKey, cert_chain: this.tls.serverCert }];
    return kind === 'tls'
      ? grpc.ServerCredentials.createSsl(null, pair, false)
      : grpc.ServerCredentials.createSsl(this.tls.ca, pair, true);
  }
}

async function bind(server: grpc.Server, port: number, credentials: grpc.ServerCredentials): Promise<number> {
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  serveOnOlderGrpcJs(server);
  return bound;
}
