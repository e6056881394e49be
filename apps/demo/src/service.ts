import { SERVICES, type ServiceName } from './config.js';
import { startTracing } from './tracing.js';

/**
 * A mesh service in a process of its own: `node service.js <name> <host>`.
 * Prints `{"port":N}` on stdout once it listens, and stops gracefully when its
 * stdin ends (its parent went away) or on SIGTERM/SIGINT.
 */
const [name, host = '127.0.0.1'] = process.argv.slice(2);
if (!SERVICES.includes(name as ServiceName)) {
  console.error(`usage: service.js <${SERVICES.join('|')}> [host]`);
  process.exit(2);
}
// Spans go to the launcher on stdout, one JSON line each, after the line that says we are ready.
startTracing(name!, (span) => process.stdout.write(`${JSON.stringify({ span })}\n`));
const { startService } = await import('./services.js');
const service = await startService(name as ServiceName, host);
process.stdout.write(`${JSON.stringify({ port: service.port })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  service.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.stdin.on('end', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
