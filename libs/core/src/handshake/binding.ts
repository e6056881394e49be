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

/** An IPv4 client of a dual-stack listener shows up as ::ffff:a.b.c.d on the listener's side. */
function sameAddress(a: string, b: string): boolean {
  const bare = (x: string): string => (x.startsWith('::ffff:') ? x.slice(7) : x).toLowerCase();
  return bare(a) === bare(b);
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
