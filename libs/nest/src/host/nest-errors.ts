/**
 * Exceptions of @nestjs/microservices that its package root does not export,
 * which friends throws or logs as the stock TCP transport does (an application
 * may match them by class). Both supported majors ship them at these paths;
 * `nestHost()` checks that each is a class.
 */
export { InvalidMessageException } from '@nestjs/microservices/errors/invalid-message.exception.js';
export { InvalidTcpDataReceptionException } from '@nestjs/microservices/errors/invalid-tcp-data-reception.exception.js';
export { NetSocketClosedException } from '@nestjs/microservices/errors/net-socket-closed.exception.js';
