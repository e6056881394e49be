import * as grpc from '@grpc/grpc-js';
import type { ClientContext, Scenario } from '../core/scenario.js';
import { askIfPresent } from '../core/describe.js';
import { describeAuthContext } from '../core/server-observe.js';
import { metadataOf, ok } from './build.js';

type Generator = Parameters<typeof grpc.credentials.createFromMetadataGenerator>[0];

/** Call credentials whose generator records what it was asked for, then does `answer`. */
function recordingCredentials(t: ClientContext, answer: Generator): grpc.CallCredentials {
  return grpc.credentials.createFromMetadataGenerator((params, callback) => {
    t.rec('generator called with', params);
    answer(params, callback);
  });
}

const giveToken: Generator = (_params, callback) => callback(null, metadataOf([['x-token', 'from-credentials']]));

function perCall(id: string, answer: Generator, extra: Partial<Scenario> = {}, deadlineMs?: number): Scenario {
  return {
    id,
    kind: 'unary',
    handler: ok,
    async client(t) {
      const credentials = recordingCredentials(t, answer);
      const options: grpc.CallOptions = { credentials, ...(deadlineMs ? { deadline: Date.now() + deadlineMs } : {}) };
      const c = t.unary({}, { options });
      await c.done;
      c.note('client auth context', askIfPresent(c.call, 'getAuthContext', describeAuthContext));
    },
    ...extra,
  };
}

/** A client of `t` with other channel credentials (the scenario's server config stays). */
function callWith(t: ClientContext, credentials: grpc.ChannelCredentials, label: string) {
  const client = t.newClient(t.placementOptions(), t.target, credentials);
  const c = t.unary({}, { client, label });
  return c.done.then(() => c.note('client auth context', askIfPresent(c.call, 'getAuthContext', describeAuthContext)));
}

export const CREDENTIAL_SCENARIOS: Scenario[] = [
  perCall('creds/per-call-metadata', giveToken),
  perCall('creds/per-call-generator-error', (_p, callback) => callback(new Error('no token today'))),
  perCall('creds/per-call-generator-error-with-code', (_p, callback) =>
    callback(Object.assign(new Error('denied'), { code: grpc.status.PERMISSION_DENIED })),
  ),
  perCall('creds/per-call-generator-throws', () => {
    throw new Error('generator threw');
  }),
  perCall('creds/per-call-generator-never-answers', () => undefined, {}, 150),
  perCall('creds/per-call-reserved-keys', (_p, callback) =>
    callback(
      null,
      metadataOf([
        ['content-type', 'text/plain'],
        ['x-token', 't'],
      ]),
    ),
  ),
  {
    id: 'creds/per-call-combined',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const one = recordingCredentials(t, (_p, cb) => cb(null, metadataOf([['x-one', '1']])));
      const two = recordingCredentials(t, (_p, cb) => cb(null, metadataOf([['x-two', '2']])));
      await t.unary({}, { options: { credentials: one.compose(two) } }).done;
    },
  },
  perCall('creds/per-call-over-tls', giveToken, { server: 'tls', needsTls: true }),
  {
    id: 'creds/channel-level-over-tls',
    kind: 'unary',
    server: 'tls',
    needsTls: true,
    handler: ok,
    async client(t) {
      const channel = grpc.credentials.combineChannelCredentials(
        grpc.credentials.createSsl(t.tls!.ca),
        recordingCredentials(t, giveToken),
      );
      await callWith(t, channel, 'combined channel credentials');
    },
  },
  {
    id: 'creds/channel-and-per-call-over-tls',
    kind: 'unary',
    server: 'tls',
    needsTls: true,
    handler: ok,
    async client(t) {
      const channel = grpc.credentials.combineChannelCredentials(
        grpc.credentials.createSsl(t.tls!.ca),
        recordingCredentials(t, (_p, cb) => cb(null, metadataOf([['x-channel', 'c']]))),
      );
      const client = t.newClient(t.placementOptions(), t.target, channel);
      const perCallCredentials = recordingCredentials(t, (_p, cb) => cb(null, metadataOf([['x-call', 'p']])));
      await t.unary({}, { client, options: { credentials: perCallCredentials } }).done;
    },
  },
  {
    id: 'creds/tls-auth-context',
    kind: 'unary',
    server: 'tls',
    needsTls: true,
    handler: ok,
    async client(t) {
      const c = t.unary({});
      await c.done;
      c.note('client auth context', askIfPresent(c.call, 'getAuthContext', describeAuthContext));
    },
  },
  {
    id: 'creds/mtls-auth-context',
    kind: 'unary',
    server: 'mtls',
    needsTls: true,
    handler: ok,
    async client(t) {
      const c = t.unary({});
      await c.done;
      c.note('client auth context', askIfPresent(c.call, 'getAuthContext', describeAuthContext));
    },
  },
  {
    id: 'creds/insecure-client-to-mtls-server',
    kind: 'unary',
    server: 'mtls',
    needsTls: true,
    handler: ok,
    async client(t) {
      await callWith(t, grpc.credentials.createInsecure(), 'insecure client');
    },
  },
  {
    id: 'creds/tls-client-without-certificate-to-mtls-server',
    kind: 'unary',
    server: 'mtls',
    needsTls: true,
    handler: ok,
    async client(t) {
      await callWith(t, grpc.credentials.createSsl(t.tls!.ca), 'client without a certificate');
    },
  },
  {
    id: 'creds/tls-client-with-the-wrong-roots',
    kind: 'unary',
    server: 'tls',
    needsTls: true,
    handler: ok,
    async client(t) {
      await callWith(t, grpc.credentials.createSsl(), 'client trusting the system roots');
    },
  },
  {
    id: 'creds/auth-interceptor-refuses-without-token',
    kind: 'unary',
    server: 'auth',
    handler: ok,
    async client(t) {
      await t.unary({}).done;
    },
  },
  {
    id: 'creds/auth-interceptor-accepts-a-token',
    kind: 'unary',
    server: 'auth',
    handler: ok,
    async client(t) {
      await t.unary({}, { metadata: metadataOf([['authorization', 'Bearer parity']]), label: 'first' }).done;
      await t.unary({}, { metadata: metadataOf([['authorization', 'Bearer parity']]), label: 'second' }).done;
    },
  },
  {
    id: 'creds/auth-interceptor-token-from-call-credentials',
    kind: 'serverStream',
    server: 'auth',
    handler: (call) => {
      call.write({ text: 'authorized' });
      call.end();
    },
    async client(t) {
      const credentials = grpc.credentials.createFromMetadataGenerator((_p, cb) =>
        cb(null, metadataOf([['authorization', 'Bearer parity']])),
      );
      await t.serverStream({}, { options: { credentials } }).done;
    },
  },
];
