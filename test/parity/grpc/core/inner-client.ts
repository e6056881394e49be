import * as grpc from '@grpc/grpc-js';
import { serializers } from './proto.js';

let made = 0;

/** Calls made through callOwnServer in this process so far (they take HTTP/2 in every placement). */
export function innerCallsMade(): number {
  return made;
}

/**
 * A stock client a handler makes to call its own server (deadline and
 * cancellation propagation from a parent call). Server-side code cannot know
 * the placement, so it is always stock: what is tested is the server's call
 * object as a parent.
 */
export function callOwnServer(
  port: number,
  path: string,
  request: unknown,
  options: grpc.CallOptions,
): Promise<{ err: grpc.ServiceError | null; value: unknown }> {
  made++;
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const { serialize, deserialize } = serializers('strings');
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, serialize, deserialize, request, new grpc.Metadata(), options, (err, value) => {
      client.close();
      resolve({ err, value });
    });
  });
}
