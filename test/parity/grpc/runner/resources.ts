import { Server, Socket } from 'node:net';
import type { Json } from '../core/describe.js';
import { sleep } from '../core/timing.js';

type Handles = () => unknown[];
const activeHandles = (process as unknown as { _getActiveHandles: Handles })._getActiveHandles.bind(process);

export interface ResourceSnapshot {
  handles: Set<unknown>;
  timers: number;
}

const refTimers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

export function snapshotResources(): ResourceSnapshot {
  return { handles: new Set(activeHandles()), timers: refTimers() };
}

/**
 * What keeps this process alive that was not there at `before` and is not a
 * server's: connections a client opened (sockets of servers' accepted
 * connections carry `.server`) and ref'd timers. Empty means a process that
 * only held this client could exit.
 */
export function clientResources(before: ResourceSnapshot): { handles: string[]; timers: number } {
  const handles = activeHandles()
    .filter((handle) => !before.handles.has(handle))
    .filter(
      (handle) => !(handle instanceof Server) && !(handle instanceof Socket && (handle as { server?: unknown }).server),
    )
    .map((handle) => {
      const inner = (handle as { _handle?: object })._handle;
      return `${(handle as object).constructor.name}(${inner?.constructor.name ?? ''})`;
    })
    .sort();
  return { handles, timers: Math.max(0, refTimers() - before.timers) };
}

/** Polls until the client's resources are gone, or gives up after `limitMs` and reports what is left. */
export async function settledClientResources(before: ResourceSnapshot, limitMs = 200): Promise<Json> {
  const started = Date.now();
  let left = clientResources(before);
  while ((left.handles.length > 0 || left.timers > 0) && Date.now() - started < limitMs) {
    await sleep(10);
    left = clientResources(before);
  }
  return left;
}
