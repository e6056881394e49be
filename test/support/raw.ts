import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import {
  AUTH_FRAME,
  clientEnd,
  connectionTuple,
  encodeCompactFrame,
  encodeStockFrame,
  kernelIdentity,
  kernelProof,
  StockFrameDecoder,
} from '@friends/core/internal';

/** A raw socket that records what it receives and when it closes. */
export interface RawPeer {
  socket: Socket;
  received: Buffer[];
  closed: Promise<void>;
  isClosed(): boolean;
}

export async function rawConnect(target: { port: number; host?: string } | { path: string }): Promise<RawPeer> {
  const socket = 'path' in target ? connect(target.path) : connect(target.port, target.host ?? '127.0.0.1');
  const received: Buffer[] = [];
  let closedFlag = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closed.then(() => (closedFlag = true));
  socket.on('data', (chunk) => received.push(chunk));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received, closed, isClosed: () => closedFlag };
}

/** Resolves true if the peer's socket closed within `ms`. */
export async function closesWithin(peer: RawPeer, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([peer.closed.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

type Hello = Record<string, unknown>;

/** Sends a hello the way a client would and returns the answer packet; `data` may depend on the connection. */
export async function rawHello(
  port: number,
  data: Hello | ((socket: Socket) => Hello) = { v: 1, nonce: randomBytes(16).toString('hex') },
): Promise<{ peer: RawPeer; answer: Hello }> {
  const peer = await rawConnect({ port });
  if (typeof data === 'function') data = data(peer.socket);
  const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
  const frames: string[] = [];
  const answer = new Promise<Record<string, unknown>>((resolve) =>
    peer.socket.on('data', (chunk) => {
      frames.push(...decoder.push(chunk));
      if (frames.length > 0) resolve(JSON.parse(frames[0]!));
    }),
  );
  peer.socket.write(encodeStockFrame(JSON.stringify({ pattern: '$friends.hello.v1', data, id: 'hello-1' })));
  return { peer, answer: await answer };
}

/** A hello that proves the same kernel on the connection it is sent on, so the server answers with a unix ticket. */
export function unixHello(): (socket: Socket) => Hello {
  return (socket) => {
    const nonce = randomBytes(16).toString('hex');
    return { v: 1, nonce, kernel: kernelProof(kernelIdentity()!, nonce, clientEnd(connectionTuple(socket), 'client')) };
  };
}

export function ticketFrame(ticket: string): Buffer {
  return encodeCompactFrame(AUTH_FRAME, 0, ticket);
}
