import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.js';

const FLOOD = fileURLToPath(new URL('../fixtures/dist/flood.js', import.meta.url));
const REQUESTS = 200_000;
const PAYLOAD = 1024;
/** The documented bound: queued copies + under 800 B per pending request, in a capped heap. */
const HEAP_CAP_MB = 640;
const PENDING_BYTES_PER_REQUEST = 800;

interface FloodResult {
  tier: string;
  delivered: number;
  baseline: number;
  settled: number;
  peak: number;
  released: number;
}

function flood(port: number): Promise<{ code: number | null; result?: FloodResult; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', `--max-old-space-size=${HEAP_CAP_MB}`, FLOOD, String(port), String(REQUESTS), String(PAYLOAD)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(killer);
      const line = stdout.trim().split('\n').pop();
      resolve({ code, result: line ? (JSON.parse(line) as FloodResult) : undefined, stderr });
    });
  });
}

test(`memory tier: ${REQUESTS} requests at a handler that never answers stay within a ${HEAP_CAP_MB} MB heap`, async () => {
  const { code, result, stderr } = await flood(await freePort());
  expect({ code, stderr: stderr.includes('heap out of memory') ? 'out of memory' : '' }).toEqual({
    code: 0,
    stderr: '',
  });
  expect(result!.tier).toBe('memory');
  expect(result!.delivered).toBe(REQUESTS);
  // What stays alive is the client's record of each pending request, not the payloads it sent.
  expect(result!.settled - result!.baseline).toBeLessThan(REQUESTS * PENDING_BYTES_PER_REQUEST);
  // Closing the client fails those requests and everything is released.
  expect(result!.released - result!.baseline).toBeLessThan(8 * 1024 * 1024);
}, 120_000);
