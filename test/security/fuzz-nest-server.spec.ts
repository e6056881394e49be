import 'reflect-metadata';
import fc from 'fast-check';
import { Logger } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import {
  CompactFrameDecoder,
  encodeStockFrame,
  ErrorCodes,
  isFriendsError,
  metricsSnapshot,
  StockFrameDecoder,
} from '@friends/core/internal';
import { FriendsClient, FriendsServer, type FriendsServerOptions } from '@friends/nest';
import {
  admissionInput,
  chunked,
  compactInput,
  fuzz,
  settle,
  stockWireInput,
  Traffic,
  writeAll,
} from '../support/fuzz.js';
import { closesWithin, rawConnect, rawHello, ticketFrame, unixHello, type RawPeer } from '../support/raw.js';

Logger.overrideLogger(false);

const MAX_BUFFER = 256 * 1024;
/** Time a unix connection has to present its ticket: room for a loaded machine, short enough to check. */
const ADMISSION_MS = 1_000;

/** Codes a connection may be closed with for what its peer sent. */
const INPUT_CODES = [
  ErrorCodes.BAD_FRAME,
  ErrorCodes.BAD_JSON,
  ErrorCodes.FRAME_TOO_LARGE,
  ErrorCodes.INCOMPLETE_MESSAGE_TIMEOUT,
];
/** What a socket reports when its peer goes away with data unread: not the input's fault, not ours. */
const SOCKET_CODES = ['ECONNRESET', 'EPIPE'];

/** Open links of this process per socket tier (both ends of the healthy clients, the server's of the rest). */
function activeLinks(): { tcp: number; unix: number } {
  const { tcp, unix } = metricsSnapshot();
  return { tcp: tcp.connectionsActive, unix: unix.connectionsActive };
}

/** A FriendsServer that keeps what it would report as connection errors, to check their codes. */
class ObservedServer extends FriendsServer {
  readonly connectionErrors: unknown[] = [];

  constructor(options: FriendsServerOptions) {
    super(options);
  }

  override handleError(error: string): void {
    const cause = (error as unknown as { cause?: unknown }).cause;
    if (cause !== undefined) this.connectionErrors.push(cause);
    super.handleError(error);
  }
}

/**
 * Adversarial input against a Nest FriendsServer, server side: both framings,
 * the hello, and the unix admission. Each costs only the connection that sent
 * it, with a stable code; clients on every tier (and a stock one) keep calling
 * meanwhile and every call succeeds.
 */
describe('fuzz: Nest server', () => {
  let server: ObservedServer;
  let port: number;
  let unixPath: string;
  const clients: Record<string, FriendsClient | ClientTCP> = {};
  let traffic: Traffic;
  let okBefore = 0;
  let linksBefore = { tcp: 0, unix: 0 };
  const peers = new Set<RawPeer>();

  const connect = async (target: { port: number } | { path: string }): Promise<RawPeer> => {
    const peer = await rawConnect(target);
    peers.add(peer);
    return peer;
  };

  beforeAll(async () => {
    server = new ObservedServer({
      host: '127.0.0.1',
      port: 0,
      maxBufferSize: MAX_BUFFER,
      incompleteMessageTimeout: 300,
      admissionTimeout: ADMISSION_MS,
    });
    server.addHandler('sum', async (data: number[]) => data.reduce((a, b) => a + b, 0));
    await new Promise<void>((resolve, reject) => server.listen((err) => (err ? reject(err as Error) : resolve())));
    port = server.address().port;
    unixPath = server.unixPath!;
    clients.memory = new FriendsClient({ host: '127.0.0.1', port });
    clients.unix = new FriendsClient({ host: '127.0.0.1', port, friends: { memory: false } });
    clients.tcp = new FriendsClient({ host: '127.0.0.1', port, friends: false });
    clients.stock = new ClientTCP({ host: '127.0.0.1', port });
    for (const client of Object.values(clients)) await client.connect();
    expect([clients.memory, clients.unix, clients.tcp].map((c) => (c as FriendsClient).tier)).toEqual([
      'memory',
      'unix',
      'tcp',
    ]);
    let n = 0;
    const calls = Object.fromEntries(
      Object.entries(clients).map(([name, client]) => [
        name,
        async () => {
          const a = n++;
          const sum = await lastValueFrom(client.send<number>('sum', [a, 1]));
          if (sum !== a + 1) throw new Error(`sum ${a}+1 gave ${sum}`);
        },
      ]),
    );
    traffic = new Traffic(calls);
    // The hellos' TCP connections of the memory and unix clients are still closing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    linksBefore = activeLinks();
  });

  afterAll(async () => {
    await traffic?.stop();
    for (const client of Object.values(clients)) await client.close();
    await server?.close();
  });

  beforeEach(() => {
    okBefore = traffic.ok;
    server.connectionErrors.length = 0;
  });

  afterEach(async () => {
    for (const peer of peers) peer.socket.destroy();
    await Promise.all([...peers].map((peer) => peer.closed));
    peers.clear();
    // The server dropped every fuzzed connection: only the healthy clients' are left.
    for (let i = 0; i < 50 && JSON.stringify(activeLinks()) !== JSON.stringify(linksBefore); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(activeLinks()).toEqual(linksBefore);
    for (const err of server.connectionErrors) {
      const code = (err as { code?: string }).code ?? '';
      const stable = INPUT_CODES.some((c) => isFriendsError(err, c)) || SOCKET_CODES.includes(code);
      expect([stable, code, (err as Error).message]).toEqual([true, code, (err as Error).message]);
    }
    expect(traffic.failures).toEqual([]);
    expect(traffic.ok).toBeGreaterThan(okBefore);
  });

  test('stock framing on TCP: anything closes only that connection, with a stable code; answers are well framed', async () => {
    let closed = 0;
    await fuzz(
      'nest tcp framing',
      fc.array(chunked(stockWireInput(MAX_BUFFER)), { minLength: 1, maxLength: 4 }),
      async (inputs) => {
        await Promise.all(
          inputs.map(async (chunks) => {
            const peer = await connect({ port });
            writeAll(peer, chunks);
            if ((await settle(peer, 10)) === 'closed') closed++;
            peer.socket.destroy();
            const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 24 });
            for (const chunk of peer.received) for (const json of decoder.push(chunk)) JSON.parse(json);
            expect(decoder.partial).toBe(false);
          }),
        );
      },
    );
    expect(closed).toBeGreaterThan(0);
    // What closed them: coded errors (checked after each test), not only sockets going away.
    expect(
      server.connectionErrors.filter((err) => INPUT_CODES.some((c) => isFriendsError(err, c))).length,
    ).toBeGreaterThan(0);
  });

  test('hellos: random values and malformed fields are answered tcp, and the connection goes on', async () => {
    const hex = (n: number): fc.Arbitrary<string> => fc.hexaString({ minLength: n, maxLength: n });
    const field = fc.oneof(hex(32), hex(64), hex(33), fc.string({ maxLength: 100 }), fc.jsonValue({ maxDepth: 2 }));
    const hello = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        { v: fc.oneof(fc.constant(1), fc.jsonValue()), nonce: field, endpoint: field, kernel: field },
        { requiredKeys: [] },
      ),
      fc.constant({ v: 1, nonce: 'a'.repeat(32), kernel: 'b'.repeat(64), endpoint: 'c'.repeat(32) }),
    );
    await fuzz('nest hello', fc.array(hello, { minLength: 1, maxLength: 4 }), async (hellos) => {
      await Promise.all(
        hellos.map(async (data) => {
          const peer = await connect({ port });
          const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
          const replies: Record<string, unknown>[] = [];
          const both = new Promise<void>((resolve) =>
            peer.socket.on('data', (chunk: Buffer) => {
              for (const json of decoder.push(chunk)) replies.push(JSON.parse(json) as Record<string, unknown>);
              if (replies.length >= 2) resolve();
            }),
          );
          peer.socket.write(encodeStockFrame(JSON.stringify({ pattern: '$friends.hello.v1', data, id: 'h' })));
          peer.socket.write(encodeStockFrame(JSON.stringify({ pattern: 'sum', data: [40, 2], id: 's' })));
          await both;
          peer.socket.destroy();
          const [answer, sum] = replies;
          expect((answer!.response as { tier: string }).tier).toBe('tcp');
          expect(sum).toEqual({ response: 42, isDisposed: true, id: 's' });
        }),
      );
    });
  });

  test('unix, before admission: anything but a live ticket closes the connection, which never gets an answer', async () => {
    const waiting: RawPeer[] = [];
    await fuzz(
      'nest unix admission',
      fc.array(chunked(admissionInput()), { minLength: 1, maxLength: 8 }),
      async (inputs) => {
        await Promise.all(
          inputs.map(async (chunks) => {
            const peer = await connect({ path: unixPath });
            writeAll(peer, chunks);
            // Most inputs are refused at once; a partial one waits for the admission timeout, checked below.
            if ((await settle(peer, 20)) === 'open') waiting.push(peer);
            expect(peer.received).toEqual([]);
          }),
        );
      },
    );
    // Each one that was left waiting is closed by the admission timeout, still without a word.
    const deadline = Date.now() + ADMISSION_MS + 2_000;
    for (const peer of waiting) {
      expect(await closesWithin(peer, Math.max(0, deadline - Date.now()))).toBe(true);
      expect(peer.received).toEqual([]);
    }
  });

  test('unix, after admission: compact frames of any kind close only that connection; answers are well framed', async () => {
    await fuzz(
      'nest unix framing',
      fc.array(chunked(compactInput([1])), { minLength: 1, maxLength: 4 }),
      async (inputs) => {
        await Promise.all(
          inputs.map(async (chunks) => {
            const { peer: tcp, answer } = await rawHello(port, unixHello());
            tcp.socket.destroy();
            expect((answer.response as { tier: string }).tier).toBe('unix');
            const peer = await connect({ path: unixPath });
            peer.socket.write(ticketFrame((answer.response as { ticket: string }).ticket));
            while (peer.received.length === 0 && !peer.isClosed()) await new Promise((r) => setTimeout(r, 2));
            expect(peer.isClosed()).toBe(false);
            writeAll(peer, chunks);
            await settle(peer, 30);
            peer.socket.destroy();
            const decoder = new CompactFrameDecoder({ maxFrameSize: 1 << 24 });
            const frames = peer.received.flatMap((chunk) => decoder.push(chunk));
            expect(decoder.partial).toBe(false);
            // The admission proof, then packets only.
            expect(frames.slice(1).every((frame) => frame.type === 1)).toBe(true);
          }),
        );
      },
    );
  });
});
