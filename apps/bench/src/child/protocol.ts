import type { Usage } from '../meter/usage.js';

/** Messages from a server child to the benchmark, over the fork IPC channel. `ports[0]` is its main port. */
export type ChildMessage =
  { type: 'ready'; ports: number[] } | { type: 'failed'; message: string } | { type: 'usage'; usage: Usage };

/** Messages from the benchmark to a server child: stop, or begin and end a metered window. */
export type ParentMessage = { type: 'stop' } | { type: 'meter-begin'; heap: boolean } | { type: 'meter-end' };
