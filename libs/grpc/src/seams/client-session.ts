/**
 * The HTTP/2 client sessions grpc-js opens (its `Http2SubchannelConnector`):
 * a friend link stands in for one, so the limits grpc-js leaves Node to apply
 * there apply on the link too. grpc-js 1.10 to 1.12 and 1.14 lift Node's
 * limit on the header block a client sends; 1.13 leaves Node's default, so a
 * request whose headers exceed it is refused before it leaves this process.
 *
 * When a session counts as connected differs too: grpc-js 1.10 to 1.12 take
 * it at the socket's 'connect', before any frame was written, so the first
 * calls find nothing in flight on it; 1.13 and 1.14 at the server's settings,
 * as the acknowledgment goes out. Any other way counts as 1.14's (no check:
 * it changes only which of the two goes first, the end or the reset).
 */
import { grpcModule, type Shape } from './shape.js';

/**
 * Node's default `maxSendHeaderBlockLength`, measured as nghttp2 bounds a
 * block: 12 bytes, and 12 more plus the octets of name and value per field.
 */
export const NODE_MAX_SEND_HEADER_BLOCK = 65_536;

const connectorSource = (): string | undefined => {
  const connector = grpcModule<{ Http2SubchannelConnector: Function }>('transport').Http2SubchannelConnector;
  return typeof connector === 'function' ? Function.prototype.toString.call(connector) : undefined;
};

/** How grpc-js sets the header block limit of its sessions: each assignment's value. */
function headerBlockSettings(source: string): string[] {
  return [...source.matchAll(/\bmaxSendHeaderBlockLength\s*[:=]\s*([^,;\n}]+)/g)].map((m) => m[1]!.trim());
}

/** The session event grpc-js takes as "connected", if it is one of these two. */
function readyEvent(source: string): 'connect' | 'remoteSettings' | undefined {
  const found = /\bsession\.once\(\s*['"](connect|remoteSettings)['"]/.exec(source);
  return found?.[1] as 'connect' | 'remoteSettings' | undefined;
}

export const clientSessionShapes: readonly Shape[] = [
  {
    seam: 'client-session',
    name: "grpc-js's client sessions lift Node's header block limit (maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER) or leave Node's default",
    differs: () => {
      const source = connectorSource();
      if (source === undefined) return 'build/src/transport.js has no Http2SubchannelConnector';
      const other = headerBlockSettings(source).filter((value) => value !== 'Number.MAX_SAFE_INTEGER');
      return other.length > 0 ? `sets it to ${other.join(', ')}` : undefined;
    },
  },
];

export interface ClientSessionSeam {
  /** The largest header block (as nghttp2 bounds it) a request may carry; Infinity for no limit. */
  readonly maxSendHeaderBlock: number;
  /**
   * A session is connected before any frame went out (1.10 to 1.12): a call reset
   * as it is sent finds nothing in flight, and Node writes the reset right
   * behind the request, before the end (which waits for the request's
   * write). Connected at the server's settings (1.13, 1.14), the acknowledgment is
   * still being written: the reset waits for it, and the end goes first.
   */
  readonly idleWhenReady: boolean;
}

export function clientSessionSeam(): ClientSessionSeam {
  const source = connectorSource()!;
  const lifted = headerBlockSettings(source).length > 0;
  return {
    maxSendHeaderBlock: lifted ? Infinity : NODE_MAX_SEND_HEADER_BLOCK,
    idleWhenReady: readyEvent(source) === 'connect',
  };
}
