/** The three ways two endpoints can be connected, best first. */
export type Tier = 'memory' | 'unix' | 'tcp';

export const TIERS: readonly Tier[] = ['memory', 'unix', 'tcp'];

/** Where the other end of a link is. Decided once, in the handshake. */
export type PeerAddress =
  { kind: 'memory'; endpoint: string } | { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** OpenTelemetry `network.transport` for each tier. */
export function networkTransport(tier: Tier): 'inproc' | 'unix' | 'tcp' {
  return tier === 'memory' ? 'inproc' : tier;
}

export function describePeer(peer: PeerAddress): string {
  switch (peer.kind) {
    case 'memory':
      return `memory:${peer.endpoint}`;
    case 'unix':
      return `unix:${peer.path}`;
    case 'tcp':
      return `tcp:${peer.host.includes(':') ? `[${peer.host}]` : peer.host}:${peer.port}`;
  }
}
