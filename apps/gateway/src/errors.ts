import { HttpException, HttpStatus } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';

const FROM_GRPC: Partial<Record<number, HttpStatus>> = {
  [GrpcStatus.INVALID_ARGUMENT]: HttpStatus.BAD_REQUEST,
  [GrpcStatus.NOT_FOUND]: HttpStatus.NOT_FOUND,
  [GrpcStatus.DEADLINE_EXCEEDED]: HttpStatus.GATEWAY_TIMEOUT,
  [GrpcStatus.UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
};

/**
 * A downstream failure as an HTTP answer: a Nest `RpcException` payload's
 * `status` (the services use HTTP codes there) or a gRPC status code; anything
 * else is a 502 that names the service.
 */
export function httpError(service: string, err: unknown): HttpException {
  if (err instanceof HttpException) return err;
  const e = err as { code?: unknown; details?: unknown; status?: unknown; message?: unknown };
  if (typeof e?.code === 'number' && typeof e.details === 'string') {
    return new HttpException({ service, error: e.details }, FROM_GRPC[e.code] ?? HttpStatus.BAD_GATEWAY);
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpException({ service, error: String(e.message) }, e.status);
  }
  const message = err instanceof Error ? err.message : String(e?.message ?? err);
  return new HttpException({ service, error: message }, HttpStatus.BAD_GATEWAY);
}

/** Runs a downstream call, turning its failure into the HTTP answer for it. */
export async function via<T>(service: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw httpError(service, err);
  }
}
