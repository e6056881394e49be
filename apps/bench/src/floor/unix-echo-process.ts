import { createServer } from 'node:net';
import { serveInChild } from '../child/child-main.js';

// Forked by the benchmark: argv = <unix socket path>. Echoes every byte back.
const path = process.argv[2] ?? '';

await serveInChild(async () => {
  if (!path) throw new Error('no socket path given');
  const server = createServer((socket) => {
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return { ports: [], close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
});
