/** Where the gateway finds its services, and where it listens. */
export interface GatewayConfig {
  /** HTTP port (0: any free port). */
  httpPort: number;
  httpHost: string;
  catalog: { host: string; port: number; friends: boolean };
  pricing: { target: string; friends: boolean };
  inventory: { host: string; port: number; friends: boolean };
}
