import * as grpc from '@grpc/grpc-js';
import type { Scenario } from '../core/scenario.js';
import { clientMetadataScenario, manyKeys, metadataOf, ok, serverMetadataScenario, type Pair } from './build.js';

const BIN = Buffer.from([0, 1, 10, 13, 44, 255]);

/** Keys grpc-js or HTTP/2 give a meaning to, sent by the client as if they were its own. */
const RESERVED_FROM_CLIENT: [name: string, pairs: Pair[]][] = [
  ['user-agent', [['user-agent', 'my-agent/1.0']]],
  ['te', [['te', 'gzip']]],
  ['content-type', [['content-type', 'application/grpc+json']]],
  ['grpc-timeout', [['grpc-timeout', '1S']]],
  ['grpc-encoding', [['grpc-encoding', 'gzip']]],
  ['grpc-accept-encoding', [['grpc-accept-encoding', 'identity']]],
  [
    'grpc-status-and-message',
    [
      ['grpc-status', '3'],
      ['grpc-message', 'from the client'],
    ],
  ],
  ['authority-pseudo-header', [[':authority', 'elsewhere.example']]],
  ['host', [['host', 'elsewhere.example']]],
  ['connection', [['connection', 'close']]],
  ['grpc-previous-rpc-attempts', [['grpc-previous-rpc-attempts', '4']]],
];

export const METADATA_SCENARIOS: Scenario[] = [
  clientMetadataScenario('metadata/client-ascii', [
    ['x-a', '1'],
    ['x-words', 'two words'],
  ]),
  clientMetadataScenario('metadata/client-repeated-key', [
    ['x-r', '1'],
    ['x-r', '2'],
    ['x-r', '3'],
  ]),
  clientMetadataScenario('metadata/client-value-with-commas', [['x-c', 'a, b,c']]),
  clientMetadataScenario('metadata/client-repeated-values-with-commas', [
    ['x-c', 'a,b'],
    ['x-c', 'c'],
  ]),
  clientMetadataScenario('metadata/client-binary', [['x-data-bin', BIN]]),
  clientMetadataScenario('metadata/client-binary-repeated', [
    ['x-data-bin', BIN],
    ['x-data-bin', Buffer.from('second')],
  ]),
  clientMetadataScenario('metadata/client-binary-empty', [['x-data-bin', Buffer.alloc(0)]]),
  clientMetadataScenario('metadata/client-empty-value', [['x-e', '']]),
  clientMetadataScenario('metadata/client-padded-value', [['x-s', '  padded  ']]),
  clientMetadataScenario('metadata/client-uppercase-key', [['X-Upper-Case', 'v']]),
  clientMetadataScenario('metadata/client-illegal-key', [['bad key', 'v']]),
  clientMetadataScenario('metadata/client-non-ascii-value', [['x-u', 'é']]),
  clientMetadataScenario('metadata/client-binary-key-with-string', [['x-b-bin', 'not a buffer']]),
  clientMetadataScenario('metadata/client-authorization', [['authorization', 'Bearer abc']]),
  // Stock never ends a call whose headers HTTP/2 refuses ('connection'): a deadline ends it.
  ...RESERVED_FROM_CLIENT.map(([name, pairs]) =>
    clientMetadataScenario(`metadata/client-reserved-${name}`, pairs, {}, name === 'connection' ? 150 : undefined),
  ),
  clientMetadataScenario('metadata/client-100-keys', manyKeys(100)),
  clientMetadataScenario('metadata/client-200-keys', manyKeys(200)),
  clientMetadataScenario('metadata/client-7kb-value', [['x-big', 'v'.repeat(7 * 1024)]]),
  clientMetadataScenario('metadata/client-20kb-value', [['x-big', 'v'.repeat(20 * 1024)]]),
  clientMetadataScenario('metadata/client-70kb-value', [['x-big', 'v'.repeat(70 * 1024)]]),
  clientMetadataScenario('metadata/client-2kb-to-small-metadata-server', [['x-big', 'v'.repeat(2048)]], {
    server: 'small-metadata',
  }),
  serverMetadataScenario(
    'metadata/server-initial-and-trailing',
    [
      ['x-i', '1'],
      ['x-i', '2'],
      ['x-i-bin', BIN],
      ['x-comma', 'a,b'],
    ],
    [
      ['x-t', 'done'],
      ['x-t-bin', BIN],
    ],
  ),
  serverMetadataScenario(
    'metadata/server-reserved-initial',
    [
      ['content-type', 'text/plain'],
      ['grpc-status', '5'],
      ['grpc-encoding', 'identity'],
      ['date', 'yesterday'],
      ['x-ok', 'yes'],
    ],
    null,
  ),
  serverMetadataScenario('metadata/server-reserved-trailing', null, [
    ['grpc-status', '5'],
    ['grpc-message', 'overridden'],
    ['content-type', 'text/plain'],
    ['x-ok', 'yes'],
  ]),
  serverMetadataScenario('metadata/server-150-initial-keys', manyKeys(150), null),
  serverMetadataScenario('metadata/server-150-trailing-keys', null, manyKeys(150)),
  serverMetadataScenario('metadata/server-20kb-initial-value', [['x-big', 'v'.repeat(20 * 1024)]], null),
  serverMetadataScenario('metadata/server-70kb-trailing-value', null, [['x-big', 'v'.repeat(70 * 1024)]]),
  serverMetadataScenario('metadata/server-4kb-initial-to-small-client-limit', [['x-big', 'v'.repeat(4096)]], null, {
    clientOptions: (base) => ({ ...base, 'grpc.max_metadata_size': 1024 }),
  }),
  {
    id: 'metadata/server-sends-metadata-twice',
    kind: 'unary',
    handler: (call, callback, s) => {
      call.sendMetadata(metadataOf([['x-first', '1']]));
      s.rec(
        'second sendMetadata',
        (() => {
          try {
            call.sendMetadata(metadataOf([['x-second', '2']]));
            return 'returned';
          } catch (error) {
            return error;
          }
        })(),
      );
      callback(null, { text: 'ok' });
    },
    async client(t) {
      await t.unary({}).done;
    },
  },
  {
    id: 'metadata/server-metadata-after-first-message',
    kind: 'serverStream',
    handler: (call) => {
      call.write({ n: 1 });
      call.sendMetadata(metadataOf([['x-late', '1']]));
      call.end();
    },
    async client(t) {
      await t.serverStream({}).done;
    },
  },
  {
    id: 'metadata/server-echoes-request-metadata',
    kind: 'unary',
    handler: (call, callback) => {
      call.sendMetadata(call.metadata);
      callback(null, { text: 'ok' }, call.metadata);
    },
    async client(t) {
      await t.unary({}, { metadata: metadataOf([['x-echo', 'me']]) }).done;
    },
  },
  {
    id: 'metadata/handler-mutation-stays-on-the-server',
    kind: 'unary',
    handler: (call, callback, s) => {
      call.metadata.set('x-added-by-handler', 'yes');
      call.metadata.remove('x-mine');
      s.rec('metadata after mutation', call.metadata);
      callback(null, { text: 'ok' });
    },
    async client(t) {
      const metadata = metadataOf([['x-mine', 'client']]);
      await t.unary({}, { metadata }).done;
      t.rec("the client's metadata object afterwards", metadata);
    },
  },
  {
    id: 'metadata/client-mutation-after-start',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const metadata = metadataOf([['x-before', '1']]);
      const call = t.unary({}, { metadata });
      metadata.set('x-after', 'changed synchronously');
      await call.done;
    },
  },
  {
    id: 'metadata/client-same-object-for-two-calls',
    kind: 'unary',
    handler: (call, callback) => {
      call.metadata.set('x-touched', 'server');
      callback(null, { text: 'ok' });
    },
    async client(t) {
      const metadata = metadataOf([['x-shared', '1']]);
      await t.unary({}, { metadata, label: 'first' }).done;
      await t.unary({}, { metadata, label: 'second' }).done;
      t.rec("the client's metadata object afterwards", metadata);
    },
  },
  {
    id: 'metadata/status-error-with-trailers',
    kind: 'unary',
    handler: (_call, callback) =>
      callback({
        code: grpc.status.ABORTED,
        details: 'aborted',
        metadata: metadataOf([
          ['x-why', 'because'],
          ['x-why-bin', BIN],
        ]),
      }),
    async client(t) {
      await t.unary({}).done;
    },
  },
];
