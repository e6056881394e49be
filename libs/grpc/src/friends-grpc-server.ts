import {
  Metadata,
  Server,
  status as Status,
  type ServerOptions,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import type { HandleCall } from '@grpc/grpc-js/build/src/server-call.js';
import type { ServerInterceptor } from '@grpc/grpc-js/build/src/server-interceptors.js';
import {
  defaultSocketDir,
  describePeer,
  ErrorCodes,
  FriendsAcceptor,
  FriendsError,
  friendsDisabledByEnv,
  memoryCopies,
  type Link,
} from '@friends/core';
import { CallTable } from './call-table.js';
import { runHandler } from './dispatch.js';
import { compactCallCodec, type CallFrame } from './frames.js';
import { handshakeService, helloFromMessage, type HelloAnswerMessage, type HelloRequestMessage } from './handshake.js';
import { registerLocalServer, GRPC_PROTOCOL } from './local-servers.js';
import { FriendServerCall, type RegisteredHandler, type ServerCallOptions } from './server-call.js';

export interface FriendsGrpcServerOptions {
  /** Fast tiers. Default both on; `FRIENDS=off` in the environment turns them off. */
  friends?: boolean | { memory?: boolean; unix?: boolean };
  /** Where the unix socket lives. Default `$XDG_RUNTIME_DIR/friends` or `<tmpdir>/friends-<uid>`. */
  socketDir?: string;
}

const DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;

/**
 * A drop-in for `grpc.Server`: it serves standard gRPC over HTTP/2 on every port
 * it binds, exactly as grpc.Server does, and also serves friends — clients in
 * this process (memory) or on this kernel (a unix socket, no HTTP/2) — with the
 * same services, interceptors and call semantics.
 */
export class FriendsGrpcServer extends Server {
  private readonly friendHandlers = new Map<string, RegisteredHandler>();
  private readonly interceptorList: ServerInterceptor[];
  private readonly callOptions: ServerCallOptions;
  private readonly byReferenceCallOptions: ServerCallOptions;
  private readonly friendsOptions: FriendsGrpcServerOptions;
  private acceptor: FriendsAcceptor<CallFrame> | undefined;
  private acceptorStarting: Promise<void> | undefined;
  /** Friend links and the calls in flight on each. */
  private readonly links = new Map<Link<CallFrame>, CallTable<FriendServerCall>>();
  private draining = false;
  private unregisterLocal: (() => void) | undefined;

  constructor(options: ServerOptions & { friends?: FriendsGrpcServerOptions } = {}) {
    const { friends: friendsOptions = {}, ...serverOptions } = options;
    super(serverOptions);
    this.friendsOptions = friendsOptions;
    this.interceptorList = serverOptions.interceptors ?? [];
    const maxSendMessageSize = serverOptions['grpc.max_send_message_length'] ?? -1;
    const maxReceiveMessageSize = serverOptions['grpc.max_receive_message_length'] ?? DEFAULT_MAX_RECEIVE;
    this.callOptions = { maxSendMessageSize, maxReceiveMessageSize, byReference: false };
    this.byReferenceCallOptions = { maxSendMessageSize, maxReceiveMessageSize, byReference: true };
    this.addService(handshakeService, {
      Hello: (
        call: ServerUnaryCall<HelloRequestMessage, HelloAnswerMessage>,
        callback: sendUnaryData<HelloAnswerMessage>,
      ) => {
        this.answerHello(call.request).then(
          (answer) => callback(null, answer),
          (err: Error) => callback({ code: Status.INTERNAL, details: err.message }),
        );
      },
    });
  }

  override register<RequestType, ResponseType>(
    name: string,
    handler: HandleCall<RequestType, ResponseType>,
    serialize: (value: ResponseType) => Buffer,
    deserialize: (bytes: Buffer) => RequestType,
    type: string,
  ): boolean {
    const added = super.register(name, handler as never, serialize as never, deserialize as never, type);
    if (added) {
      const kind = type as RegisteredHandler['type'];
      this.friendHandlers.set(name, {
        path: name,
        type: kind,
        func: handler as RegisteredHandler['func'],
        serialize: serialize as RegisteredHandler['serialize'],
        deserialize: deserialize as RegisteredHandler['deserialize'],
        method: {
          path: name,
          requestStream: kind === 'clientStream' || kind === 'bidi',
          responseStream: kind === 'serverStream' || kind === 'bidi',
          requestDeserialize: deserialize as RegisteredHandler['deserialize'],
          responseSerialize: serialize as RegisteredHandler['serialize'],
        },
      });
    }
    return added;
  }

  override unregister(name: string): boolean {
    this.friendHandlers.delete(name);
    return super.unregister(name);
  }

  override bindAsync(
    port: string,
    credentials: Parameters<Server['bindAsync']>[1],
    callback: (error: Error | null, port: number) => void,
  ): void {
    super.bindAsync(port, credentials, (error, bound) => {
      if (!error && this.tiers().memory) {
        const previous = this.unregisterLocal;
        const added = registerLocalServer(port, bound, (link) => this.serve(link));
        this.unregisterLocal = () => {
          previous?.();
          added();
        };
      }
      callback(error, bound);
    });
  }

  /** As grpc.Server's: calls in flight finish, on friend links too, before the callback. */
  override tryShutdown(callback: (error?: Error) => void): void {
    const friendsDone = this.stopFriends(false);
    super.tryShutdown((error) => void friendsDone.then(() => callback(error)));
  }

  override forceShutdown(): void {
    this.stopFriends(true);
    super.forceShutdown();
  }

  /** The unix socket friends connect to, once the first hello asked for it. */
  get unixPath(): string | undefined {
    return this.acceptor?.unixPath;
  }

  private tiers(): { memory: boolean; unix: boolean } {
    const option = this.friendsOptions.friends;
    if (friendsDisabledByEnv() || option === false) return { memory: false, unix: false };
    if (option === undefined || option === true) return { memory: true, unix: true };
    return { memory: option.memory ?? true, unix: option.unix ?? true };
  }

  private async answerHello(message: HelloRequestMessage): Promise<HelloAnswerMessage> {
    const tiers = this.tiers();
    if (!tiers.memory && !tiers.unix) return { v: 1, tier: 'tcp', path: '', ticket: '', reason: 'friends off' };
    if (!this.acceptorStarting) {
      this.acceptor = new FriendsAcceptor<CallFrame>({
        protocol: GRPC_PROTOCOL,
        memory: tiers.memory,
        unix: tiers.unix,
        socketDir: this.friendsOptions.socketDir ?? defaultSocketDir(),
        socketPrefix: 'grpc',
        memoryCopy: memoryCopies.none,
        unixCodec: compactCallCodec,
        onLink: (link) => this.serve(link),
      });
      this.acceptorStarting = this.acceptor.start();
    }
    await this.acceptorStarting;
    const answer = this.acceptor!.answer(helloFromMessage(message));
    return {
      v: 1,
      tier: answer.tier,
      path: answer.tier === 'unix' ? answer.path : '',
      ticket: answer.tier === 'unix' ? answer.ticket : '',
      reason: answer.tier === 'tcp' ? answer.reason : '',
    };
  }

  /** No new friends; existing friend links close now (force) or once their calls finish. */
  private stopFriends(force: boolean): Promise<void> {
    this.unregisterLocal?.();
    this.unregisterLocal = undefined;
    void this.acceptor?.close();
    this.acceptor = undefined;
    this.acceptorStarting = undefined;
    this.draining = true;
    const closed = Promise.all(
      [...this.links.keys()].map((link) => new Promise<void>((resolve) => link.once('close', () => resolve()))),
    ).then(() => undefined);
    for (const [link, calls] of this.links) {
      if (force) link.destroy();
      else if (calls.size === 0) link.close();
    }
    if (force) this.links.clear();
    return closed;
  }

  private serve(link: Link<CallFrame>): void {
    const calls = new CallTable<FriendServerCall>();
    this.links.set(link, calls);
    const peer = describePeer(link.peer);
    // Clients number their streams upwards: a frame for a higher id than any started is bogus.
    let highestStarted = 0;
    const send = (frame: CallFrame): void => {
      link.send(frame);
    };
    link.on('message', (frame) => {
      if (frame.t !== 'start') {
        if (frame.s > highestStarted) {
          link.destroy(new FriendsError(ErrorCodes.BAD_FRAME, `frame for stream ${frame.s}, which was never started`));
          return;
        }
        calls.get(frame.s)?.receive(frame);
        return;
      }
      if (frame.s <= highestStarted) {
        link.destroy(new FriendsError(ErrorCodes.BAD_FRAME, `stream ${frame.s} started out of order`));
        return;
      }
      highestStarted = frame.s;
      if (this.draining) {
        send({ t: 'md', s: frame.s, md: new Metadata() });
        send({
          t: 'status',
          s: frame.s,
          code: Status.UNAVAILABLE,
          details: 'Server is shutting down',
          md: new Metadata(),
        });
        return;
      }
      this.startCall(frame, calls, send, peer, link);
    });
    link.on('close', () => {
      this.links.delete(link);
      for (const call of calls.drain()) call.linkClosed();
    });
  }

  private startCall(
    frame: Extract<CallFrame, { t: 'start' }>,
    calls: CallTable<FriendServerCall>,
    send: (frame: CallFrame) => void,
    peer: string,
    link: Link<CallFrame>,
  ): void {
    const kind = link.kind;
    const handler = this.friendHandlers.get(frame.path);
    if (!handler) {
      send({ t: 'md', s: frame.s, md: new Metadata() });
      send({
        t: 'status',
        s: frame.s,
        code: Status.UNIMPLEMENTED,
        details: `The server does not implement the method ${frame.path}`,
        md: new Metadata(),
      });
      return;
    }
    const base = new FriendServerCall(
      send,
      frame.s,
      handler,
      frame.md,
      frame.deadline,
      peer,
      frame.byReference === true && kind === 'memory' ? this.byReferenceCallOptions : this.callOptions,
      () => {
        calls.delete(frame.s);
        if (this.draining && calls.size === 0) link.close();
      },
    );
    calls.set(frame.s, base);
    let call: Parameters<ServerInterceptor>[1] = base;
    for (const interceptor of this.interceptorList) call = interceptor(handler.method as never, call) as never;
    runHandler(call, handler);
  }
}
