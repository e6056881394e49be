import * as grpc from '@grpc/grpc-js';
import type { ClientContext, Scenario } from '../core/scenario.js';

const ROUND_ROBIN = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

/** Answers with the backend that served the call. */
const whichBackend: Scenario['handler'] = (_call, callback, s) => callback(null, { n: s.backend });

/** Answers the same whichever backend serves the call: round_robin starts with either. */
const same: Scenario['handler'] = (_call, callback) => callback(null, { text: 'served' });

/** A call to a path no server serves: connects the channel without leaving a server log. */
function warmUp(t: ClientContext, client = t.client): Promise<void> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(
      '/parity.Nowhere/WarmUp',
      (value: Buffer) => value,
      (value: Buffer) => value,
      Buffer.alloc(0),
      new grpc.Metadata({ waitForReady: true }),
      { deadline: Date.now() + 2000 },
      () => resolve(),
    ),
  );
}

async function fourCalls(t: ClientContext, client = t.client): Promise<void> {
  for (let i = 0; i < 4; i++) await t.unary({ text: 'which?' }, { client, label: `call ${i}` }).done;
}

export const BALANCING_SCENARIOS: Scenario[] = [
  {
    id: 'balancing/round-robin-over-two-backends',
    kind: 'unary',
    server: 'pair',
    // Both backends' logs (grouped per backend) show which got calls: two each.
    handler: same,
    clientOptions: (base) => ({ ...base, 'grpc.service_config': ROUND_ROBIN }),
    async client(t) {
      await warmUp(t);
      await t.sleep(50);
      await fourCalls(t);
    },
  },
  {
    id: 'balancing/pick-first-over-two-backends',
    kind: 'unary',
    server: 'pair',
    handler: whichBackend,
    async client(t) {
      await fourCalls(t);
    },
  },
  {
    id: 'balancing/pick-first-skips-a-dead-address',
    kind: 'unary',
    handler: whichBackend,
    async client(t) {
      const dead = await t.freePort();
      const client = t.newClient(t.placementOptions(), `ipv4:127.0.0.1:${dead},127.0.0.1:${t.ports[0]}`);
      await fourCalls(t, client);
    },
  },
  {
    id: 'balancing/round-robin-with-a-dead-address',
    kind: 'unary',
    handler: whichBackend,
    async client(t) {
      const dead = await t.freePort();
      const options = { ...t.placementOptions(), 'grpc.service_config': ROUND_ROBIN };
      const client = t.newClient(options, `ipv4:127.0.0.1:${dead},127.0.0.1:${t.ports[0]}`);
      await warmUp(t, client);
      await fourCalls(t, client);
    },
  },
  {
    id: 'balancing/dns-target-name',
    kind: 'unary',
    handler: whichBackend,
    async client(t) {
      const client = t.newClient(t.placementOptions(), `dns:///127.0.0.1:${t.ports[0]}`);
      await fourCalls(t, client);
    },
  },
];
