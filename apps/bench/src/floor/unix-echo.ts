import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildServer } from '../child/child-server.js';
import type { Contender } from '../contender.js';
import type { Request } from '../measure.js';
import type { VariantInfo } from '../variant.js';
import type { Workload } from '../workload.js';

const ENTRY = fileURLToPath(new URL('./unix-echo-process.js', import.meta.url));

/**
 * The platform floor across processes: no RPC at all, only the payload's
 * bytes written to a unix socket, echoed by another process and read back.
 * No transport between two processes can beat it.
 */
export const UNIX_FLOOR: VariantInfo = {
  id: 'floor-unix',
  label: 'bare unix socket: the payload written, echoed by another process and read back, no RPC',
  tier: 'unix',
  placement: 'two processes',
  baseline: 'stock-across',
  role: 'floor',
};

/** A unix socket echo in a child process, and one connection to it. */
export class UnixEcho {
  /** Requests in flight, oldest first, with the bytes each still waits for. */
  private readonly waiting: { left: number; done: () => void }[] = [];

  private constructor(
    private readonly child: ChildServer,
    private readonly socket: Socket,
    private readonly dir: string,
  ) {
    // A run ended by a signal exits without closing its contenders: the socket's directory goes then.
    process.on('exit', this.removeDir);
    socket.on('data', (chunk) => {
      // Echoes of pipelined requests may arrive coalesced or split: count bytes.
      let bytes = chunk.length;
      while (bytes > 0 && this.waiting.length > 0) {
        const head = this.waiting[0]!;
        const taken = Math.min(bytes, head.left);
        head.left -= taken;
        bytes -= taken;
        if (head.left === 0) {
          this.waiting.shift();
          head.done();
        }
      }
    });
  }

  static async start(): Promise<UnixEcho> {
    const dir = mkdtempSync(join(tmpdir(), 'friends-floor-'));
    const path = join(dir, 'echo.sock');
    let child: ChildServer | undefined;
    try {
      child = await ChildServer.start(ENTRY, [path], 'unix echo');
      const socket = connect(path);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      return new UnixEcho(child, socket, dir);
    } catch (err) {
      await child?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** One round trip of `bytes` bytes. */
  private request(bytes: number): Request {
    const message = Buffer.alloc(bytes, 0x66);
    return () =>
      new Promise<void>((done) => {
        this.waiting.push({ left: bytes, done });
        this.socket.write(message);
      });
  }

  /** The floor as a contender, in the round-trip workloads only. */
  contender(workloads: readonly Workload[]): Contender {
    return {
      id: UNIX_FLOOR.id,
      requests: new Map(
        workloads
          .filter((w) => w.kind === 'unary')
          .map((w) => {
            const request = this.request(w.bytes);
            return [w.key, { measured: request, leadIn: request }];
          }),
      ),
      server: () => this.child,
      check: () => {
        if (this.socket.destroyed) throw new Error(`${UNIX_FLOOR.id}: the echo connection dropped`);
      },
      reset: () => Promise.reject(new Error(`${UNIX_FLOOR.id}: a bare socket echo does not stall`)),
    };
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.child.stop();
    this.removeDir();
    process.off('exit', this.removeDir);
  }

  private readonly removeDir = (): void => rmSync(this.dir, { recursive: true, force: true });
}
