import * as grpc from '@grpc/grpc-js';
import type { Scenario } from '../core/scenario.js';
import { askIfPresent } from '../core/describe.js';
import { describeAuthContext } from '../core/server-observe.js';
import { ok } from './build.js';

const peer = (value: string) => ({ $: 'peer', v: value });

export const PEER_SCENARIOS: Scenario[] = [
  {
    id: 'peers/client-get-peer-over-a-call',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const c = t.unary({});
      c.note('peer right after the start', peer(c.call.getPeer()));
      c.call.on('metadata', () => c.note('peer at metadata', peer(c.call.getPeer())));
      await c.done;
      c.note('peer after the status', peer(c.call.getPeer()));
    },
  },
  {
    id: 'peers/client-get-peer-on-a-stream',
    kind: 'serverStream',
    handler: (call) => {
      call.write({ n: 1 });
      call.end();
    },
    async client(t) {
      const c = t.serverStream({});
      c.note('peer right after the start', peer(c.call.getPeer()));
      c.call.on('data', () => c.note('peer at data', peer(c.call.getPeer())));
      await c.done;
    },
  },
  {
    id: 'peers/client-auth-context-insecure',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const c = t.unary({});
      c.note('auth context right after the start', askIfPresent(c.call, 'getAuthContext', describeAuthContext));
      await c.done;
      c.note('auth context after the status', askIfPresent(c.call, 'getAuthContext', describeAuthContext));
    },
  },
  {
    id: 'peers/server-connection-info',
    kind: 'unary',
    server: 'recorded',
    handler: ok,
    async client(t) {
      await t.unary({}).done;
    },
  },
  {
    id: 'peers/server-host-with-a-name-target',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const client = t.newClient(t.placementOptions(), `localhost:${t.ports[0]}`);
      await t.unary({}, { client }).done;
    },
  },
  {
    id: 'peers/server-host-with-authority-override',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const client = t.newClient({ ...t.placementOptions(), 'grpc.default_authority': 'parity.example:1234' });
      await t.unary({}, { client }).done;
    },
  },
  {
    id: 'peers/user-agent-option',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const client = t.newClient({ ...t.placementOptions(), 'grpc.primary_user_agent': 'parity-app/2.0' });
      await t.unary({}, { client }).done;
    },
  },
  {
    id: 'peers/client-state-watch',
    kind: 'unary',
    handler: ok,
    async client(t) {
      const channel = t.client.getChannel();
      const state = channel.getConnectivityState(true);
      t.rec('state after asking to connect', grpc.connectivityState[state]);
      await new Promise<void>((resolve) =>
        channel.watchConnectivityState(state, Date.now() + 1000, (error?: Error) => {
          t.rec('state changed', { error: error ?? null });
          resolve();
        }),
      );
    },
  },
];
