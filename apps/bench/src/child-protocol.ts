/** Messages between the benchmark and a server child, over the fork IPC channel. */
export type ChildMessage = { type: 'ready'; port: number } | { type: 'failed'; message: string };

export type ParentMessage = { type: 'stop' };
