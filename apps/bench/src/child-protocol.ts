/** Messages between the benchmark and a server child, over the fork IPC channel. */
/** `ports`: every port the child serves, `port` being the first. */
export type ChildMessage = { type: 'ready'; port: number; ports: number[] } | { type: 'failed'; message: string };

export type ParentMessage = { type: 'stop' };
