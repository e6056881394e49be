import * as grpc from '@grpc/grpc-js';
import { methodName, SERVICE, type Scenario } from '../core/scenario.js';
import { metadataOf } from './build.js';

/** Client options adding a `grpc.service_config` with one method config for the scenario's own method. */
function withMethodConfig(id: string, config: object, extra: grpc.ClientOptions = {}) {
  const serviceConfig = { methodConfig: [{ name: [{ service: SERVICE, method: methodName(id) }], ...config }] };
  return (base: grpc.ClientOptions): grpc.ClientOptions => ({
    ...base,
    'grpc.service_config': JSON.stringify(serviceConfig),
    ...extra,
  });
}

const RETRY = {
  retryPolicy: {
    maxAttempts: 3,
    initialBackoff: '0.01s',
    maxBackoff: '0.02s',
    backoffMultiplier: 1,
    retryableStatusCodes: ['UNAVAILABLE'],
  },
};

/** Fails attempts before `succeedOn` (from grpc-previous-rpc-attempts) with `code`, then answers. */
function failAttempts(succeedOn: number, code: grpc.status, trailer?: [string, string]): Scenario['handler'] {
  return (call, callback) => {
    const previous = Number(call.metadata.get('grpc-previous-rpc-attempts')[0] ?? 0);
    if (previous + 1 < succeedOn)
      callback({
        code,
        details: `attempt ${previous + 1} fails`,
        metadata: trailer ? metadataOf([trailer]) : undefined,
      });
    else callback(null, { text: `attempt ${previous + 1} answers` });
  };
}

function retryScenario(name: string, handler: Scenario['handler'], extra: grpc.ClientOptions = {}): Scenario {
  const id = `config/${name}`;
  return {
    id,
    kind: 'unary',
    handler,
    clientOptions: withMethodConfig(id, RETRY, extra),
    async client(t) {
      await t.unary({ text: 'retry me' }).done;
    },
  };
}

export const SERVICE_CONFIG_SCENARIOS: Scenario[] = [
  retryScenario('retry-until-success', failAttempts(3, grpc.status.UNAVAILABLE)),
  retryScenario('retry-non-retryable-code', failAttempts(3, grpc.status.INTERNAL)),
  retryScenario('retry-attempts-exhausted', failAttempts(10, grpc.status.UNAVAILABLE)),
  retryScenario('retry-disabled-by-channel-option', failAttempts(3, grpc.status.UNAVAILABLE), {
    'grpc.enable_retries': 0,
  }),
  retryScenario('retry-pushback-says-stop', failAttempts(3, grpc.status.UNAVAILABLE, ['grpc-retry-pushback-ms', '-1'])),
  retryScenario('retry-pushback-delay', failAttempts(2, grpc.status.UNAVAILABLE, ['grpc-retry-pushback-ms', '20'])),
  {
    id: 'config/retry-server-stream-before-first-message',
    kind: 'serverStream',
    handler: (call) => {
      const previous = Number(call.metadata.get('grpc-previous-rpc-attempts')[0] ?? 0);
      if (previous === 0) call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'first attempt fails' });
      else {
        call.write({ n: previous });
        call.end();
      }
    },
    clientOptions: withMethodConfig('config/retry-server-stream-before-first-message', RETRY),
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'config/retry-server-stream-after-first-message',
    kind: 'serverStream',
    handler: (call) => {
      call.write({ n: 1 });
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'fails after a message' });
    },
    clientOptions: withMethodConfig('config/retry-server-stream-after-first-message', RETRY),
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'config/method-timeout',
    kind: 'unary',
    handler: (call, callback, s) => {
      void s.sleep(1_500).then(() => callback(null, { text: 'late' }));
    },
    // Whole seconds: grpc-js 1.14 reads the digits after the point as nanoseconds ('0.1s' is 1 ns), and
    // whether such a call reaches a handler at all is then a race, on stock as on any tier.
    clientOptions: withMethodConfig('config/method-timeout', { timeout: '1s' }),
    async client(t) {
      await t.unary({}, { deadlineRace: true }).done;
    },
    serverSettleMs: 300,
  },
  {
    id: 'config/method-timeout-longer-than-deadline',
    kind: 'unary',
    handler: (call, callback) => callback(null, { text: 'fast' }),
    clientOptions: withMethodConfig('config/method-timeout-longer-than-deadline', { timeout: '3600s' }),
    async client(t) {
      await t.unary({}, { options: { deadline: Date.now() + 5000 } }).done;
    },
  },
  {
    id: 'config/method-timeout-seen-by-the-server',
    kind: 'unary',
    handler: (call, callback) => callback(null, { text: 'fast' }),
    clientOptions: withMethodConfig('config/method-timeout-seen-by-the-server', { timeout: '30s' }),
    async client(t) {
      await t.unary({}).done;
    },
  },
  {
    id: 'config/invalid-service-config',
    kind: 'unary',
    handler: (_call, callback) => callback(null, { text: 'ok' }),
    clientOptions: (base) => ({ ...base, 'grpc.service_config': '{"methodConfig": "not a list"}' }),
    async client(t) {
      t.attempt('make the client', () => t.client);
      await t.unary({}).done;
    },
  },
];
