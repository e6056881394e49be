import { describe } from '../core/describe.js';
import { readTls, ServerHost, type ServerHostApi, type ServerKind } from '../core/server-host.js';
import { ALL_METHODS, EXTRA_PATHS } from '../scenarios/index.js';

/**
 * A scenario server host in its own process (the unix placement). argv: server
 * kind, TLS directory (or ''). Requests arrive over the IPC channel as
 * `{ id, op, args }` and are answered `{ id, result }` or `{ id, error }`;
 * the process shuts its servers down and exits when the channel closes.
 */
const [kind = 'friends', tlsDir = ''] = process.argv.slice(2);
const host = new ServerHost(kind as ServerKind, ALL_METHODS, readTls(tlsDir || null), EXTRA_PATHS);
const uncaught: unknown[] = [];

type Op = keyof ServerHostApi;
interface Request {
  id: number;
  op: Op;
  args: unknown[];
}

// A server bug must show up in the scenario's trace, not end the placement.
process.on('uncaughtException', (error) => uncaught.push(describe(error)));

process.on('message', (request: Request) => {
  const run = async (): Promise<unknown> => {
    const result = await (host[request.op] as (...args: unknown[]) => Promise<unknown>).apply(host, request.args);
    if (request.op === 'collect' && uncaught.length > 0)
      return [...(result as unknown[]), ['uncaught exception in server process', uncaught.splice(0)]];
    return result;
  };
  run().then(
    (result) => process.send!({ id: request.id, result }),
    (error: Error) => process.send!({ id: request.id, error: error.stack ?? String(error) }),
  );
});

process.on('disconnect', () => {
  void host.stopAll().finally(() => process.exit(0));
});

process.send!({ ready: true });
