import { Client, Metadata, status as Status, type Channel, type ServiceError } from '@grpc/grpc-js';
import { debuglog } from 'node:util';
import { createMemoryLinkPair, friendsDisabledByEnv, HelloAttempt, memoryCopies } from '@friends/core';
import { compactCallCodec, type CallFrame } from './frames.js';
import { helloMethod, type HelloAnswerMessage, type HelloRequestMessage } from './handshake.js';
import { FriendConnection } from './connection.js';
import { findLocalServer, GRPC_PROTOCOL } from './local-servers.js';

export interface RouteOptions {
  memory: boolean;
  unix: boolean;
  /** Longest wait for the hello before staying on HTTP/2. */
  helloTimeoutMs: number;
}

/** NODE_DEBUG=friends logs the tier taken for every target. */
const log = debuglog('friends');

/** How calls to one target travel: a friend connection, or the standard channel (null). */
export type Route = FriendConnection | null;

interface Entry {
  route?: Route;
  deciding?: Promise<Route>;
}

/**
 * Decides once per target (and again after the friend connection drops) how
 * calls travel. A target served by a FriendsGrpcServer in this process is
 * joined in memory without any socket; otherwise a Hello over the standard
 * channel asks the server, and any failure keeps the standard channel.
 */
export class Router {
  private readonly entries = new Map<string, Entry>();
  /** Each channel's target, read once: getTarget() builds a new string on every call. */
  private readonly targets = new WeakMap<Channel, string>();

  constructor(private readonly options: RouteOptions) {}

  /** The target calls on `channel` go to. */
  targetOf(channel: Channel): string {
    let target = this.targets.get(channel);
    if (target === undefined) {
      target = channel.getTarget();
      this.targets.set(channel, target);
    }
    return target;
  }

  /** The decided route, or undefined while it is being decided. */
  peek(target: string): Route | undefined {
    const entry = this.entries.get(target);
    if (!entry || entry.route === undefined) return undefined;
    if (entry.route && !entry.route.usable) {
      this.entries.delete(target);
      return undefined;
    }
    return entry.route;
  }

  decide(channel: Channel): Promise<Route> {
    const target = this.targetOf(channel);
    const known = this.peek(target);
    if (known !== undefined) return Promise.resolve(known);
    let entry = this.entries.get(target);
    if (!entry) {
      entry = {};
      this.entries.set(target, entry);
    }
    if (!entry.deciding) {
      const decided = entry;
      decided.deciding = this.negotiate(channel).then((route) => {
        decided.route = route;
        decided.deciding = undefined;
        return route;
      });
    }
    return entry.deciding!;
  }

  /** Closes every friend connection (the standard channel is the client's to close). */
  close(): void {
    for (const entry of this.entries.values()) entry.route?.close();
    this.entries.clear();
  }

  private connection(target: string, link: FriendConnection['link']): FriendConnection {
    return new FriendConnection(link, () => {
      const entry = this.entries.get(target);
      if (entry?.route?.link === link) this.entries.delete(target);
    });
  }

  private async negotiate(channel: Channel): Promise<Route> {
    const target = this.targetOf(channel);
    const { memory, unix } = this.options;
    if ((!memory && !unix) || friendsDisabledByEnv()) return null;
    const local = memory ? findLocalServer(target) : undefined;
    if (local) {
      const [client, server] = createMemoryLinkPair<CallFrame>(
        { peer: { kind: 'memory', endpoint: target }, copy: memoryCopies.none },
        { peer: { kind: 'memory', endpoint: 'client' }, copy: memoryCopies.none },
      );
      local(server);
      log('%s: memory connection (in-process server)', target);
      return this.connection(target, client);
    }
    const attempt = new HelloAttempt<CallFrame>({
      protocol: GRPC_PROTOCOL,
      memory,
      unix,
      memoryCopy: memoryCopies.none,
      unixCodec: compactCallCodec,
    });
    let answer: HelloAnswerMessage | undefined;
    try {
      answer = await askHello(channel, attempt.hello, this.options.helloTimeoutMs);
    } catch {
      attempt.cancel();
      return null;
    }
    const decision = await attempt.complete(answer ?? undefined);
    if (decision.tier === 'tcp') {
      log('%s: standard channel (%s)', target, decision.reason);
      return null;
    }
    log('%s: %s connection to %s', target, decision.tier, decision.link.peer.kind);
    return this.connection(target, decision.link);
  }
}

/** One Hello over the standard channel (same connection and credentials); undefined when the server does not know it. */
function askHello(
  channel: Channel,
  hello: { v: 1; nonce: string; endpoint?: string; kernel?: string },
  timeoutMs: number,
): Promise<HelloAnswerMessage | undefined> {
  const client = new Client('friends-hello', null as never, { channelOverride: channel });
  const request: HelloRequestMessage = {
    v: 1,
    nonce: hello.nonce,
    endpoint: hello.endpoint ?? '',
    kernel: hello.kernel ?? '',
  };
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      helloMethod.path,
      helloMethod.requestSerialize,
      helloMethod.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err: ServiceError | null, answer?: HelloAnswerMessage) => {
        if (!err) resolve(answer);
        else if (err.code === Status.UNIMPLEMENTED) resolve(undefined);
        else reject(err);
      },
    );
  });
}
