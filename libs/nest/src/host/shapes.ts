import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ErrorCodes, FriendsError } from '@friends/core/internal';
import { BaseRpcContext, ClientProxy, Server, TcpContext } from '@nestjs/microservices';
import { InvalidMessageException, NetSocketClosedException } from './nest-errors.js';

/**
 * The shapes of @nestjs/microservices that @friends/nest builds on, checked
 * together the first time a FriendsServer or FriendsClient is made (never at
 * import). Where the supported majors differ (11: CommonJS, 12: ESM), the
 * check says which variant is installed, and the seam's adapter module in this
 * folder follows it: request processing (`request.ts`), the RPC context
 * (`context.ts`), outgoing packets (`packet.ts`). A Nest that has neither
 * variant of a shape makes the constructor throw FRIENDS_ERR_UNSUPPORTED_NEST_VERSION
 * listing every shape it lacks, instead of a TypeError in the middle of a call.
 */
export interface NestHost {
  /** The installed @nestjs/microservices version, for messages. */
  readonly version: string;
  /**
   * How a request runs between the processing hooks: Nest 12's
   * `Server#handleRequest` (end hook once the response stream settles), or, on
   * Nest 11, the start hook run by the transport around the handler, with the
   * end hook before each response packet is written (ServerTCP 11's way).
   */
  readonly request: 'handleRequest' | 'start-hook';
  /** Whether TcpContext carries packet metadata: `[socket, pattern, metadata]` (12) or `[socket, pattern]` (11). */
  readonly contextMetadata: boolean;
  /** Whether ClientProxy builds packets itself (`createPacket`, running the dispatch hook: 12) or sends `{ pattern, data }` (11). */
  readonly createPacket: boolean;
}

type Kind = 'function' | 'object' | 'Map';

/** One shape: where it lives, its name, what it must be. */
interface Shape {
  owner: string;
  target: object | undefined;
  name: string;
  kind: Kind;
}

/** A Server and a ClientProxy with nothing of their own, to read instance fields from. */
class ProbeServer extends Server {
  listen(): void {}
  close(): void {}
  on(): void {}
  unwrap<T>(): T {
    return undefined as T;
  }
}

class ProbeClient extends ClientProxy {
  connect(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
  unwrap<T>(): T {
    return undefined as T;
  }
  protected publish(): () => void {
    return () => undefined;
  }
  protected dispatchEvent<T>(): Promise<T> {
    return Promise.resolve(undefined as T);
  }
}

function shapes(): Shape[] {
  const server = Server.prototype;
  const client = ClientProxy.prototype;
  const probeServer = new ProbeServer();
  const probeClient = new ProbeClient();
  const list: Shape[] = [];
  const add = (owner: string, target: object | undefined, kind: Kind, names: string[]): void => {
    for (const name of names) list.push({ owner, target, name, kind });
  };
  // The Server seams FriendsServer plugs into, as the stock ServerTCP does.
  add('Server.prototype', server, 'function', [
    'addHandler',
    'getHandlerByPattern',
    'getPatternAsString',
    'handleEvent',
    'transformToObservable',
    'send',
    'handleError',
    'initializeSerializer',
    'initializeDeserializer',
    'setOnProcessingStartHook',
    'setOnProcessingEndHook',
  ]);
  add('a Server', probeServer, 'function', ['onProcessingStartHook']);
  add('a Server', probeServer, 'Map', ['messageHandlers']);
  add('a Server', probeServer, 'object', ['_status$', 'logger']);
  // The ClientProxy pieces FriendsClient uses, as the stock ClientTCP does.
  add('ClientProxy.prototype', client, 'function', [
    'createObserver',
    'assignPacketId',
    'normalizePattern',
    'serializeError',
    'serializeResponse',
    'initializeSerializer',
    'initializeDeserializer',
  ]);
  add('a ClientProxy', probeClient, 'Map', ['routingMap']);
  add('a ClientProxy', probeClient, 'object', ['_status$']);
  add('BaseRpcContext.prototype', BaseRpcContext.prototype, 'function', ['getArgs', 'getArgByIndex']);
  add('TcpContext.prototype', TcpContext.prototype, 'function', ['getSocketRef', 'getPattern']);
  add('@nestjs/microservices/errors', { InvalidMessageException, NetSocketClosedException }, 'function', [
    'InvalidMessageException',
    'NetSocketClosedException',
  ]);
  // errors/invalid-tcp-data-reception.exception.js: imported by FriendsServer#listen() (host/nest-errors.ts).
  return list;
}

function matches(value: unknown, kind: Kind): boolean {
  if (kind === 'Map') return value instanceof Map;
  return kind === 'function' ? typeof value === 'function' : typeof value === 'object' && value !== null;
}

/** The installed @nestjs/microservices version (its package.json is not among the files 12 exports). */
function installedVersion(): string {
  try {
    const main = createRequire(import.meta.url).resolve('@nestjs/microservices');
    return (
      (JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version?: string }).version ?? '?'
    );
  } catch {
    return '?';
  }
}

/** The shapes friends needs that the installed Nest lacks, as `owner.name (kind)`; empty when all are there. */
export function missingShapes(): string[] {
  return shapes()
    .filter(({ target, name, kind }) => !matches((target as Record<string, unknown> | undefined)?.[name], kind))
    .map(({ owner, name, kind }) => `${owner}.${name} (${kind})`);
}

/** Checks the installed Nest; throws FRIENDS_ERR_UNSUPPORTED_NEST_VERSION naming every missing shape. */
export function checkNestHost(): NestHost {
  const version = installedVersion();
  const missing = missingShapes();
  if (missing.length > 0) {
    throw new FriendsError(
      ErrorCodes.UNSUPPORTED_NEST_VERSION,
      `@nestjs/microservices ${version} is not supported by @friends/nest (supported: 11 from 11.2.5, and 12); it lacks ${missing.join(', ')}`,
    );
  }
  const has = (prototype: object, name: string): boolean =>
    typeof (prototype as Record<string, unknown>)[name] === 'function';
  return {
    version,
    request: has(Server.prototype, 'handleRequest') ? 'handleRequest' : 'start-hook',
    contextMetadata: has(TcpContext.prototype, 'getMetadata'),
    createPacket: has(ClientProxy.prototype, 'createPacket'),
  };
}

let checked: NestHost | undefined;

/** `checkNestHost()`, once per process: what FriendsServer and FriendsClient constructors call. */
export function nestHost(): NestHost {
  checked ??= checkNestHost();
  return checked;
}
