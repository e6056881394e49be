import { ClientGrpcProxy } from '@nestjs/microservices';
import * as grpc from '@grpc/grpc-js';
import { from, type Observable } from 'rxjs';
import { nestGrpcOptions } from '../core/nest-options.js';
import type { ClientContext, Scenario } from '../core/scenario.js';

type NestService = Record<string, (request: unknown, metadata?: grpc.Metadata) => Observable<unknown>>;

/** A Nest ClientGrpc with the placement's client options as `channelOptions`; records what the Observable emits. */
async function withNestClient(
  t: ClientContext,
  use: (
    service: NestService,
    record: (label: string, observable: Observable<unknown>) => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const proxy = new ClientGrpcProxy({ ...nestGrpcOptions(t.target), channelOptions: t.placementOptions() } as never);
  const service = proxy.getService<NestService>('Nest');
  const record = (label: string, observable: Observable<unknown>) => {
    const note = t.log(label);
    return new Promise<void>((resolve) =>
      observable.subscribe({
        next: (value) => note('next', value),
        error: (error) => {
          note('error', error);
          resolve();
        },
        complete: () => {
          note('complete');
          resolve();
        },
      }),
    );
  };
  try {
    await use(service, record);
  } finally {
    proxy.close();
  }
}

function nestScenario(name: string, method: string, run: Parameters<typeof withNestClient>[1]): Scenario {
  return {
    id: `nest/${name}`,
    kind: 'unary',
    server: 'nest',
    paths: [`/parity.Nest/${method}`],
    client: (t) => withNestClient(t, run),
  };
}

export const NEST_SCENARIOS: Scenario[] = [
  nestScenario('unary', 'Unary', (service, record) => record('Unary', service.Unary!({ text: 'hi', n: 1 }))),
  nestScenario('rpc-exception', 'Fail', (service, record) =>
    record('Fail', service.Fail!({ text: 'such thing', n: grpc.status.NOT_FOUND })),
  ),
  nestScenario('metadata', 'Meta', (service, record) => {
    const metadata = new grpc.Metadata();
    metadata.set('x-token', 'nest-token');
    return record('Meta', service.Meta!({ text: 'md' }, metadata));
  }),
  nestScenario('server-stream', 'Stream', (service, record) => record('Stream', service.Stream!({ text: 's' }))),
  nestScenario('client-stream', 'Collect', (service, record) =>
    record('Collect', service.Collect!(from([{ text: 'a' }, { text: 'b' }]))),
  ),
  nestScenario('bidi', 'Chat', (service, record) =>
    record('Chat', service.Chat!(from([{ text: 'x' }, { text: 'y' }]))),
  ),
];
