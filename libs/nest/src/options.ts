import type { ConnectionOptions, TlsOptions } from 'node:tls';
import { friendsDisabledByEnv, type CopyMode } from '@friends/core/internal';
import type { Deserializer, Serializer } from '@nestjs/microservices';

/** Which fast tiers may be used. `false` (or `FRIENDS=off`) means the standard wire only. */
export type FriendsSwitch = boolean | { memory?: boolean; unix?: boolean };

interface CommonOptions {
  /** Default 'localhost'. */
  host?: string;
  /** Default 3000. */
  port?: number;
  /** Fast tiers. Default: both on. */
  friends?: FriendsSwitch;
  /**
   * How payloads sent by this side are copied on the memory tier: 'json' (default,
   * exactly what the wire does), 'clone' (structuredClone: keeps Dates, Maps...),
   * 'none' (by reference; only for data nobody mutates).
   */
  copy?: CopyMode;
  /** Where unix sockets live. Default `$XDG_RUNTIME_DIR/friends` or `<tmpdir>/friends-<uid>`. */
  socketDir?: string;
  /**
   * Names this machine's kernel for the unix tier, in place of Linux's boot id: only peers that
   * hold the same value take the unix tier. For machines that share a boot id but not a filesystem
   * (hosts modelled with network namespaces on one kernel), or that have none. A secret, as the boot id is.
   */
  kernelIdentity?: string;
  /** Largest inbound message: characters (UTF-16 code units) of its JSON text, as stock counts, on every tier. Default 134,217,728. */
  maxBufferSize?: number;
  /** Idle time in the middle of a frame before the connection is dropped. Default 30,000 ms. */
  incompleteMessageTimeout?: number;
  /** Unflushed output above which the connection is dropped. Default 128 MiB. */
  maxSendBufferSize?: number;
  serializer?: Serializer;
  deserializer?: Deserializer;
  /**
   * OpenTelemetry spans for requests and events, with W3C trace context in the
   * packet metadata (`traceparent`, `tracestate`), so a trace crosses services
   * on every tier. Needs an OpenTelemetry SDK in the process to record
   * anything. Default false: the stock transport sends no such metadata.
   */
  tracing?: boolean;
}

export interface FriendsServerOptions extends CommonOptions {
  /** Serve TLS on the standard port, as the stock transport's `tlsOptions`. */
  tlsOptions?: TlsOptions;
  /** Mode of the unix socket file. Default 0o600 (same user only). */
  socketMode?: number;
  /** Mode of the socket directory when it is created. Default 0o700. */
  socketDirMode?: number;
  /**
   * How long `close()` lets requests in flight finish, after it stops accepting
   * connections and dispatching what arrives; requests whose client went away
   * are not waited for. Default 0: like the stock server, connections drop at once.
   */
  shutdownGracePeriod?: number;
  /** Time a unix connection has to present its ticket before it is closed. Default 5,000 ms. */
  admissionTimeout?: number;
  /** @deprecated The former name of `admissionTimeout`. */
  handshakeTimeout?: number;
  /** Lifetime of a unix admission ticket. Default 10,000 ms. */
  ticketTtl?: number;
}

export interface FriendsClientOptions extends CommonOptions {
  /** Connect with TLS, as the stock transport's `tlsOptions`. */
  tlsOptions?: ConnectionOptions;
  /** Longest wait for the hello's answer before staying on the standard wire. Default 5,000 ms. */
  helloTimeout?: number;
  /** Longest wait for the unix socket to connect and admit this client before staying on the standard wire. Default 2,000 ms. */
  admissionTimeout?: number;
}

export interface ResolvedTiers {
  memory: boolean;
  unix: boolean;
}

/** The fast tiers in force: the option, overridden by `FRIENDS=off` (read at connect/listen time). */
export function resolveTiers(option: FriendsSwitch | undefined): ResolvedTiers {
  if (friendsDisabledByEnv() || option === false) return { memory: false, unix: false };
  if (option === undefined || option === true) return { memory: true, unix: true };
  return { memory: option.memory ?? true, unix: option.unix ?? true };
}
