import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { metricsSnapshot } from '@friends/core';
import { Caller, CallerModule, startMathService } from '@friends/sample';

/**
 * The demo mesh: a math service inside this process, another in a child
 * process, and a caller with three clients. Each connection reports the tier
 * it took: memory (same process), unix (same kernel), tcp (friends off).
 * `--once` makes one round and exits; otherwise it calls every 2 s until Ctrl-C.
 */
const once = process.argv.includes('--once');
const LOCAL_PORT = Number(process.env.DEMO_LOCAL_PORT ?? 3101);
const CHILD_PORT = Number(process.env.DEMO_CHILD_PORT ?? 3102);
const SERVICE = fileURLToPath(new URL('../../sample/dist/main.js', import.meta.url));

const local = await startMathService(LOCAL_PORT);
const child = spawn(process.execPath, [SERVICE, String(CHILD_PORT)], { stdio: ['pipe', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`math service exited with ${code}`)));
  createInterface({ input: child.stdout! }).once('line', () => resolve());
});

const caller = await NestFactory.createApplicationContext(
  CallerModule.forConnections([
    { name: 'same process', options: { host: '127.0.0.1', port: LOCAL_PORT } },
    { name: 'other process', options: { host: '127.0.0.1', port: CHILD_PORT } },
    { name: 'friends off', options: { host: '127.0.0.1', port: CHILD_PORT, friends: false } },
  ]),
  { logger: ['error', 'warn'] },
);

async function round(): Promise<void> {
  const results = await caller.get(Caller).callAll();
  console.table(
    results.map((r) => ({
      connection: r.name,
      tier: r.tier,
      'server saw': r.servedOver,
      'sum(1,2,3)': r.sum,
      'count(3)': r.counted.join(','),
    })),
  );
}

let stopping = false;
async function stop(code: number): Promise<never> {
  stopping = true;
  await caller.close();
  await local.close();
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin!.end();
  });
  const counters = metricsSnapshot();
  console.log(
    `messages sent in this process: memory ${counters.memory.messagesOut}, unix ${counters.unix.messagesOut}, tcp ${counters.tcp.messagesOut}`,
  );
  process.exit(code);
}

try {
  await round();
} catch (err) {
  console.error(err);
  await stop(1);
}
if (once) await stop(0);
process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
const timer = setInterval(() => {
  if (!stopping) round().catch((err) => console.error(err));
}, 2000);
process.once('exit', () => clearInterval(timer));
