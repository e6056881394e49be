/**
 * The grpc-js pieces that are not public API, in one place. @grpc/grpc-js is
 * pinned to an exact version; test/grpc/internals.spec.ts fails loudly if these
 * shapes change.
 */
import { createRequire } from 'node:module';
import type { Metadata, ServerDuplexStream, ServerWritableStream } from '@grpc/grpc-js';
import type { ServerInterceptingCallInterface } from '@grpc/grpc-js/build/src/server-interceptors.js';
import type { PartialStatusObject } from '@grpc/grpc-js/build/src/call-interface.js';

const require = createRequire(import.meta.url);

interface ServerCallModule {
  ServerWritableStreamImpl: new (
    path: string,
    call: ServerInterceptingCallInterface,
    metadata: Metadata,
    request: unknown,
  ) => ServerWritableStream<unknown, unknown>;
  ServerDuplexStreamImpl: new (
    path: string,
    call: ServerInterceptingCallInterface,
    metadata: Metadata,
  ) => ServerDuplexStream<unknown, unknown>;
  serverErrorToStatus(error: unknown, overrideTrailers?: Metadata): PartialStatusObject;
}

interface OrcaModule {
  PerRequestMetricRecorder: new () => unknown;
}

export const serverCall = require('@grpc/grpc-js/build/src/server-call.js') as ServerCallModule;
export const orca = require('@grpc/grpc-js/build/src/orca.js') as OrcaModule;
export type { ServerInterceptingCallInterface, PartialStatusObject };
