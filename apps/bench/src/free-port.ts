import { createServer, type AddressInfo } from 'node:net';
import { LOOPBACK } from './server-kind.js';

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
