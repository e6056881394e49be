import { connect, type Socket } from 'node:net';
import {
  AUTH_FRAME,
  AUTH_OK_FRAME,
  ErrorCodes,
  encodeCompactFrame,
  isFriendsError,
  parseAnswer,
  type FriendsAcceptor,
  type Link,
} from '../src/internal.js';
import { HandshakeHarness, roundTrip } from './support/handshake-harness.js';
import { delay, makeTempDir, once, removeDir, socketClosed, withTimeout } from './support/helpers.js';

/**
 * The unix listener must close every connection that does not start with one
 * valid ticket, before any handler runs, and never affect the connections it
 * already admitted.
 */
let dir: string;
const h = new HandshakeHarness(() => dir);
const raws: Socket[] = [];
let acceptor: FriendsAcceptor<object>;
let established: Link<object>;

beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await removeDir(dir);
});

beforeEach(async () => {
  acceptor = await h.acceptor({
    memory: false,
    admissionTimeoutMs: 150,
    onLink: (link) => {
      h.serverLinks.push(link);
      link.on('message', (m) => link.send(m)); // echo
    },
  });
  const decision = await h.negotiate(acceptor);
  if (decision.tier === 'tcp') throw new Error(`setup: expected unix, got tcp (${decision.reason})`);
  established = decision.link;
});

afterEach(async () => {
  for (const s of raws) s.destroy();
  await Promise.all(raws.splice(0).map(socketClosed));
  await h.dispose();
});

async function rawClient(): Promise<Socket> {
  const socket = connect(acceptor.unixPath!);
  socket.on('error', () => undefined);
  raws.push(socket);
  await once(socket, 'connect');
  return socket;
}

/** Resolves with the time the server took to close `socket`; rejects if it stays open. */
async function closedByServer(socket: Socket, ms = 2000): Promise<number> {
  const started = Date.now();
  await withTimeout(socketClosed(socket), ms, 'server to close the connection');
  return Date.now() - started;
}

/** The admitted client is still served, and a new valid client still gets in. */
async function expectServerUnharmed(admittedBefore: number): Promise<void> {
  expect(await roundTrip(established, established, { still: 'served' })).toEqual({ still: 'served' });
  const decision = await h.negotiate(acceptor);
  expect(decision.tier).toBe('unix');
  if (decision.tier !== 'tcp') expect(await roundTrip(decision.link, decision.link, { n: 1 })).toEqual({ n: 1 });
  expect(h.serverLinks).toHaveLength(admittedBefore + 1);
}

function ticketFrame(ticket: string, type = AUTH_FRAME): Buffer {
  return encodeCompactFrame(type, 0, ticket);
}

function lastWarningCode(): string | undefined {
  return (h.warnings.at(-1) as { code?: string } | undefined)?.code;
}

test('a forged ticket is refused', async () => {
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  raw.write(ticketFrame('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
  await closedByServer(raw);
  expect(lastWarningCode()).toBe(ErrorCodes.BAD_TICKET);
  expect(h.serverLinks).toHaveLength(admitted);
  await expectServerUnharmed(admitted);
});

test('a ticket is single use: replaying a redeemed one is refused', async () => {
  const attempt = h.attempt();
  const answer = parseAnswer(acceptor.answer(HandshakeHarness.wire(attempt.hello)));
  if (answer?.tier !== 'unix') throw new Error('expected a unix answer');
  expect((await h.complete(attempt, answer)).tier).toBe('unix');
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  raw.write(ticketFrame(answer.ticket));
  await closedByServer(raw);
  expect(lastWarningCode()).toBe(ErrorCodes.BAD_TICKET);
  await expectServerUnharmed(admitted);
});

test('a ticket stolen and used first makes the rightful client fall back to tcp, never both admitted', async () => {
  const attempt = h.attempt();
  const answer = parseAnswer(acceptor.answer(HandshakeHarness.wire(attempt.hello)));
  if (answer?.tier !== 'unix') throw new Error('expected a unix answer');
  const raw = await rawClient();
  const reply = once<[Buffer]>(raw, 'data');
  raw.write(ticketFrame(answer.ticket));
  const [data] = await reply;
  // The thief is admitted but only learns the nonce it cannot use anywhere else...
  expect(data[4]).toBe(AUTH_OK_FRAME);
  // ...and the rightful client, whose ticket is gone, stays on the standard wire.
  expect((await h.complete(attempt, answer)).tier).toBe('tcp');
});

test('an expired ticket is refused and the client falls back to tcp', async () => {
  const shortLived = await h.acceptor({ memory: false, ticketTtlMs: 30 });
  const attempt = h.attempt();
  const answer = shortLived.answer(HandshakeHarness.wire(attempt.hello));
  expect(parseAnswer(answer)?.tier).toBe('unix');
  await delay(80);
  const before = h.serverLinks.length;
  const decision = await h.complete(attempt, answer);
  expect(decision.tier).toBe('tcp');
  expect(h.warnings.some((w) => isFriendsError(w, ErrorCodes.BAD_TICKET))).toBe(true);
  expect(h.serverLinks).toHaveLength(before);
  await expectServerUnharmed(before);
});

test('garbage bytes are refused', async () => {
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  raw.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  await closedByServer(raw);
  expect(lastWarningCode()).toBe(ErrorCodes.BAD_TICKET);
  await expectServerUnharmed(admitted);
});

test('an oversized admission frame is refused from its header, without waiting for the body', async () => {
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  const header = Buffer.alloc(9);
  header.writeUInt32LE(100_000, 0);
  header[4] = AUTH_FRAME;
  raw.write(header);
  const took = await closedByServer(raw);
  expect(took).toBeLessThan(140); // well before the admission timeout
  expect(lastWarningCode()).toBe(ErrorCodes.BAD_TICKET);
  await expectServerUnharmed(admitted);
});

test('a connection that never sends a ticket is closed after admissionTimeoutMs', async () => {
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  const took = await closedByServer(raw);
  expect(took).toBeGreaterThanOrEqual(100);
  expect(lastWarningCode()).toBe(ErrorCodes.BAD_TICKET);
  await expectServerUnharmed(admitted);
});

test('a connection that stalls half-way through its ticket is closed with a handshake timeout', async () => {
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  raw.write(ticketFrame('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').subarray(0, 12));
  await closedByServer(raw);
  expect(lastWarningCode()).toBe(ErrorCodes.HANDSHAKE_TIMEOUT);
  await expectServerUnharmed(admitted);
});

test('a valid ticket in a frame of the wrong type is refused', async () => {
  const attempt = h.attempt();
  const answer = parseAnswer(acceptor.answer(HandshakeHarness.wire(attempt.hello)));
  if (answer?.tier !== 'unix') throw new Error('expected a unix answer');
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  raw.write(ticketFrame(answer.ticket, 1));
  await closedByServer(raw);
  expect(lastWarningCode()).toBe(ErrorCodes.BAD_TICKET);
  await expectServerUnharmed(admitted);
});

test('a ticket followed by anything else before the answer is refused, and no handler sees it', async () => {
  const attempt = h.attempt();
  const answer = parseAnswer(acceptor.answer(HandshakeHarness.wire(attempt.hello)));
  if (answer?.tier !== 'unix') throw new Error('expected a unix answer');
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  raw.write(Buffer.concat([ticketFrame(answer.ticket), encodeCompactFrame(1, 0, '{"sneaky":true}')]));
  await closedByServer(raw);
  expect(lastWarningCode()).toBe(ErrorCodes.BAD_TICKET);
  expect(h.serverLinks).toHaveLength(admitted);
  await expectServerUnharmed(admitted);
});

test('a client that hangs up before its ticket is cleaned up', async () => {
  const admitted = h.serverLinks.length;
  const raw = await rawClient();
  raw.end();
  await closedByServer(raw);
  expect(h.serverLinks).toHaveLength(admitted);
  await expectServerUnharmed(admitted);
});

test('many bad clients at once do not disturb the admitted one', async () => {
  const admitted = h.serverLinks.length;
  const bad = await Promise.all(Array.from({ length: 20 }, () => rawClient()));
  bad.forEach((raw, i) => {
    if (i % 4 === 0) raw.write(ticketFrame(`forged${'x'.repeat(20)}${i}`));
    else if (i % 4 === 1) raw.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    else if (i % 4 === 2) raw.write(Buffer.from([0, 0, 0, 0]));
    // i % 4 === 3: silent
  });
  await Promise.all(bad.map((raw) => closedByServer(raw)));
  await expectServerUnharmed(admitted);
});

test('close() drops connections still being admitted', async () => {
  const raw = await rawClient();
  await delay(10);
  for (const link of [...h.clientLinks, ...h.serverLinks]) link.destroy();
  await acceptor.close();
  await closedByServer(raw, 500);
});
