import { ClientTCP, type ClientProxy } from '@nestjs/microservices';
import { FriendsClient, type FriendsClientOptions } from '@friends/nest';
import { startTestServer } from '../fixtures/src/app.js';
import { startChildServer } from './child-server.js';
import { freePort } from './ports.js';
import type { TargetName } from './target-names.js';

export { TARGETS, type TargetName } from './target-names.js';

/** What the suites use of any Nest client (the stock ones narrow their event and status types). */
export type AnyClient = Pick<ClientProxy, 'send' | 'emit' | 'connect' | 'close' | 'setOnDispatchHook'>;

/** A client connected to the test microservice, however the pair is made up. */
export interface Target {
  client: AnyClient;
  /** The tier the client must report, or 'stock' for a stock client. */
  tier: 'memory' | 'unix' | 'tcp' | 'stock';
  /** What the server's `tier` pattern answers. */
  serverSees: 'memory' | 'unix' | 'tcp' | 'stock';
  stop(): Promise<void>;
}

/** A client connected to the test microservice; a FriendsClient has taken its tier. */
export async function openTarget(name: TargetName, clientOptions: FriendsClientOptions = {}): Promise<Target> {
  const target = await makeTarget(name, clientOptions);
  await target.client.connect();
  if (target.client instanceof FriendsClient) await target.client.tierDecision();
  return target;
}

async function makeTarget(name: TargetName, clientOptions: FriendsClientOptions): Promise<Target> {
  const port = await freePort();
  const host = '127.0.0.1';
  switch (name) {
    case 'memory': {
      const server = await startTestServer('friends', port);
      const client = new FriendsClient({ host, port, ...clientOptions });
      return { client, tier: 'memory', serverSees: 'memory', stop: stopping(client, () => server.app.close()) };
    }
    case 'unix':
    case 'tcp': {
      const server = await startChildServer('friends', port);
      const client = new FriendsClient({ host, port, ...(name === 'tcp' ? { friends: false } : {}), ...clientOptions });
      return { client, tier: name, serverSees: name, stop: stopping(client, server.stop) };
    }
    case 'stock client -> friends server': {
      const server = await startChildServer('friends', port);
      const client = new ClientTCP({ host, port });
      return { client, tier: 'stock', serverSees: 'tcp', stop: stopping(client, server.stop) };
    }
    case 'friends client -> stock server': {
      const server = await startChildServer('stock', port);
      const client = new FriendsClient({ host, port, ...clientOptions });
      return { client, tier: 'tcp', serverSees: 'stock', stop: stopping(client, server.stop) };
    }
    case 'stock client -> stock server': {
      const server = await startChildServer('stock', port);
      const client = new ClientTCP({ host, port });
      return { client, tier: 'stock', serverSees: 'stock', stop: stopping(client, server.stop) };
    }
  }
}

function stopping(client: AnyClient, stopServer: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    await client.close();
    await stopServer();
  };
}
