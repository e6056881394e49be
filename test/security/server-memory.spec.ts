import { fileURLToPath } from 'node:url';
import { encodeStockFrame, StockFrameDecoder } from '@friends/core/internal';
import { forkIpc, type IpcChild } from '../support/child-ipc.js';
import { rawConnect } from '../support/raw.js';

const ENTRY = fileURLToPath(new URL('../fixtures/dist/heap-server.js', import.meta.url));

/** Distinct unknown patterns, each this long: 64 Mi characters in all, kept or not. */
const PATTERNS = 32;
const PATTERN_LENGTH = 2 * 1024 * 1024;
const MiB = 1024 * 1024;

interface Outcome {
  replies: string[];
  /** Heap in use after GC, after all replies, less before. */
  growth: number;
}

/**
 * Sends every request on one raw TCP connection, one at a time, and returns
 * the raw replies and how much the server's heap grew for good.
 */
async function flood(kind: 'stock' | 'friends'): Promise<Outcome> {
  const child: IpcChild = await forkIpc(`${kind} heap server`, ENTRY, [kind]);
  try {
    const port = await child.request<number>({ op: 'port' });
    const peer = await rawConnect({ port });
    const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
    const replies: string[] = [];
    let waiting: (() => void) | undefined;
    peer.socket.on('data', (chunk: Buffer) => {
      replies.push(...decoder.push(chunk));
      waiting?.();
    });
    const call = async (pattern: string, id: string): Promise<void> => {
      const before = replies.length;
      const answered = new Promise<void>((resolve) => (waiting = resolve));
      peer.socket.write(encodeStockFrame(JSON.stringify({ pattern, data: 1, id })));
      while (replies.length === before) await answered;
    };
    await call('known', 'warm');
    const before = await child.request<number>({ op: 'heap' });
    const filler = 'x'.repeat(PATTERN_LENGTH);
    for (let i = 0; i < PATTERNS; i++) await call(`unknown-${i}-${filler}`, `r${i}`);
    await call('known', 'last');
    const after = await child.request<number>({ op: 'heap' });
    peer.socket.destroy();
    return { replies, growth: after - before };
  } finally {
    await child.stop();
  }
}

describe('remote memory exhaustion through unknown patterns', () => {
  test('many distinct long unknown patterns: same replies as stock, and the heap stays where stock keeps it', async () => {
    const stock = await flood('stock');
    const friends = await flood('friends');
    // FRIENDS_SEC_REPORT=1 prints what each server kept.
    if (process.env.FRIENDS_SEC_REPORT === '1')
      process.stderr.write(`heap growth: stock ${stock.growth} B, friends ${friends.growth} B\n`);
    expect(friends.replies).toEqual(stock.replies);
    expect(friends.replies).toHaveLength(PATTERNS + 2);
    expect(JSON.parse(friends.replies[1]!)).toEqual({
      id: 'r0',
      status: 'error',
      err: 'There is no matching message handler defined in the remote service.',
    });
    // Stock keeps none of the 64 Mi characters; allow some noise, far below what keeping them costs.
    expect(stock.growth).toBeLessThan(8 * MiB);
    expect(friends.growth).toBeLessThan(stock.growth + 8 * MiB);
  }, 60_000);
});
