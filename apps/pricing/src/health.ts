import * as grpc from '@grpc/grpc-js';
import type { ServingStatus } from './protos.js';

type CheckCall = grpc.ServerUnaryCall<{ service: string }, { status: ServingStatus }>;
type WatchCall = grpc.ServerWritableStream<{ service: string }, { status: ServingStatus }>;

/**
 * The standard health service (grpc.health.v1): `Check` answers at once,
 * `Watch` streams the status now and on every change. The empty service name
 * stands for the whole server.
 */
export class HealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<WatchCall>>();

  constructor(services: readonly string[]) {
    this.set('', 'SERVING');
    for (const service of services) this.set(service, 'SERVING');
  }

  set(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const call of this.watchers.get(service) ?? []) call.write({ status });
  }

  /** Everything NOT_SERVING: for a server about to shut down. */
  shutdown(): void {
    for (const service of this.statuses.keys()) this.set(service, 'NOT_SERVING');
  }

  readonly handlers: grpc.UntypedServiceImplementation = {
    Check: (call: CheckCall, callback: grpc.sendUnaryData<{ status: ServingStatus }>) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      else callback(null, { status });
    },
    Watch: (call: WatchCall) => {
      const service = call.request.service;
      let watchers = this.watchers.get(service);
      if (!watchers) this.watchers.set(service, (watchers = new Set()));
      watchers.add(call);
      call.write({ status: this.statuses.get(service) ?? 'SERVICE_UNKNOWN' });
      call.on('cancelled', () => watchers.delete(call));
    },
  };
}
