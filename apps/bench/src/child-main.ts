import type { ChildMessage, ParentMessage } from './child-protocol.js';

/** A started server, as a child process reports it. */
export interface ChildService {
  port: number;
  /** When it serves more than one: all of them, `port` first. */
  ports?: number[];
  close(): Promise<void>;
}

function tell(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, () => resolve());
  });
}

/** The child side of `ChildServer`: start, report the port, close and exit when asked. */
export async function serveInChild(start: () => Promise<ChildService>): Promise<void> {
  // Losing the parent (crash, SIGKILL) must not leave this server running.
  process.on('disconnect', () => process.exit(0));
  try {
    const service = await start();
    process.on('message', (message: ParentMessage) => {
      if (message.type !== 'stop') return;
      service.close().finally(() => process.exit(0));
    });
    await tell({ type: 'ready', port: service.port, ports: service.ports ?? [service.port] });
  } catch (err) {
    await tell({ type: 'failed', message: (err as Error).message });
    process.exit(1);
  }
}
