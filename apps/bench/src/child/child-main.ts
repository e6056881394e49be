import { ProcessMeter } from '../meter/process-meter.js';
import type { ChildMessage, ParentMessage } from './protocol.js';

/** A started server, as a child process reports it. */
export interface ChildService {
  /** Every port it serves, the main one first (none for a unix socket server). */
  ports: number[];
  close(): Promise<void>;
}

function tell(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, () => resolve());
  });
}

/**
 * The child side of `ChildServer`: start, report the ports, take metered
 * windows when asked, close and exit when told to stop.
 */
export async function serveInChild(start: () => Promise<ChildService>): Promise<void> {
  // Losing the parent (crash, SIGKILL) must not leave this server running.
  process.on('disconnect', () => process.exit(0));
  try {
    const service = await start();
    const meter = new ProcessMeter();
    process.on('message', (message: ParentMessage) => {
      switch (message.type) {
        case 'stop':
          service.close().finally(() => process.exit(0));
          break;
        case 'meter-begin':
          meter.begin(message.heap);
          break;
        case 'meter-end':
          void tell({ type: 'usage', usage: meter.endNow() });
          break;
      }
    });
    await tell({ type: 'ready', ports: service.ports });
  } catch (err) {
    await tell({ type: 'failed', message: (err as Error).message });
    process.exit(1);
  }
}
