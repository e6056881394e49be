/** Patterns of the benchmark's handlers. */
export const PATTERNS = {
  echo: 'bench.echo',
  stream: 'bench.stream',
  event: 'bench.event',
  flush: 'bench.flush',
} as const;

export interface EchoPayload {
  s: string;
}

/** An event: its client's sink id (8 characters) and padding. */
export interface EventPayload {
  k: string;
  s: string;
}

export interface StreamRequest {
  count: number;
  bytes: number;
}

export interface FlushRequest {
  sink: string;
  expected: number;
}

/** `{"s":"xx…"}`: exactly `bytes` bytes of JSON. */
export function echoPayload(bytes: number): EchoPayload {
  return { s: 'x'.repeat(bytes - '{"s":""}'.length) };
}

/** `{"k":"<sink>","s":"xx…"}`: exactly `bytes` bytes of JSON for an 8-character sink id. */
export function eventPayload(sink: string, bytes: number): EventPayload {
  if (sink.length !== 8) throw new Error('sink ids are 8 characters');
  return { k: sink, s: 'x'.repeat(Math.max(0, bytes - '{"k":"12345678","s":""}'.length)) };
}
