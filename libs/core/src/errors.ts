/** Stable error codes. Match errors by `code`, never by class. */
export const ErrorCodes = {
  /** A frame declared or reached a length above the configured maximum. */
  FRAME_TOO_LARGE: 'FRIENDS_ERR_FRAME_TOO_LARGE',
  /** A length prefix or frame header could not be parsed. */
  BAD_FRAME: 'FRIENDS_ERR_BAD_FRAME',
  /** A frame's body was not valid JSON. */
  BAD_JSON: 'FRIENDS_ERR_BAD_JSON',
  /** The peer stopped sending in the middle of a frame. */
  INCOMPLETE_MESSAGE_TIMEOUT: 'FRIENDS_ERR_INCOMPLETE_MESSAGE_TIMEOUT',
  /** More unflushed output than `maxSendBufferSize` was queued for one connection. */
  SEND_BUFFER_EXCEEDED: 'FRIENDS_ERR_SEND_BUFFER_EXCEEDED',
  /** A unix connection presented no ticket, or a forged, expired or reused one. */
  BAD_TICKET: 'FRIENDS_ERR_BAD_TICKET',
  /** A handshake step did not finish in time. */
  HANDSHAKE_TIMEOUT: 'FRIENDS_ERR_HANDSHAKE_TIMEOUT',
  /** The peer of a handshake answered something that does not follow the protocol. */
  HANDSHAKE_PROTOCOL: 'FRIENDS_ERR_HANDSHAKE_PROTOCOL',
  /** The unix endpoint could not prove it is the server that answered the hello. */
  BAD_SERVER_PROOF: 'FRIENDS_ERR_BAD_SERVER_PROOF',
  /** Something was sent on a link that is already closed. */
  LINK_CLOSED: 'FRIENDS_ERR_LINK_CLOSED',
  /** The socket directory could not be created or is not safe to use. */
  SOCKET_DIR: 'FRIENDS_ERR_SOCKET_DIR',
  /** An option has a value outside its domain. */
  INVALID_OPTION: 'FRIENDS_ERR_INVALID_OPTION',
  /** A feature was switched on whose optional peer dependency (e.g. `@opentelemetry/api`) is not installed. */
  MISSING_PEER: 'FRIENDS_ERR_MISSING_PEER',
  /**
   * The installed @grpc/grpc-js differs from a shape @friends/grpc builds on: a process warning with this
   * code names the version and the shape, and friends steps aside (calls use grpc-js's HTTP/2).
   */
  UNSUPPORTED_GRPC_VERSION: 'FRIENDS_ERR_UNSUPPORTED_GRPC_VERSION',
  /** The installed @nestjs/microservices lacks a piece @friends/nest builds on. */
  UNSUPPORTED_NEST_VERSION: 'FRIENDS_ERR_UNSUPPORTED_NEST_VERSION',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class FriendsError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FriendsError';
    this.code = code;
  }
}

export function isFriendsError(err: unknown, code?: ErrorCode): err is FriendsError {
  const actual = (err as { code?: unknown } | null)?.code;
  return typeof actual === 'string' && actual.startsWith('FRIENDS_ERR_') && (code === undefined || actual === code);
}

/**
 * A frame or message above the receiver's limit, worded as the stock Nest wire
 * words it (its logs then read the same on every tier). `length` is what was
 * measured, if known.
 */
export function frameTooLarge(length?: number): FriendsError {
  const measured = length === undefined ? '' : ` (${length})`;
  return new FriendsError(
    ErrorCodes.FRAME_TOO_LARGE,
    `The packet length${measured} exceeds the maximum allowed length`,
  );
}
