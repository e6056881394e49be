import { ErrorCodes, FriendsError } from '@friends/core/internal';
import type { InvalidTcpDataReceptionException } from '@nestjs/microservices/errors/invalid-tcp-data-reception.exception.js';

/**
 * Exceptions of @nestjs/microservices that its package root does not export,
 * which friends throws or logs as the stock TCP transport does (an application
 * may match them by class). Every 11.x and 12 ships the first two at these
 * paths; `nestHost()` checks them.
 */
export { InvalidMessageException } from '@nestjs/microservices/errors/invalid-message.exception.js';
export { NetSocketClosedException } from '@nestjs/microservices/errors/net-socket-closed.exception.js';

export type InvalidTcpDataReception = typeof InvalidTcpDataReceptionException;

let loading: Promise<InvalidTcpDataReception> | undefined;

/**
 * The exception the stock server logs a connection's errors with. Nest 11
 * before 11.1.6 or so has none (nor the other shapes friends needs, which
 * `nestHost()` names first), so it is imported when a server starts listening
 * rather than with this module, which must load on any Nest.
 */
export function invalidTcpDataReception(): Promise<InvalidTcpDataReception> {
  loading ??= import('@nestjs/microservices/errors/invalid-tcp-data-reception.exception.js')
    .then(
      (module: { InvalidTcpDataReceptionException?: InvalidTcpDataReception }) => {
        if (typeof module.InvalidTcpDataReceptionException === 'function')
          return module.InvalidTcpDataReceptionException;
        throw new Error('it exports no InvalidTcpDataReceptionException');
      },
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    )
    .catch((err: unknown) => {
      throw new FriendsError(
        ErrorCodes.UNSUPPORTED_NEST_VERSION,
        `@nestjs/microservices is not supported by @friends/nest: errors/invalid-tcp-data-reception.exception.js: ${(err as Error).message}`,
        { cause: err },
      );
    });
  return loading;
}
