import { Server, Socket } from 'node:net';
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
/** How long after its servers stopped the process may still be closing things. */
const SETTLE_MS = 200;

/** Stops every server, then tells what still keeps this process alive that did not at its start. */
type Op = keyof ServerHostApi | 'stopAndTellWhatIsLeft';
interface Request {
  id: number;
  op: Op;
  args: unknown[];
}

// A server bug must show up in the scenario's trace, not end the placement.
process.on('uncaughtException', (error) => uncaught.push(describe(error)));

type Handles = () => object[];
const activeHandles = (process as unknown as { _getActiveHandles: Handles })._getActiveHandles.bind(process);
// Taken once the IPC channel is listening (which refs its pipe): see the end of this module.
let atStart = new Set<object>();

/** Handles keeping the process alive now that did not at its start, after a moment to settle. */
async function keptAlive(): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS).unref());
  return activeHandles()
    .filter((handle) => !atStart.has(handle) && (handle as { hasRef?: () => boolean }).hasRef?.() !== false)
    .map(describeHandle)
    .sort();
}

function describeHandle(handle: object): string {
  if (handle instanceof Server) {
    const address = handle.address();
    return typeof address === 'string' ? 'a unix listener' : `a ${address ? 'tcp' : 'closed'} listener`;
  }
  if (handle instanceof Socket) return `a ${handle.remotePort === undefined ? 'unix' : 'tcp'} socket`;
  return handle.constructor.name;
}

process.on('message', (request: Request) => {
  const run = async (): Promise<unknown> => {
    if (request.op === 'stopAndTellWhatIsLeft') {
      await host.stopAll();
      return keptAlive();
    }
    const result = await (host[request.op as keyof ServerHostApi] as (...args: unknown[]) => Promise<unknown>).apply(
      host,
      request.args,
    );
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

atStart = new Set(activeHandles());
process.send!({ ready: true });
