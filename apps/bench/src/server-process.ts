import type { ChildMessage, ParentMessage } from './child-protocol.js';
import { startEchoServer, type ServerKind } from './server-kind.js';

// Forked by the benchmark: argv = <stock|friends> <port>.
const kind = process.argv[2] as ServerKind;
const port = Number(process.argv[3] ?? 0);

function tell(message: ChildMessage): void {
  process.send?.(message);
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
  tell({ type: 'ready', port: bound });
} catch (err) {
  tell({ type: 'failed', message: (err as Error).message });
  process.exit(1);
}
