import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { MessageCodec } from '../codec/codec.js';
import { CompactFrameDecoder, encodeCompactFrame } from '../codec/compact-framing.js';
import { ErrorCodes, FriendsError } from '../errors.js';
import type { Link } from '../links/link.js';
import { createMemoryLinkPair, type MemoryCopy, type MemoryLinkOptions } from '../links/memory-link.js';
import { SOCKET_LINK_DEFAULTS, SocketLink, type SocketLinkOptions } from '../links/socket-link.js';
import { listenUnix, prepareSocketDir, removeSocketFile, removeStaleSockets } from '../socket-dir.js';
import { join } from 'node:path';
import { clientEnd, type ConnectionTuple } from './binding.js';
import { claimPendingEndpoint } from './registry.js';
import { AUTH_FRAME, AUTH_MAX_FRAME, AUTH_OK_FRAME, type HelloAnswer, parseHello } from './hello.js';
import { kernelProof, resolveKernelIdentity, sameSecret, unixAnswerProof } from './host-identity.js';
import { TicketBook } from './tickets.js';

export interface AcceptorOptions<M> {
  /** Names the message protocol; memory endpoints only pair within one protocol. */
  protocol: string;
  memory: boolean;
  unix: boolean;
  socketDir: string;
  /** Mode of the socket directory (default 0700) and of the socket (default 0600). */
  socketDirMode?: number;
  socketMode?: number;
  /** Prefix of the socket file's name. */
  socketPrefix: string;
  /** How this side copies what it sends on the memory tier. */
  memoryCopy: MemoryCopy;
  memoryLink?: MemoryLinkOptions;
  /** Messages on the unix tier. */
  unixCodec: MessageCodec<M>;
  linkOptions?: SocketLinkOptions;
  /** Ticket lifetime (default 10 s) and time a unix connection has to present it (default 5 s). */
  ticketTtlMs?: number;
  admissionTimeoutMs?: number;
  /** The kernel identity; defaults to Linux's boot id. */
  kernelIdentity?: string | null;
  /** A friend link is ready to serve; `context` is what `answer()` was given for its hello. */
  onLink(link: Link<M>, context: unknown): void;
  /** Something went wrong that costs one connection or disables a tier; for logs. */
  onWarning?(err: Error): void;
}

/**
 * The server side of the tier decision: answers hellos, owns the unix listener
 * and its tickets, and hands out friend links. Any failure leaves a client on
 * the standard wire; it never affects the server.
 */
export class FriendsAcceptor<M> {
  private unixServer: Server | undefined;
  private path: string | undefined;
  private readonly tickets: TicketBook;
  private readonly admitting = new Set<Socket>();
  private readonly identity: string | null;
  private readonly id = randomBytes(8).toString('hex');
  private starting: Promise<void> | undefined;
  /** Set by close(), for good: a start() still under way then undoes what it opened. */
  private closed = false;

  constructor(private readonly options: AcceptorOptions<M>) {
    this.tickets = new TicketBook(options.ticketTtlMs ?? 10_000);
    this.identity = resolveKernelIdentity(options.kernelIdentity);
  }

  /** The socket path friends connect to, once listening. */
  get unixPath(): string | undefined {
    return this.path;
  }

  /** Opens the unix listener when enabled. Failure only disables the unix tier. */
  start(): Promise<void> {
    this.starting ??= this.openListener();
    return this.starting;
  }

  private async openListener(): Promise<void> {
    const { options } = this;
    if (!options.unix || this.identity === null || this.closed) return;
    const path = join(options.socketDir, `${options.socketPrefix}-${process.pid}-${this.id}.sock`);
    const server = createServer({ pauseOnConnect: false }, (socket) => this.admit(socket));
    try {
      await prepareSocketDir(options.socketDir, options.socketDirMode ?? 0o700);
      await removeStaleSockets(options.socketDir);
      await listenUnix(server, path, options.socketMode ?? 0o600);
    } catch (err) {
      server.close();
      options.onWarning?.(
        new FriendsError(ErrorCodes.SOCKET_DIR, `Unix tier disabled: ${(err as Error).message}`, { cause: err }),
      );
      return;
    }
    if (this.closed) {
      server.close();
      await removeSocketFile(path);
      return;
    }
    server.on('error', (err) => options.onWarning?.(err));
    this.unixServer = server;
    this.path = path;
  }

  /**
   * Answers a hello (any JSON value a client sent). Never throws. `connection`
   * is the connection it arrived on (a memory claim bound to another connection
   * is refused, and the kernel proof must be bound to its client end); `context`
   * goes to `onLink` with the link this hello leads to.
   */
  answer(data: unknown, connection?: ConnectionTuple, context?: unknown): HelloAnswer {
    const hello = parseHello(data);
    if (!hello) return { v: 1, tier: 'tcp', reason: 'malformed hello' };
    const { options } = this;
    if (options.memory && hello.endpoint) {
      const link = claimPendingEndpoint<Link<M>>(
        hello.endpoint,
        options.protocol,
        (endpoint) =>
          createMemoryLinkPair<M>(
            {
              peer: { kind: 'memory', endpoint: this.id },
              copy: endpoint.copy,
              maxMessageLength: endpoint.maxMessageLength,
              context: endpoint.context,
            },
            // Ours delivers in the context this hello arrived in: the connection's, as a socket's would.
            {
              peer: { kind: 'memory', endpoint: endpoint.id },
              copy: options.memoryCopy,
              maxMessageLength: options.linkOptions?.maxFrameSize ?? SOCKET_LINK_DEFAULTS.maxFrameSize,
            },
            options.memoryLink,
          ),
        connection,
      );
      if (link) {
        options.onLink(link, context);
        return { v: 1, tier: 'memory' };
      }
    }
    if (this.path && hello.kernel && this.identity !== null) {
      if (sameSecret(kernelProof(this.identity, hello.nonce, clientEnd(connection, 'server')), hello.kernel)) {
        const ticket = this.tickets.issue(hello.nonce, context);
        const proof = unixAnswerProof(this.identity, hello.nonce, this.path, ticket);
        return { v: 1, tier: 'unix', path: this.path, ticket, proof };
      }
      return { v: 1, tier: 'tcp', reason: 'other kernel' };
    }
    return { v: 1, tier: 'tcp', reason: this.path ? 'no proof' : 'no fast tier' };
  }

  /**
   * Stops the unix listener, drops sockets still being admitted and removes the
   * socket file, also when start() is still under way (it resolves once that
   * start has undone its work). Links already handed to `onLink` stay open:
   * their owner closes them.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.tickets.clear();
    for (const socket of this.admitting) socket.destroy();
    this.admitting.clear();
    const server = this.unixServer;
    const path = this.path;
    this.unixServer = undefined;
    this.path = undefined;
    // Stop listening now; connections already admitted belong to whoever got them from onLink.
    server?.close();
    if (path) await removeSocketFile(path);
    await this.starting;
  }

  /** A unix connection must present a valid ticket before anything else happens on it. */
  private admit(socket: Socket): void {
    const { options } = this;
    this.admitting.add(socket);
    const decoder = new CompactFrameDecoder({ maxFrameSize: AUTH_MAX_FRAME });
    let sawData = false;
    const fail = (err: FriendsError): void => {
      cleanup();
      socket.destroy();
      options.onWarning?.(err);
    };
    const timer = setTimeout(() => {
      if (sawData) fail(new FriendsError(ErrorCodes.HANDSHAKE_TIMEOUT, 'Unix connection did not finish its ticket'));
      else fail(new FriendsError(ErrorCodes.BAD_TICKET, 'Unix connection presented no ticket in time'));
    }, options.admissionTimeoutMs ?? 5_000);
    timer.unref();
    const onData = (chunk: Buffer): void => {
      sawData = true;
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        fail(new FriendsError(ErrorCodes.BAD_TICKET, `Bad admission frame: ${(err as Error).message}`, { cause: err }));
        return;
      }
      if (frames.length === 0) return;
      const frame = frames[0]!;
      if (frames.length > 1 || decoder.partial || frame.type !== AUTH_FRAME) {
        fail(new FriendsError(ErrorCodes.BAD_TICKET, 'Unix connection sent something other than one ticket'));
        return;
      }
      const redeemed = this.tickets.redeem(frame.payload.toString('latin1'));
      if (redeemed === undefined) {
        fail(new FriendsError(ErrorCodes.BAD_TICKET, 'Unix connection presented an unknown, used or expired ticket'));
        return;
      }
      cleanup();
      const link = new SocketLink<M>(
        'unix',
        socket,
        { kind: 'unix', path: this.path ?? '' },
        options.unixCodec,
        options.linkOptions,
      );
      socket.write(encodeCompactFrame(AUTH_OK_FRAME, 0, redeemed.nonce));
      options.onLink(link, redeemed.context);
    };
    const onEnd = (): void => {
      cleanup();
      socket.destroy();
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      this.admitting.delete(socket);
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('end', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', () => undefined);
  }
}
