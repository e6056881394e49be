import { serveInChild } from '../child-main.js';
import { startGrpcServer, type GrpcServerKind } from './start-server.js';

// Forked by the benchmark: argv = <stock|friends> <socket dir>.
const kind = process.argv[2] as GrpcServerKind;
const dir = process.argv[3] ?? '';

await serveInChild(async () => {
  if (kind !== 'stock' && kind !== 'friends') throw new Error(`unknown server kind ${String(kind)}`);
  if (!dir) throw new Error('no socket directory given');
  const server = await startGrpcServer(kind, dir, kind === 'stock');
  return {
    port: server.port,
    close: async () => server.close(),
  };
});
