import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunResult } from './run-scenario.js';

const ENTRY = fileURLToPath(
  new URL(
    import.meta.url.includes('/dist/') ? './isolated-run.js' : '../dist/parity/grpc/runner/isolated-run.js',
    import.meta.url,
  ),
);
const LIMIT_MS = 20_000;

/** Runs one scenario in one placement in a process of its own (see isolated-run.ts). */
export function runIsolated(placement: string, scenario: string, tlsDir: string | null): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY, placement, scenario, tlsDir ?? ''], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = output.trim().split('\n').pop();
      if (code === 0 && line) resolve(JSON.parse(line) as RunResult);
      else reject(new Error(`isolated run of ${scenario} on ${placement} ended with ${code ?? signal}`));
    });
  });
}
