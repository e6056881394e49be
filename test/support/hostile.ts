import { randomBytes } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { encodeStockFrame, kernelIdentity, StockFrameDecoder, unixAnswerProof } from '@friends/core/internal';
import { handshakeService } from '@friends/grpc/internal';

/**
 * Peers that answer a client's hello with whatever a test wants: the servers a
 * client may dial (or that took the port first), speaking the stock wires.
 */

export const NEST_HELLO = '$friends.hello.v1';
type Hello = Record<string, unknown>;

/** A packet (without its id) a hostile Nest server sends back for a hello. */
export type NestAnswer = Record<string, unknown>;

export interface HostileNest {
  port: number;
  /** Every hello received, as sent. */
  hellos: Hello[];
  close(): Promise<void>;
}

/**
 * A raw TCP server speaking the Nest wire. A hello gets `answer(hello)` (an
 * async answer may relay it elsewhere first); any other request is answered
 * `{ from: 'hostile', data }`, so a test can tell who answered a call.
 */
export async function hostileNestServer(
  answer: (hello: Hello) => NestAnswer | Promise<NestAnswer>,
): Promise<HostileNest> {
  const hellos: Hello[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
    socket.on('data', (chunk) => {
      let frames: string[];
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const packet = JSON.parse(frame) as { pattern?: unknown; data?: unknown; id?: unknown };
        if (packet.id === undefined) continue;
        const reply = (body: NestAnswer): void => {
          if (!socket.destroyed) socket.write(encodeStockFrame(JSON.stringify({ ...body, id: packet.id })));
        };
        if (packet.pattern === NEST_HELLO) {
          hellos.push(packet.data as Hello);
          void Promise.resolve(answer(packet.data as Hello)).then(reply, () => socket.destroy());
        } else {
          reply({ response: { from: 'hostile', data: packet.data }, isDisposed: true });
        }
      }
    });
  });
  const port = await listenTcp(server);
  return {
    port,
    hellos,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HostileGrpc {
  target: string;
  /** Every hello received, decoded. */
  hellos: Hello[];
  close(): void;
}

const helloMethod = handshakeService.Hello!;
const identity = (bytes: Buffer): Buffer => bytes;

/**
 * A stock grpc-js server that answers friends.v1.Handshake/Hello with the bytes
 * `answer(hello)` gives (see `helloAnswerBytes`), and Echo/Unary with
 * `hostile:<text>`, so a test can tell who answered a call.
 */
export async function hostileGrpcServer(
  echo: grpc.ServiceDefinition,
  answer: (hello: Hello) => Buffer | Promise<Buffer>,
): Promise<HostileGrpc> {
  const hellos: Hello[] = [];
  const server = new grpc.Server();
  // The answer is raw bytes: the test decides every byte of the message, malformed ones included.
  const rawHello = {
    Hello: {
      path: helloMethod.path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  } as grpc.ServiceDefinition;
  server.addService(rawHello, {
    Hello: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const hello = helloMethod.requestDeserialize(call.request) as Hello;
      hellos.push(hello);
      Promise.resolve(answer(hello)).then(
        (bytes) => callback(null, bytes),
        (err: Error) => callback({ code: grpc.status.INTERNAL, details: err.message }),
      );
    },
  });
  server.addService(echo, {
    Unary: (call: grpc.ServerUnaryCall<{ text: string }, unknown>, callback: grpc.sendUnaryData<unknown>) =>
      callback(null, { text: `hostile:${call.request.text}` }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { target: `127.0.0.1:${port}`, hellos, close: () => server.forceShutdown() };
}

/** A Hello answer message (proto3: absent strings are empty) as bytes. */
export function helloAnswerBytes(answer: Record<string, unknown>): Buffer {
  return helloMethod.responseSerialize({ v: 1, tier: '', path: '', ticket: '', reason: '', proof: '', ...answer });
}

/** A hello's fields as the two wires carry them (gRPC: empty strings for absent ones). */
export function nonceOf(hello: Hello): string {
  return String(hello.nonce);
}

export const TICKET = 'T'.repeat(32);

/** A unix answer with a valid proof, as only a party on this kernel can make it. */
export function provenUnixAnswer(hello: Hello, path: string, ticket = TICKET): Record<string, unknown> {
  return {
    v: 1,
    tier: 'unix',
    path,
    ticket,
    proof: unixAnswerProof(kernelIdentity()!, nonceOf(hello), path, ticket),
  };
}

/** A socket name an acceptor could have chosen (clients connect to nothing else). */
export function socketName(prefix = 'evil'): string {
  return `${prefix}-${process.pid}-${randomBytes(8).toString('hex')}.sock`;
}

export interface OwnedSocket {
  path: string;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** A unix socket the test owns (named like a friends socket by default): counts connections and hangs up on each. */
export async function ownedUnixSocket(dir: string, name = socketName()): Promise<OwnedSocket> {
  const path = join(dir, name);
  const owned: OwnedSocket = {
    path,
    connections: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((socket) => {
    owned.connections++;
    socket.on('error', () => undefined);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return owned;
}

export function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/**
 * Opens `fifo` for writing after `ms` from another process: a reader that
 * blocked on it (and with it its event loop) is released then, so a test that
 * would otherwise hang measures the stall instead. Kill it when done.
 */
export function releaseFifoLater(fifo: string, ms: number): ChildProcess {
  const child = spawn('sh', ['-c', `sleep ${ms / 1000}; exec 3>"$0"`, fifo], { stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

/** The longest gap between ticks of a 10 ms interval while it runs: how long the event loop was blocked. */
export function watchEventLoop(): { stop(): number } {
  let last = Date.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 10);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(worst, Date.now() - last);
    },
  };
}

function listenTcp(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
