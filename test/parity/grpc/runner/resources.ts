import { Server, Socket } from 'node:net';
import type { Json } from '../core/describe.js';
import { sleep } from '../core/timing.js';

type Handles = () => object[];
const activeHandles = (process as unknown as { _getActiveHandles: Handles })._getActiveHandles.bind(process);

export type ResourceSnapshot = Set<object>;

export function snapshotResources(): ResourceSnapshot {
  return new Set(activeHandles());
}

/**
 * Handles that keep this process alive, were not there at `before`, and are
 * not a server's (sockets of servers' accepted connections carry `.server`):
 * the connections a client opened. None left means a process that only held
 * this client could exit. Timers are not counted: a ref'd timer cannot be
 * told apart from one of the servers in this process, which come and go.
 */
export function clientResources(before: ResourceSnapshot): string[] {
  return activeHandles()
    .filter((handle) => !before.has(handle))
    .filter(
      (handle) => !(handle instanceof Server) && !(handle instanceof Socket && (handle as { server?: unknown }).server),
    )
    .map((handle) => `${handle.constructor.name}(${(handle as { _handle?: object })._handle?.constructor.name ?? ''})`)
    .sort();
}

/** Polls until the client's connections are gone, or gives up after `limitMs` and reports what is left. */
export async function settledClientResources(before: ResourceSnapshot, limitMs = 60): Promise<Json> {
  const started = Date.now();
  let left = clientResources(before);
  while (left.length > 0 && Date.now() - started < limitMs) {
    await sleep(10);
    left = clientResources(before);
  }
  return left;
}
