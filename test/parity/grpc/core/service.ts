import type { AsyncLocalStorage } from 'node:async_hooks';
import * as grpc from '@grpc/grpc-js';
import { serializers } from './proto.js';
import { methodName, methodPath, type MethodKind, type Scenario, type ServerCallContext } from './scenario.js';
import { describeServerCall, watchServerCall } from './server-observe.js';
import type { ServerLog } from './server-log.js';
import { sleep } from './timing.js';

const STREAMS: Record<MethodKind, [requestStream: boolean, responseStream: boolean]> = {
  unary: [false, false],
  serverStream: [false, true],
  clientStream: [true, false],
  bidi: [true, true],
};

/** One service with a method per scenario, each with the scenario's kind and codec. */
export function parityService(scenarios: readonly Scenario[]): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const scenario of scenarios) {
    const { serialize, deserialize } = serializers(scenario.codec ?? 'strings');
    const [requestStream, responseStream] = STREAMS[scenario.kind];
    definition[methodName(scenario.id)] = {
      path: methodPath(scenario.id),
      requestStream,
      responseStream,
      requestSerialize: serialize,
      requestDeserialize: deserialize,
      responseSerialize: serialize,
      responseDeserialize: deserialize,
    };
  }
  return definition as grpc.ServiceDefinition;
}

export interface HandlerSite {
  log: ServerLog;
  server: grpc.Server;
  backend: number;
  port: () => number;
  als: AsyncLocalStorage<unknown>;
}

/**
 * The implementation a server registers: each scenario's handler, wrapped so
 * that every invocation opens a log that starts with what the call looked like.
 * Scenarios without a handler are left out (grpc-js answers UNIMPLEMENTED).
 */
export function parityImplementation(
  scenarios: readonly Scenario[],
  site: HandlerSite,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const scenario of scenarios) {
    const handler = scenario.handler;
    if (!handler) continue;
    const path = methodPath(scenario.id);
    // A function, not an arrow: how many arguments the handler gets is part of what it observes.
    implementation[methodName(scenario.id)] = function (call: never, callback: grpc.sendUnaryData<unknown>) {
      const recorder = site.log.open('handler', path, site.backend);
      const rec = recorder.rec;
      rec('handler', { ...(describeServerCall(call, scenario.kind, site.als) as object), arguments: arguments.length });
      watchServerCall(call, recorder, scenario.watchServerCall !== false);
      const context: ServerCallContext = {
        rec,
        server: site.server,
        backend: site.backend,
        port: site.port(),
        als: site.als,
        sleep,
      };
      handler(call, callback, context);
    } as grpc.UntypedHandleCall;
  }
  return implementation;
}
