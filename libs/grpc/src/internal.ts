/** Pieces of @friends/grpc its tests and benchmarks reach for. Not a public API: it changes without notice. */
export { compactStreamCodec, encodeBatch, type FrameBatch, type StreamFrame } from './h2/frames.js';
export { encodeFields, receiveBlock } from './h2/received-headers.js';
export { handshakeService } from './handshake.js';
export { grpcVerdict } from './seams/guard.js';
