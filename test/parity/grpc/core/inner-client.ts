import * as grpc from '@grpc/grpc-js';
import { serializers } from './proto.js';

let made = 0;
/** Connected clients of a server's own port, kept for the calls its handlers make (see connectOwnClient). */
const connected = new Map<number, grpc.Client>();

/** Calls made through callOwnServer in this process so far (they take HTTP/2 in every placement). */
export function innerCallsMade(): number {
  return made;
}

/**
 * Connects a client to a server's own port and keeps it for the next handler
 * call with `{ connected: true }`: that call then times the call, not a
 * connection set up in a loaded process (which can outlast a short deadline).
 * Its subchannel is its own: a scenario's clients never find it connected.
 */
export function connectOwnClient(port: number): Promise<Error | undefined> {
  let client = connected.get(port);
  if (!client) {
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
    connected.set(port, client);
  }
  const ready = client;
  return new Promise((resolve) => ready.waitForReady(Date.now() + 5_000, (error) => resolve(error ?? undefined)));
}

/** Closes the clients kept for `ports` (their server is stopping). */
export function closeOwnClients(ports: readonly number[]): void {
  for (const port of ports) {
    connected.get(port)?.close();
    connected.delete(port);
  }
}

/**
 * A stock client a handler makes to call its own server (deadline and
 * cancellation propagation from a parent call): a new one, or with
 * `connected`, the one connectOwnClient connected (closed after this call,
 * as a new one is). Server-side code cannot
 * know the placement, so it is always stock: what is tested is the server's
 * call object as a parent.
 */
export function callOwnServer(
  port: number,
  path: string,
  request: unknown,
  options: grpc.CallOptions,
  { connected: reuse = false } = {},
): Promise<{ err: grpc.ServiceError | null; value: unknown }> {
  made++;
  const kept = reuse ? connected.get(port) : undefined;
  if (kept) connected.delete(port);
  const client = kept ?? new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const { serialize, deserialize } = serializers('strings');
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, serialize, deserialize, request, new grpc.Metadata(), options, (err, value) => {
      client.close();
      resolve({ err, value });
    });
  });
}
