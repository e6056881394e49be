/** Pieces of @friends/nest its tests and benchmarks reach for. Not a public API: it changes without notice. */
export { NO_MESSAGE_HANDLER } from './constants.js';
export { compactNestCodec, type NestPacket } from './wire.js';
