import { Logger } from '@nestjs/common';
import { startParityServer, type ParityServer } from './app.js';
import type { HostReply, HostRequest } from './host-protocol.js';
import { captureLogger } from './logs.js';
import { Recorder } from './recorder.js';
import type { ServerSetup } from './scenario.js';

/**
 * A FriendsServer of one setup in a process of its own (the unix placement).
 * argv: setup socketDir. Driven over the IPC channel; exits when it closes.
 */
const [setup = 'default', socketDir] = process.argv.slice(2) as [ServerSetup, string];
Logger.overrideLogger(captureLogger);
const rec = new Recorder();
let server: ParityServer | undefined;

async function handle(request: HostRequest): Promise<unknown> {
  switch (request.op) {
    case 'start':
      if (server) throw new Error('already listening');
      server = await startParityServer('friends', setup, request.port, rec, socketDir);
      return { port: server.port, unixPath: server.unixPath };
    case 'close': {
      const closing = server;
      server = undefined;
      await closing?.close();
      return undefined;
    }
    case 'peek':
      return rec.peek();
    case 'take':
      return { entries: rec.take(), logs: captureLogger.take() };
  }
}

process.on('message', (request: HostRequest) => {
  handle(request).then(
    (result) => reply({ id: request.id, ok: true, result }),
    (err: unknown) => reply({ id: request.id, ok: false, error: String((err as Error)?.stack ?? err) }),
  );
});

function reply(message: HostReply): void {
  process.send?.(message);
}

process.on('disconnect', () => {
  void (server?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
process.send?.({ ready: true });
