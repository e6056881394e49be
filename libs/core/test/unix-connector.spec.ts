import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  AUTH_FRAME,
  AUTH_OK_FRAME,
  COMPACT_HEADER_SIZE,
  CompactFrameDecoder,
  ErrorCodes,
  encodeCompactFrame,
  kernelIdentity,
  unixAnswerProof,
  type HelloAttempt,
} from '../src/internal.js';
import { HandshakeHarness, roundTrip } from './support/handshake-harness.js';
import { closeServer, compactJsonCodec, makeTempDir, removeDir, socketClosed } from './support/helpers.js';

/**
 * The client side of unix admission against fake endpoints: whatever the
 * endpoint does wrong, complete() decides 'tcp' (it never throws or hangs).
 */
let dir: string;
let count = 0;
const h = new HandshakeHarness(() => dir);
const servers: Server[] = [];
const accepted: Socket[] = [];

beforeAll(async () => {
  dir = await makeTempDir();
});
afterAll(async () => {
  await removeDir(dir);
});
afterEach(async () => {
  await h.dispose();
  for (const s of accepted) s.destroy();
  await Promise.all(accepted.splice(0).map(socketClosed));
  await Promise.all(servers.splice(0).map(closeServer));
});

const TICKET = 'TICKET_abcdefghijklmnopqrstuvwxyz';

/** A unix endpoint that records the first frame it gets and answers with `reply`. */
async function fakeEndpoint(
  reply: (frame: { type: number; payload: string }, socket: Socket) => void,
): Promise<{ path: string; frames: { type: number; payload: string }[] }> {
  const path = socketPath(`fake${count++}`);
  const frames: { type: number; payload: string }[] = [];
  const server = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
    const decoder = new CompactFrameDecoder({ maxFrameSize: 1024 });
    socket.on('data', (chunk) => {
      for (const f of decoder.push(chunk)) {
        const frame = { type: f.type, payload: f.payload.toString('latin1') };
        frames.push(frame);
        if (frames.length === 1) reply(frame, socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, frames };
}

/** A path in the test directory named as an acceptor names its socket (clients connect to nothing else). */
function socketPath(prefix: string): string {
  return join(dir, `${prefix}-${process.pid}-0123456789abcdef.sock`);
}

/** A unix answer as a server on this kernel would give it, with its proof. */
function unixAnswer(attempt: HelloAttempt<object>, path: string, ticket = TICKET): unknown {
  return {
    v: 1,
    tier: 'unix',
    path,
    ticket,
    proof: unixAnswerProof(kernelIdentity()!, attempt.hello.nonce, path, ticket),
  };
}

async function decide(attempt: HelloAttempt<object>, path: string): Promise<{ tier: string; reason: string }> {
  const decision = await h.complete(attempt, unixAnswer(attempt, path));
  return { tier: decision.tier, reason: decision.tier === 'tcp' ? decision.reason : '' };
}

test('presents exactly one ticket frame and accepts an endpoint that echoes the nonce', async () => {
  const attempt = h.attempt({ memory: false });
  const fake = await fakeEndpoint((_frame, socket) => {
    socket.write(encodeCompactFrame(AUTH_OK_FRAME, 0, attempt.hello.nonce));
    socket.on('data', () => undefined);
  });
  const decision = await h.complete(attempt, unixAnswer(attempt, fake.path));
  expect(fake.frames).toEqual([{ type: AUTH_FRAME, payload: TICKET }]);
  expect(decision.tier).toBe('unix');
  if (decision.tier === 'tcp') return;
  expect(decision.link.peer).toEqual({ kind: 'unix', path: fake.path });
  // The link speaks the unix codec on the same socket.
  const serverSide = accepted[0]!;
  serverSide.removeAllListeners('data');
  serverSide.on('data', (chunk) => serverSide.write(chunk)); // raw echo
  expect(await roundTrip(decision.link, decision.link, { over: 'unix' })).toEqual({ over: 'unix' });
});

test('an endpoint that answers AUTH_OK with the wrong nonce -> tcp (bad server proof)', async () => {
  const attempt = h.attempt({ memory: false });
  const fake = await fakeEndpoint((_f, socket) => socket.write(encodeCompactFrame(AUTH_OK_FRAME, 0, 'f'.repeat(32))));
  const result = await decide(attempt, fake.path);
  expect(result.tier).toBe('tcp');
  expect(result.reason).toContain(ErrorCodes.BAD_SERVER_PROOF);
});

test('an endpoint that echoes the nonce in a frame of the wrong type -> tcp', async () => {
  const attempt = h.attempt({ memory: false });
  const fake = await fakeEndpoint((_f, socket) => socket.write(encodeCompactFrame(AUTH_FRAME, 0, attempt.hello.nonce)));
  expect(await decide(attempt, fake.path)).toMatchObject({ tier: 'tcp' });
});

test('an endpoint that echoes a prefix of the nonce -> tcp', async () => {
  const attempt = h.attempt({ memory: false });
  const fake = await fakeEndpoint((_f, socket) =>
    socket.write(encodeCompactFrame(AUTH_OK_FRAME, 0, attempt.hello.nonce.slice(0, 16))),
  );
  expect(await decide(attempt, fake.path)).toMatchObject({ tier: 'tcp' });
});

test('an endpoint that hangs up -> tcp', async () => {
  const fake = await fakeEndpoint((_f, socket) => socket.destroy());
  const result = await decide(h.attempt({ memory: false }), fake.path);
  expect(result.tier).toBe('tcp');
  expect(result.reason).toContain(ErrorCodes.BAD_SERVER_PROOF);
});

test('an endpoint that never answers -> tcp after unixTimeoutMs', async () => {
  const fake = await fakeEndpoint(() => undefined);
  const started = Date.now();
  const result = await decide(h.attempt({ memory: false, unixTimeoutMs: 100 }), fake.path);
  const took = Date.now() - started;
  expect(result.tier).toBe('tcp');
  expect(result.reason).toContain(ErrorCodes.HANDSHAKE_TIMEOUT);
  expect(took).toBeGreaterThanOrEqual(90);
  expect(took).toBeLessThan(2000);
});

test('an endpoint that answers with an oversized frame -> tcp without buffering it', async () => {
  const fake = await fakeEndpoint((_f, socket) => {
    const header = Buffer.alloc(COMPACT_HEADER_SIZE);
    header.writeUInt32LE(50_000_000, 0);
    header[4] = AUTH_OK_FRAME;
    socket.write(header);
  });
  const result = await decide(h.attempt({ memory: false }), fake.path);
  expect(result.tier).toBe('tcp');
  expect(result.reason).toContain(ErrorCodes.FRAME_TOO_LARGE);
});

test('an endpoint that answers garbage -> tcp', async () => {
  const fake = await fakeEndpoint((_f, socket) => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
  expect(await decide(h.attempt({ memory: false }), fake.path)).toMatchObject({ tier: 'tcp' });
});

test('an endpoint that sends AUTH_OK and then its first message in one write: unix, message delivered', async () => {
  const attempt = h.attempt({ memory: false });
  const fake = await fakeEndpoint((_f, socket) =>
    socket.write(
      Buffer.concat([
        encodeCompactFrame(AUTH_OK_FRAME, 0, attempt.hello.nonce),
        Buffer.from(compactJsonCodec.encode({ hello: 'from the server' })),
      ]),
    ),
  );
  const decision = await h.complete(attempt, unixAnswer(attempt, fake.path));
  expect(decision.tier === 'tcp' ? `tcp: ${decision.reason}` : decision.tier).toBe('unix');
  if (decision.tier === 'tcp') return;
  const got = await new Promise<object>((resolve) => decision.link.once('message', resolve));
  expect(got).toEqual({ hello: 'from the server' });
});

test('a socket path that does not exist -> tcp (ENOENT)', async () => {
  const result = await decide(h.attempt({ memory: false }), socketPath('nobody'));
  expect(result.tier).toBe('tcp');
  expect(result.reason).toContain('ENOENT');
});

test('a path that is a regular file -> tcp', async () => {
  const file = socketPath('plainfile');
  await writeFile(file, 'x');
  expect(await decide(h.attempt({ memory: false }), file)).toMatchObject({ tier: 'tcp' });
});

test('a long path (over the kernel limit) in a missing directory -> tcp, not a throw', async () => {
  const path = join(dir, 'missing', 'z'.repeat(120), 'f-1-0123456789abcdef.sock');
  expect(await decide(h.attempt({ memory: false }), path)).toMatchObject({ tier: 'tcp' });
});

test('a path with a NUL byte -> tcp, not a throw', async () => {
  expect(await decide(h.attempt({ memory: false }), `${dir}/a\u0000b-1-0123456789abcdef.sock`)).toMatchObject({
    tier: 'tcp',
  });
});

test('an invalid unix answer (relative path, bad ticket) -> tcp as a non-friend peer', async () => {
  expect(await h.complete(h.attempt(), { v: 1, tier: 'unix', path: 'relative.sock', ticket: TICKET })).toEqual({
    tier: 'tcp',
    reason: 'peer does not speak friends',
  });
  expect(
    await h.complete(h.attempt(), { v: 1, tier: 'unix', path: '/x-1-0123456789abcdef.sock', ticket: 'short' }),
  ).toEqual({
    tier: 'tcp',
    reason: 'peer does not speak friends',
  });
});
