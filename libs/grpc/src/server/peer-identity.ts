import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * What grpc-js's server reads from `stream.session.socket`: the peer's and
 * our addresses (getPeer, getConnectionInfo, channelz) and, over TLS, that the
 * peer was authorized and its certificate (getAuthContext, channelz). A friend
 * link shows the connection its friendship was agreed on, captured then, so a
 * handler sees the same identity on every tier, and a link outliving that
 * connection still has it.
 */
export interface PeerIdentity {
  socket: object;
  encrypted: boolean;
}

export function peerIdentity(socket: Socket): PeerIdentity {
  const fields: PropertyDescriptorMap = {
    remoteAddress: { value: socket.remoteAddress },
    remotePort: { value: socket.remotePort },
    remoteFamily: { value: socket.remoteFamily },
    localAddress: { value: socket.localAddress },
    localPort: { value: socket.localPort },
  };
  if (!(socket instanceof TLSSocket)) return { socket: Object.create(null, fields) as object, encrypted: false };
  const peerCertificate = socket.getPeerCertificate();
  const certificate = socket.getCertificate();
  const cipher = socket.getCipher();
  const authorized = socket.authorized;
  // grpc-js tells TLS apart with `instanceof TLSSocket`.
  const view = Object.create(TLSSocket.prototype, {
    ...fields,
    authorized: { value: authorized },
    encrypted: { value: true },
    getPeerCertificate: { value: () => peerCertificate },
    getCertificate: { value: () => certificate },
    getCipher: { value: () => cipher },
  }) as object;
  return { socket: view, encrypted: true };
}
