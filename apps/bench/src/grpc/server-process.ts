import { serveInChild } from '../child/child-main.js';
import { startGrpcServer, type GrpcEchoServer } from './start-server.js';

// Forked by the benchmark: argv = <friends|pair> <socket dir>.
// friends: a FriendsGrpcServer (the unix tier's server).
// pair: the servers of the HTTP/2 variants, sharing one process: a grpc.Server (also on a
// unix socket in the directory), a FriendsGrpcServer, and one that offers friends no unix
// socket (as a server on another host); ports reported in that order.
const kind = process.argv[2];
const dir = process.argv[3] ?? '';

await serveInChild(async () => {
  if (kind !== 'friends' && kind !== 'pair') throw new Error(`unknown server process kind ${String(kind)}`);
  if (!dir) throw new Error('no socket directory given');
  const servers: GrpcEchoServer[] = [];
  try {
    if (kind === 'pair') servers.push(await startGrpcServer('stock', dir, true));
    servers.push(await startGrpcServer('friends', dir, false));
    if (kind === 'pair') servers.push(await startGrpcServer('friends-tcp', dir, false));
  } catch (err) {
    for (const server of servers) server.close();
    throw err;
  }
  return {
    ports: servers.map((server) => server.port),
    close: async () => servers.forEach((server) => server.close()),
  };
});
