import { createRequire } from 'node:module';
import type { InvalidMessageException } from '@nestjs/microservices/errors/invalid-message.exception.js';
import type { InvalidTcpDataReceptionException } from '@nestjs/microservices/errors/invalid-tcp-data-reception.exception.js';
import type { NetSocketClosedException } from '@nestjs/microservices/errors/net-socket-closed.exception.js';

/**
 * Exceptions of @nestjs/microservices that its package root does not export,
 * which friends throws or logs as the stock TCP transport does (an application
 * may match them by class). They are looked up when the first FriendsServer or
 * FriendsClient is made, not imported: a Nest that lacks one (early 11.x has no
 * InvalidTcpDataReceptionException) then fails `nestHost()`'s check with a
 * coded error naming it, instead of this package failing to load.
 */
export interface NestErrors {
  InvalidMessageException?: typeof InvalidMessageException;
  InvalidTcpDataReceptionException?: typeof InvalidTcpDataReceptionException;
  NetSocketClosedException?: typeof NetSocketClosedException;
}

const FILES: Record<keyof NestErrors, string> = {
  InvalidMessageException: 'invalid-message.exception.js',
  InvalidTcpDataReceptionException: 'invalid-tcp-data-reception.exception.js',
  NetSocketClosedException: 'net-socket-closed.exception.js',
};

let found: NestErrors | undefined;

/** The classes, or undefined for each the installed Nest lacks. Nest 12's ES modules load through require() (Node ≥ 20.19). */
export function nestErrors(): NestErrors {
  if (found) return found;
  const require = createRequire(import.meta.url);
  const errors: NestErrors = {};
  for (const [name, file] of Object.entries(FILES) as [keyof NestErrors, string][]) {
    try {
      const exported = (require(`@nestjs/microservices/errors/${file}`) as Record<string, unknown>)[name];
      if (typeof exported === 'function') Object.assign(errors, { [name]: exported });
    } catch {
      // Missing: nestHost() names it.
    }
  }
  found = errors;
  return errors;
}

/** The class, once nestHost() has checked that the installed Nest has it. */
export function nestError<K extends keyof NestErrors>(name: K): NonNullable<NestErrors[K]> {
  return nestErrors()[name]!;
}
