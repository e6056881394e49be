import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { MessageCodec } from '../codec/codec.js';
import { encodeCompactFrame, splitFirstCompactFrame } from '../codec/compact-framing.js';
import { ErrorCodes, FriendsError } from '../errors.js';
import type { Link } from '../links/link.js';
import type { MemoryCopy } from '../links/memory-link.js';
import { SOCKET_LINK_DEFAULTS, SocketLink, type SocketLinkOptions } from '../links/socket-link.js';
import { AUTH_FRAME, AUTH_MAX_FRAME, AUTH_OK_FRAME, type HelloRequest, parseAnswer } from './hello.js';
import { kernelProof, resolveKernelIdentity, sameSecret, unixAnswerProof } from './host-identity.js';
import { clientEnd, type ConnectionTuple } from './binding.js';
import { openPendingEndpoint, type PendingEndpoint } from './registry.js';
import { openUnixTarget, type UnixTarget } from './unix-target.js';

export interface ConnectorOptions<M> {
  protocol: string;
  memory: boolean;
  unix: boolean;
  /** How this side copies what it sends on the memory tier. */
  memoryCopy: MemoryCopy;
  unixCodec: MessageCodec<M>;
  linkOptions?: SocketLinkOptions;
  /** Time the unix connect and admission may take before falling back (default 2 s). */
  unixTimeoutMs?: number;
  kernelIdentity?: string | null;
  /**
   * The connection the hello travels on, as this side sees it: a memory claim must come through it,
   * and the kernel proof is bound to its client end. Without it, only a server that has none either
   * (the hello did not come over TCP) grants unix.
   */
  binding?: ConnectionTuple;
}

/** The outcome: a friend link, or stay on the standard wire (and why, for logs). */
export type TierDecision<M> = { tier: 'memory' | 'unix'; link: Link<M> } | { tier: 'tcp'; reason: string };

/**
 * The client side of one tier decision. Send `hello` over the real connection,
 * then pass whatever came back to `complete()` — including nothing, when the
 * peer is stock. `complete()` never rejects: every failure decides 'tcp'.
 */
export class HelloAttempt<M> {
  readonly hello: HelloRequest;
  private readonly endpoint: PendingEndpoint | undefined;
  /** The kernel identity this hello proved, when it asked for the unix tier. */
  private readonly identity: string | undefined;
  private done = false;

  constructor(private readonly options: ConnectorOptions<M>) {
    const nonce = randomBytes(16).toString('hex');
    this.hello = { v: 1, nonce };
    if (options.memory) {
      this.endpoint = openPendingEndpoint(options.protocol, options.memoryCopy, {
        maxMessageLength: options.linkOptions?.maxFrameSize ?? SOCKET_LINK_DEFAULTS.maxFrameSize,
        binding: options.binding,
      });
      this.hello.endpoint = this.endpoint.id;
    }
    const identity = resolveKernelIdentity(options.kernelIdentity);
    if (options.unix && identity !== null) {
      this.identity = identity;
      this.hello.kernel = kernelProof(identity, nonce, clientEnd(options.binding, 'client'));
    }
  }

  async complete(answerData: unknown): Promise<TierDecision<M>> {
    if (this.done) return { tier: 'tcp', reason: 'attempt already completed' };
    this.done = true;
    const endpointLink = this.endpoint?.link as Link<M> | undefined;
    if (this.endpoint) this.endpoint.link = undefined;
    this.endpoint?.cancel();
    const answer = parseAnswer(answerData);
    if (answer?.tier === 'memory' && endpointLink) return { tier: 'memory', link: endpointLink };
    endpointLink?.destroy();
    if (!answer) return { tier: 'tcp', reason: 'peer does not speak friends' };
    if (answer.tier === 'memory') return { tier: 'tcp', reason: 'memory answer without an endpoint' };
    if (answer.tier === 'tcp') return { tier: 'tcp', reason: answer.reason };
    // Nothing on the path is touched unless this hello asked for unix and the server proved this kernel.
    if (this.identity === undefined) return { tier: 'tcp', reason: 'unix answer to a hello that did not ask for it' };
    const proof = unixAnswerProof(this.identity, this.hello.nonce, answer.path, answer.ticket);
    if (!sameSecret(proof, answer.proof)) return { tier: 'tcp', reason: 'unix answer without proof of this kernel' };
    try {
      return { tier: 'unix', link: await this.openUnix(answer.path, answer.ticket) };
    } catch (err) {
      return { tier: 'tcp', reason: `unix: ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}` };
    }
  }

  /** Gives up (the hello failed or timed out); releases the pending endpoint. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.endpoint?.cancel();
  }

  /**
   * Connects to the socket a proven answer named and redeems the ticket. One
   * timeout covers it all; the path is resolved off the event loop.
   */
  private openUnix(path: string, ticket: string): Promise<Link<M>> {
    const { options } = this;
    const nonce = this.hello.nonce;
    return new Promise((resolve, reject) => {
      let settled = false;
      let target: UnixTarget | undefined;
      let socket: Socket | undefined;
      const timer = setTimeout(
        () => fail(new FriendsError(ErrorCodes.HANDSHAKE_TIMEOUT, `Unix admission at ${path} timed out`)),
        options.unixTimeoutMs ?? 2_000,
      );
      timer.unref();
      const cleanup = (): void => {
        settled = true;
        clearTimeout(timer);
        target?.release();
        socket?.off('data', onData);
        socket?.off('error', fail);
        socket?.off('close', onClose);
      };
      const fail = (err: Error): void => {
        if (settled) return;
        cleanup();
        socket?.destroy();
        reject(err);
      };
      const onClose = (): void =>
        fail(new FriendsError(ErrorCodes.BAD_SERVER_PROOF, `Unix endpoint ${path} closed during admission`));
      let received: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        let split;
        try {
          split = splitFirstCompactFrame(received, { maxFrameSize: AUTH_MAX_FRAME });
        } catch (err) {
          fail(err as Error);
          return;
        }
        if (!split) return;
        const { frame, rest } = split;
        if (frame.type !== AUTH_OK_FRAME || !sameSecret(frame.payload.toString('latin1'), nonce)) {
          fail(
            new FriendsError(ErrorCodes.BAD_SERVER_PROOF, `Unix endpoint ${path} did not prove it answered the hello`),
          );
          return;
        }
        const connected = socket!;
        cleanup();
        // The server may speak first: what followed the proof in this read belongs to the link.
        resolve(
          new SocketLink<M>('unix', connected, { kind: 'unix', path }, options.unixCodec, options.linkOptions, rest),
        );
      };
      openUnixTarget(path, () => settled).then(
        (opened) => {
          if (settled) {
            opened.release();
            return;
          }
          target = opened;
          socket = connect(opened.connectPath);
          socket.once('connect', () => {
            target?.release();
            socket!.write(encodeCompactFrame(AUTH_FRAME, 0, ticket));
          });
          socket.on('data', onData);
          socket.on('error', fail);
          socket.on('close', onClose);
        },
        (err: Error) => fail(err),
      );
    });
  }
}
