import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { encodeStockFrame, StockFrameDecoder, WarningThrottle } from '@friends/core/internal';
import { handshakeService } from '@friends/grpc/internal';
import { FriendsClient } from '@friends/nest';
import { LogLines } from '../support/log-lines.js';
import { rawConnect, ticketFrame } from '../support/raw.js';
import { echo, echoClient, startGrpcServer, startNestServer } from '../support/sec-servers.js';

const logs = new LogLines();
Logger.overrideLogger(logs);
afterEach(() => logs.clear());

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** What a log line must never carry: controls (newlines, ESC, CSI), separators, bidi overrides. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A peer's text that would forge a log line, repaint the terminal and hide what follows. */
const EVIL =
  'no fast tier\n[Nest] 1  - 01/01/2030, 00:00:00     LOG [FriendsServer] admin logged in\x1b[2J\x1b[H\u009b31m\u202e';

/** A TCP server speaking the stock Nest wire that answers every request with `answer(packet)`. */
async function fakeNestServer(answer: (packet: Record<string, unknown>) => string | Buffer): Promise<{
  port: number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
    socket.on('data', (chunk) => {
      for (const json of decoder.push(chunk)) socket.write(answer(JSON.parse(json) as Record<string, unknown>));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('peer text in logs', () => {
  test("Nest client: a server's reason is logged on one line, escaped", async () => {
    const server = await fakeNestServer((packet) =>
      encodeStockFrame(
        JSON.stringify({ response: { v: 1, tier: 'tcp', reason: EVIL }, isDisposed: true, id: packet.id }),
      ),
    );
    const client = new FriendsClient({ host: '127.0.0.1', port: server.port });
    try {
      await client.connect();
      expect(client.tier).toBe('tcp');
    } finally {
      client.close();
      await server.close();
    }
    const lines = logs.of('FriendsClient').map((line) => line.message);
    const line = lines.find((message) => message.startsWith('tcp to 127.0.0.1'));
    expect(line).toBeDefined();
    expect(line).not.toMatch(UNSAFE);
    expect(line).toContain('no fast tier\\n[Nest] 1');
    expect(line).toContain('\\x1b[2J\\x1b[H\\x9b31m\\u202e');
  });

  test('Nest client: a corrupt frame from the server is logged escaped', async () => {
    const server = await fakeNestServer(() => Buffer.from('\u009b2J\u2028x#{}', 'utf8'));
    const client = new FriendsClient({ host: '127.0.0.1', port: server.port, friends: false });
    try {
      await expect(lastValueFrom(client.send('sum', [1]))).rejects.toThrow('Connection closed');
    } finally {
      client.close();
      await server.close();
    }
    const errors = logs.of('FriendsClient', 'error').map((line) => line.message);
    expect(errors).toEqual([expect.stringContaining('Corrupted length prefix')]);
    expect(errors[0]).not.toMatch(UNSAFE);
    expect(errors[0]).toContain('\\x9b2J\\u2028x');
  });

  test("Nest server: an unknown event's pattern is logged escaped and cut short", async () => {
    const { server, port } = await startNestServer();
    const peer = await rawConnect({ port });
    try {
      const pattern = `${EVIL}${'y'.repeat(100_000)}`;
      peer.socket.write(encodeStockFrame(JSON.stringify({ pattern, data: 1 })));
      // The connection still works afterwards: the request after the event is answered.
      peer.socket.write(encodeStockFrame(JSON.stringify({ pattern: 'sum', data: [1, 2], id: 'after' })));
      await new Promise<void>((resolve) => peer.socket.on('data', () => resolve()));
    } finally {
      peer.socket.destroy();
      await server.close();
    }
    const errors = logs.of('FriendsServer', 'error').map((line) => line.message);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^There is no matching event handler defined in the remote service\. Event pattern: no fast tier\\n\[Nest\]/,
    );
    expect(errors[0]).not.toMatch(UNSAFE);
    expect(errors[0]!.length).toBeLessThan(1_500);
    expect(errors[0]).toContain('(+');
  });

  test('gRPC client: the Hello answer of a server is logged (NODE_DEBUG=friends) on one line, escaped', async () => {
    const server = new grpc.Server();
    server.addService(handshakeService, {
      Hello: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(null, { v: 1, tier: 'tcp', path: '', ticket: '', reason: EVIL }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const script = `
      import * as grpc from '@grpc/grpc-js';
      import { friends } from '@friends/grpc';
      const client = new grpc.Client(process.argv[1], grpc.credentials.createInsecure(), friends());
      client.waitForReady(Date.now() + 5000, (err) => { client.close(); process.exit(err ? 1 : 0); });
    `;
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, `127.0.0.1:${port}`], {
        cwd: REPO,
        env: { ...process.env, NODE_DEBUG: 'friends' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('exit', resolve);
    });
    server.forceShutdown();
    expect(code).toBe(0);
    const lines = stderr.split('\n').filter((line) => line.startsWith('FRIENDS '));
    expect(lines).toEqual([
      expect.stringMatching(/: HTTP\/2 \(no fast tier\\n\[Nest\] 1 .*\\x1b\[2J\\x1b\[H\\x9b31m\\u202e\)$/),
    ]);
    expect(lines[0]).not.toMatch(UNSAFE);
  });
});

/** `count` unix connections that each present a forged ticket, `parallel` at a time. */
async function probe(path: string, count: number, parallel = 50): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const peer = await rawConnect({ path });
      peer.socket.write(ticketFrame(randomBytes(24).toString('base64url')));
      await peer.closed;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

describe('failed unix admissions do not flood the log', () => {
  test('Nest: 2,000 forged tickets give one warning, then one summary with the count', async () => {
    const { server, port } = await startNestServer();
    const client = new FriendsClient({ host: '127.0.0.1', port, friends: { memory: false } });
    try {
      await client.connect();
      expect(client.tier).toBe('unix');
      logs.clear();
      await probe(server.unixPath!, 2_000);
      expect(logs.of('FriendsServer', 'warn').map((line) => line.message)).toEqual([
        'Unix connection presented an unknown, used or expired ticket',
      ]);
      // Everyone else is still served, on the unix tier too.
      expect(await lastValueFrom(client.send('sum', [20, 22]))).toBe(42);
      expect(client.tier).toBe('unix');
    } finally {
      client.close();
      await server.close();
    }
    const warnings = logs.of('FriendsServer', 'warn').map((line) => line.message);
    expect(warnings).toEqual([
      'Unix connection presented an unknown, used or expired ticket',
      '1999 more like this (FRIENDS_ERR_BAD_TICKET) since the one reported; the last: Unix connection presented an unknown, used or expired ticket',
    ]);
  });

  test('gRPC: the same through the server’s onWarning', async () => {
    const warnings: string[] = [];
    const { server, target } = await startGrpcServer({ onWarning: (err) => warnings.push(err.message) });
    const client = echoClient(target, { friends: { memory: false } });
    try {
      expect(await echo(client, 'a')).toEqual({ result: 'a', way: 'unix' });
      await probe(server.unixPath!, 500);
      expect(warnings).toEqual(['Unix connection presented an unknown, used or expired ticket']);
      expect(await echo(client, 'b')).toEqual({ result: 'b', way: 'unix' });
    } finally {
      client.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/^499 more like this \(FRIENDS_ERR_BAD_TICKET\)/);
  });

  test('a new interval reports the first warning again, and each interval its own count', async () => {
    const emitted: string[] = [];
    const throttle = new WarningThrottle({ intervalMs: 50, emit: (err) => emitted.push(err.message) });
    for (let i = 0; i < 5; i++) throttle.warn(new Error(`a${i}`));
    expect(emitted).toEqual(['a0']);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(emitted).toEqual(['a0', '4 more like this (Error) since the one reported; the last: a4']);
    throttle.warn(new Error('b0'));
    throttle.flush();
    expect(emitted).toEqual(['a0', '4 more like this (Error) since the one reported; the last: a4', 'b0']);
  });
});

describe('a unix path in the log', () => {
  test('Nest client: a socket path with control characters is refused, and no log line carries them', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const root = await mkdtemp(join(tmpdir(), 'friends-sec-logs-'));
    // A legal directory name, chosen by whoever configures the server.
    const socketDir = join(root, 'x\n[Nest] forged\x1b[2J');
    const { server, port } = await startNestServer({ socketDir });
    const client = new FriendsClient({ host: '127.0.0.1', port, friends: { memory: false } });
    try {
      await client.connect();
      // The client follows only printable, normalised paths (docs/SECURITY.md): this one stays on tcp.
      expect(client.tier).toBe('tcp');
    } finally {
      client.close();
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
    const lines = logs.of('FriendsClient').map((l) => l.message);
    expect(lines.some((l) => l.startsWith('tcp to'))).toBe(true);
    for (const line of lines) expect(line).not.toMatch(UNSAFE);
  });
});
