import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  connectionTuple,
  fallbackReason,
  HelloAttempt,
  memoryCopies,
  safeLogText,
  type FallbackReason,
  type Link,
  type TierDecision,
} from '@friends/core/internal';
import { BARRIER_PATTERN, DEFAULT_HOST, DEFAULT_PORT, HELLO_PATTERN, NEST_PROTOCOL, STOCK_IDS } from './constants.js';
import { linkLimits, resolveTiers, type FriendsClientOptions } from './options.js';
import { compactNestCodec, type NestPacket } from './wire.js';

/**
 * Opens the TCP (or TLS) connection a client is made on, as the stock client
 * does: the socket at once, `connected` once it is up. A failed attempt calls
 * `onFailed` with when its socket has closed.
 */
export function openSocket(
  options: FriendsClientOptions,
  onFailed: (closed: Promise<void>) => void,
): { socket: Socket; connected: Promise<void> } {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const socket = options.tlsOptions ? tlsConnect({ ...options.tlsOptions, host, port }) : netConnect({ host, port });
  const connected = new Promise<void>((resolve, reject) => {
    const ready = options.tlsOptions ? 'secureConnect' : 'connect';
    const onError = (err: Error): void => {
      onFailed(new Promise((closed) => socket.once('close', () => closed())));
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once(ready, () => {
      socket.off('error', onError);
      // Writes are coalesced per tick already; Nagle would only hold the next one back for a delayed ACK.
      socket.setNoDelay(true);
      resolve();
    });
  });
  return { socket, connected };
}

/** The hello of a client's new connection, or undefined when both fast tiers are off. */
export function helloAttempt(options: FriendsClientOptions, socket: Socket): HelloAttempt<NestPacket> | undefined {
  const tiers = resolveTiers(options.friends);
  if (!tiers.memory && !tiers.unix) return undefined;
  // A memory claim must come through this very connection: without its addresses, no memory tier.
  const binding = connectionTuple(socket);
  return new HelloAttempt<NestPacket>({
    protocol: NEST_PROTOCOL,
    memory: tiers.memory && binding !== undefined,
    unix: tiers.unix,
    memoryCopy: memoryCopies[options.copy ?? 'json'],
    unixCodec: compactNestCodec,
    linkOptions: linkLimits(options),
    kernelIdentity: options.kernelIdentity,
    // The server must see this very connection: what a server we dialled relays elsewhere gets nothing.
    binding,
    unixTimeoutMs: options.admissionTimeout,
  });
}

/** Why a connection stays on tcp: a counted reason and the text for logs. */
export interface Fallback {
  reason: FallbackReason;
  detail: string;
}

/** What a TierSwitch needs of the client whose connection it decides. */
export interface SwitchHost {
  /** Sends a request on the connection's TCP link, through the client's serializer; returns its id. */
  sendOnTcp(pattern: string, data: unknown): string | number;
  /** The server's answers carry stock ids: so must every request from now on. */
  useStockIds(): void;
  /** The connection moves to `link`: nothing sent on tcp before is still to be taken by the server. */
  moveTo(link: Link<NestPacket>): void;
  /** The connection stays on tcp, for good. */
  stayOnTcp(fallback: Fallback): void;
}

type Phase =
  /** The hello is on its way; calls go on tcp meanwhile. */
  | { name: 'hello'; id: string | number; timer: NodeJS.Timeout }
  /** The answer named a fast tier, whose link is being opened; calls still go on tcp. */
  | { name: 'opening' }
  /** The link is open, and calls sent on tcp since the hello must be taken first: calls wait. */
  | { name: 'barrier'; id: string | number; link: Link<NestPacket>; timer: NodeJS.Timeout }
  | { name: 'done' };

/**
 * The tier decision of one connection, made without holding anything up. The
 * hello goes out first on the TCP connection, and calls follow it at once: a
 * peer that never answers it (a stock peer that answers only the patterns it
 * knows) costs nothing but the hello. When a friends server answers with a
 * fast tier, the connection moves there; if calls or events went on tcp since
 * the hello, a barrier (a request on a reserved pattern, which the server
 * answers once it has taken everything sent before it) comes first, and calls
 * made meanwhile wait for it, so the server takes every call in the order it
 * was made. Anything unexpected leaves the connection on tcp.
 */
export class TierSwitch {
  private phase: Phase = { name: 'done' };
  /** Requests and events sent on tcp since the hello. */
  private sentOnTcp = 0;

  constructor(
    private readonly host: SwitchHost,
    private readonly attempt: HelloAttempt<NestPacket>,
    private readonly timeoutMs: number,
  ) {}

  /** Sends the hello; the decision comes through the host. */
  start(): void {
    let id: string | number;
    try {
      id = this.host.sendOnTcp(HELLO_PATTERN, this.attempt.hello);
    } catch (err) {
      this.fail(`hello could not be sent: ${(err as Error).message}`);
      return;
    }
    const timer = setTimeout(() => this.fail(`no answer to hello in ${this.timeoutMs} ms`), this.timeoutMs);
    timer.unref();
    this.phase = { name: 'hello', id, timer };
  }

  /** Whether calls must wait (the barrier is out). */
  get holding(): boolean {
    return this.phase.name === 'barrier';
  }

  /** Whether the decision is still to be made. */
  get deciding(): boolean {
    return this.phase.name !== 'done';
  }

  /** The link the connection may move to, once open. */
  get next(): Link<NestPacket> | undefined {
    return this.phase.name === 'barrier' ? this.phase.link : undefined;
  }

  /** A request or event went on tcp. */
  noteSent(): void {
    if (this.phase.name !== 'done') this.sentOnTcp++;
  }

  /** Takes the answer to the hello or the barrier; false for any other packet. */
  take(packet: NestPacket): boolean {
    const phase = this.phase;
    if (phase.name === 'hello' && packet.id === phase.id) {
      clearTimeout(phase.timer);
      this.phase = { name: 'opening' };
      void this.decide(packet);
      return true;
    }
    if (phase.name === 'barrier' && packet.id === phase.id) {
      clearTimeout(phase.timer);
      this.phase = { name: 'done' };
      this.host.moveTo(phase.link);
      return true;
    }
    return false;
  }

  /** The connection ended or was let go: nothing more is decided, a link opened for it is closed. */
  cancel(): void {
    const phase = this.phase;
    this.phase = { name: 'done' };
    if (phase.name === 'hello') clearTimeout(phase.timer);
    if (phase.name === 'barrier') {
      clearTimeout(phase.timer);
      phase.link.destroy();
    }
    this.attempt.cancel();
  }

  /** The link opened for the move closed before the move: the connection stays on tcp. */
  lost(link: Link<NestPacket>): void {
    if (this.phase.name !== 'barrier' || this.phase.link !== link) return;
    clearTimeout(this.phase.timer);
    this.phase = { name: 'done' };
    this.host.stayOnTcp({ reason: 'handshake-failed', detail: `the ${link.kind} link closed before the move` });
  }

  private async decide(answer: NestPacket): Promise<void> {
    let decision: TierDecision<NestPacket>;
    try {
      decision = await this.attempt.complete(answer.err ? undefined : answer.response);
    } catch (err) {
      decision = { tier: 'tcp', reason: (err as Error).message };
    }
    if (this.phase.name !== 'opening') {
      // Cancelled meanwhile: the link is nobody's.
      if (decision.tier !== 'tcp') decision.link.destroy();
      return;
    }
    if ((answer.response as { ids?: unknown } | undefined)?.ids === STOCK_IDS) this.host.useStockIds();
    if (decision.tier === 'tcp') {
      this.phase = { name: 'done' };
      this.host.stayOnTcp({
        reason: answer.err === undefined ? fallbackReason(decision.reason) : 'stock-peer',
        detail: safeLogText(decision.reason),
      });
      return;
    }
    if (this.sentOnTcp === 0) {
      this.phase = { name: 'done' };
      this.host.moveTo(decision.link);
      return;
    }
    let id: string | number;
    try {
      id = this.host.sendOnTcp(BARRIER_PATTERN, { v: 1 });
    } catch (err) {
      decision.link.destroy();
      this.fail(`barrier could not be sent: ${(err as Error).message}`);
      return;
    }
    const timer = setTimeout(() => {
      decision.link.destroy();
      this.fail(`no answer to the barrier in ${this.timeoutMs} ms`);
    }, this.timeoutMs);
    timer.unref();
    this.phase = { name: 'barrier', id, link: decision.link, timer };
  }

  private fail(detail: string): void {
    this.phase = { name: 'done' };
    this.attempt.cancel();
    this.host.stayOnTcp({ reason: 'handshake-failed', detail });
  }
}
