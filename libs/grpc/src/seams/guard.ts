/**
 * Whether the installed grpc-js is one friends can stand under. Every shape
 * friends assumes, seam by seam, is listed below; the static ones are checked
 * once, at friends' first use (the first friends channel, the first
 * FriendsGrpcServer), never at import. When one does not hold, friends steps
 * aside for the whole process: channels are grpc-js's own, servers serve as
 * grpc.Server does, one warning (FRIENDS_ERR_UNSUPPORTED_GRPC_VERSION) names
 * the version and the shape, and tiers report `tcp` with reason
 * `unsupported-grpc`. A runtime shape that fails where it happens makes that
 * one connection or address step aside the same way (same warning, once).
 */
import { debuglog } from 'node:util';
import { ErrorCodes, type FallbackReason } from '@friends/core/internal';
import { clientSessionSeam, clientSessionShapes, type ClientSessionSeam } from './client-session.js';
import { lbSeam, lbShapes, type LbSeam } from './lb.js';
import { serverCallShapes } from './server-call.js';
import { serverPortShapes } from './server-ports.js';
import { grpcJsVersion, type Shape } from './shape.js';
import { subchannelCallSeam, subchannelCallShapes, type SubchannelCallSeam } from './subchannel-call.js';
import { subchannelShapes } from './subchannel.js';

const log = debuglog('friends');

/** Every grpc-js shape friends depends on, in one place. */
export const GRPC_SHAPES: readonly Shape[] = [
  ...lbShapes,
  ...subchannelShapes,
  ...subchannelCallShapes,
  ...clientSessionShapes,
  ...serverPortShapes,
  ...serverCallShapes,
];

/** The adapters of the seams whose use differs between grpc-js minors, decided once. */
export interface GrpcSeams {
  readonly lb: LbSeam;
  readonly call: SubchannelCallSeam;
  readonly session: ClientSessionSeam;
}

export interface ShapeDifference {
  /** The installed grpc-js's version. */
  version: string;
  shape: Shape;
  /** What was found instead. */
  detail: string;
}

export type GrpcVerdict = { supported: true; seams: GrpcSeams } | ({ supported: false } & ShapeDifference);

/** The fallback reason of a connection that stayed on HTTP/2 because grpc-js is not what friends builds on. */
export const UNSUPPORTED_GRPC: FallbackReason = 'unsupported-grpc';

let verdict: GrpcVerdict | undefined;
let warned = false;

/** Each static shape: undefined when it holds, else what differs. Never throws. */
export function checkShape(shape: Shape): string | undefined {
  if (!shape.differs) return undefined;
  try {
    return shape.differs();
  } catch (err) {
    return `could not be read (${(err as Error).message})`;
  }
}

/** The verdict on the installed grpc-js: checked on first call, then remembered. */
export function grpcVerdict(): GrpcVerdict {
  if (verdict) return verdict;
  for (const shape of GRPC_SHAPES) {
    const detail = checkShape(shape);
    if (detail !== undefined) {
      verdict = { supported: false, version: grpcJsVersion(), shape, detail };
      warnOnce(verdict);
      return verdict;
    }
  }
  verdict = {
    supported: true,
    seams: { lb: lbSeam(), call: subchannelCallSeam(), session: clientSessionSeam() },
  };
  return verdict;
}

/**
 * A runtime shape that did not hold where it happened: the caller keeps that
 * connection or address on HTTP/2; the process hears of it once.
 */
export function shapeMismatch(shape: Shape, detail: string): void {
  log('grpc-js %s: %s: %s (%s)', grpcJsVersion(), shape.seam, shape.name, detail);
  warnOnce({ version: grpcJsVersion(), shape, detail });
}

/** What a warning says of a difference. */
export function describeDifference(difference: ShapeDifference): string {
  return (
    `@grpc/grpc-js ${difference.version} differs from what @friends/grpc builds on ` +
    `(${difference.shape.seam}: ${difference.shape.name}: ${difference.detail}); ` +
    'friends steps aside: calls use grpc-js over HTTP/2, as without friends.'
  );
}

function warnOnce(difference: ShapeDifference): void {
  if (warned) return;
  warned = true;
  process.emitWarning(describeDifference(difference), { code: ErrorCodes.UNSUPPORTED_GRPC_VERSION });
}
