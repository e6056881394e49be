import { execFile } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { microtask } from '../src/internal.js';

describe('microtask', () => {
  test('runs after the current code and before the next loop turn, in the order queued', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    microtask(() => order.push('a'));
    microtask(() => {
      order.push('b');
      microtask(() => order.push('d'));
    });
    microtask(() => order.push('c'));
    order.push('sync');
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['sync', 'a', 'b', 'c', 'd', 'immediate']);
  });

  test('keeps the async context it was queued in', async () => {
    const store = new AsyncLocalStorage<string>();
    const seen = await new Promise<string | undefined>((resolve) =>
      store.run('queued-here', () => microtask(() => resolve(store.getStore()))),
    );
    expect(seen).toBe('queued-here');
  });

  test('an exception it throws is an uncaught exception, not an unhandled rejection, and later tasks still run', async () => {
    // In a child process: the test runner owns this process's uncaught-exception handling.
    const schedule = fileURLToPath(new URL('../dist/links/schedule.js', import.meta.url));
    const script = `
      import { microtask } from ${JSON.stringify(schedule)};
      const seen = [];
      process.on('uncaughtException', (err) => seen.push('uncaught:' + err.message));
      process.on('unhandledRejection', (err) => seen.push('rejection:' + err.message));
      microtask(() => { throw new Error('boom'); });
      microtask(() => seen.push('next'));
      setTimeout(() => console.log(JSON.stringify(seen)), 50);
    `;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (err, out) =>
        err ? reject(err) : resolve(out),
      ),
    );
    expect(JSON.parse(stdout)).toEqual(['next', 'uncaught:boom']);
  });
});
