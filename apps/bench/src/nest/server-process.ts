import { serveInChild } from '../child/child-main.js';
import { startBenchServer, type ServerKind } from './server-kind.js';

// Forked by the benchmark: argv = <stock|friends> <port>.
const kind = process.argv[2] as ServerKind;
const port = Number(process.argv[3] ?? 0);

await serveInChild(async () => {
  if (kind !== 'stock' && kind !== 'friends') throw new Error(`unknown server kind ${String(kind)}`);
  const { app, port: bound } = await startBenchServer(kind, port);
  return { ports: [bound], close: () => app.close() };
});
