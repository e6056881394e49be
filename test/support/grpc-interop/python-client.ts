import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INTEROP_PROTO_DIR } from '../../fixtures/src/grpc/interop-service.js';

/** Debian's interpreter: python3-grpcio is installed for it, not for whatever `python3` is first on PATH. */
export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python-client.py', import.meta.url));
const RUN_TIMEOUT_MS = 15_000;

export interface PythonRun {
  exitCode: number | null;
  /** Case name → null if it passed, else the reason it gave. */
  results: Map<string, string | null>;
  output: string;
}

/** Runs every interop case with grpcio against 127.0.0.1:`port`. */
export function runPythonClient(port: number): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    // -B: no __pycache__ next to the script.
    const protoDir = join(INTEROP_PROTO_DIR, 'grpc', 'testing');
    const args = ['-B', SCRIPT, '--host', '127.0.0.1', '--port', String(port), '--proto-dir', protoDir];
    const child = spawn(PYTHON, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      const results = new Map<string, string | null>();
      for (const line of output.split('\n')) {
        const match = /^(PASS|FAIL) (\w+)(?:: (.*))?$/.exec(line);
        if (match) results.set(match[2], match[1] === 'PASS' ? null : (match[3] ?? ''));
      }
      resolve({ exitCode, results, output });
    });
  });
}
