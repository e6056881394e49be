import type { ChildMessage, ParentMessage } from './child-protocol.js';
import { startEchoServer, type ServerKind } from './server-kind.js';

// Forked by the benchmark: argv = <stock|friends> <port>.
const kind = process.argv[2] as ServerKind;
const port = Number(process.argv[3] ?? 0);

function tell(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, () => resolve());
  });
}

// Losing the parent (crash, SIGKILL) must not leave this server running.
process.on('disconnect', () => process.exit(0));

try {
  if (kind !== 'stock' && kind !== 'friends') throw new Error(`unknown server kind ${String(kind)}`);
  const { app, port: bound } = await startEchoServer(kind, port);
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'stop') return;
    app.close().finally(() => process.exit(0));
  });
  await tell({ type: 'ready', port: bound });
} catch (err) {
  await tell({ type: 'failed', message: (err as Error).message });
  process.exit(1);
}
