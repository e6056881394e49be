import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SpanRecord } from '@friends/gateway';
import type { ServiceName } from './config.js';

const SERVICE_ENTRY = fileURLToPath(new URL('./service.js', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** A mesh service running in a child process. */
export interface ChildService {
  name: ServiceName;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `service.js <name> <host>` (through `wrap`, e.g. into another
 * network namespace), waits for the port it announces, and passes on the
 * spans it reports afterwards.
 */
export async function startChild(
  name: ServiceName,
  host: string,
  onSpan: (span: SpanRecord) => void,
  wrap: (argv: string[]) => string[] = (argv) => argv,
): Promise<ChildService> {
  const [command, ...args] = wrap([process.execPath, SERVICE_ENTRY, name, host]);
  const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start in ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready`)));
      lines.on('line', (line) => {
        let message: { port?: number; span?: SpanRecord };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          return;
        }
        if (message.span) onSpan(message.span);
        else if (typeof message.port === 'number') {
          clearTimeout(timer);
          resolve(message.port);
        }
      });
    });
    return { name, port, child, stop: () => stopChild(child) };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** Ends its stdin (it then stops gracefully); kills it if it has not exited within 5 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.stdin!.end();
  });
}
