/**
 * The two ends of a TCP connection as one side sees them. A memory-tier claim
 * is bound to the connection the client opened: the server pairs with a client
 * endpoint only when the connection the hello arrived on is that very
 * connection seen from the other end, so a hello relayed from elsewhere (its
 * endpoint id echoed by a server the client dialled) pairs with nobody.
 */
export interface ConnectionTuple {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

/** The tuple of a connected socket, or undefined when it has no addresses (a unix socket, or closed). */
export function connectionTuple(socket: {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}): ConnectionTuple | undefined {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (!localAddress || !remoteAddress || !localPort || !remotePort) return undefined;
  return { localAddress, localPort, remoteAddress, remotePort };
}

/** An address as both ends write it: an IPv4 client of a dual-stack listener shows up there as ::ffff:a.b.c.d. */
export function canonicalAddress(address: string): string {
  return (address.startsWith('::ffff:') ? address.slice(7) : address).toLowerCase();
}

function sameAddress(a: string, b: string): boolean {
  return canonicalAddress(a) === canonicalAddress(b);
}

/**
 * The client's end of the connection: what a kernel proof is bound to. The
 * client reads it from its own socket, the server from the remote end of the
 * connection the hello came on; destination NAT (a service address) leaves it
 * intact, source NAT or a proxy changes it (and the connection stays on the wire).
 */
export function clientEnd(tuple: ConnectionTuple | undefined, side: 'client' | 'server'): string {
  if (!tuple) return '';
  return side === 'client'
    ? `${canonicalAddress(tuple.localAddress)} ${tuple.localPort}`
    : `${canonicalAddress(tuple.remoteAddress)} ${tuple.remotePort}`;
}

/** True when `theirs` is the connection `mine` seen from its other end. */
export function isSameConnection(mine: ConnectionTuple, theirs: ConnectionTuple): boolean {
  return (
    mine.localPort === theirs.remotePort &&
    mine.remotePort === theirs.localPort &&
    sameAddress(mine.localAddress, theirs.remoteAddress) &&
    sameAddress(mine.remoteAddress, theirs.localAddress)
  );
}
