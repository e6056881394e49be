import { createServer, type AddressInfo } from 'node:net';

/** The only address the benchmark listens on or connects to. */
export const LOOPBACK = '127.0.0.1';

/** A port the kernel just handed out and released, for a server that cannot bind port 0 and tell us. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
