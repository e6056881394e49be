import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { firstValueFrom } from 'rxjs';
import { HelloAttempt, memoryCopies, stockJsonCodec } from '@friends/core/internal';
import { friends } from '@friends/grpc';
import { FriendsClient } from '@friends/nest';
import { loadEcho } from '../fixtures/src/grpc/echo-service.js';
import {
  helloAnswerBytes,
  hostileGrpcServer,
  hostileNestServer,
  mkfifo,
  ownedUnixSocket,
  provenUnixAnswer,
  socketName,
  TICKET,
  type HostileGrpc,
  type HostileNest,
  type NestAnswer,
  type OwnedSocket,
} from '../support/hostile.js';
import { wayOf } from '../support/tier.js';

Logger.overrideLogger(false);
const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;
type Hello = Record<string, unknown>;

/**
 * Property-based: whatever a server answers to the hello — any JSON, answers
 * of every tier with fields of any shape, proofs that do not verify, proven
 * answers naming paths that are missing, FIFOs or not sockets, bytes that are
 * not a Hello answer at all — the client neither throws nor leaves a rejection
 * unhandled, never connects to a socket without a valid proof, stays on the
 * standard wire, and its calls work. Fixed seed, bounded time per property;
 * FUZZ_SEED and FUZZ_MS override them.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_130);
const TIME_LIMIT_MS = Number(process.env.FUZZ_MS ?? 2_500);
const settings = {
  seed: SEED,
  numRuns: 100_000,
  interruptAfterTimeLimit: TIME_LIMIT_MS,
  markInterruptAsFailure: false,
};

let dir: string;
let owned: OwnedSocket;
let fifo: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'friends-fuzz-'));
  owned = await ownedUnixSocket(dir);
  await mkdir(join(dir, 'f'.repeat(110)));
  fifo = join(dir, 'f'.repeat(110), socketName());
  mkfifo(fifo);
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await owned.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  expect(unhandled).toEqual([]);
});

const hex = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });

/** Strings a field may hold: random text, and look-alikes of valid values. */
const fieldString = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    hex(64),
    hex(32),
    fc.constantFrom('', TICKET, '/', '..', '\u0000', 'unix', 'memory'),
  );

/** Paths an answer may name: the owned socket, a FIFO, missing files, odd shapes. */
const pathLike = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(owned.path),
    fc.constant(owned.path),
    fc.constant(fifo),
    fc.constant(dir),
    fc.string({ maxLength: 30 }).map((s) => `${dir}/${s}`),
    fc.string({ maxLength: 30 }).map((s) => `${dir}/${s}/${socketName()}`),
    fc.string({ maxLength: 5000 }).map((s) => `/${s}`),
  );

/** Mostly `likely` (so answers get far into the checks), sometimes any string, sometimes any JSON. */
const fieldValue = (likely: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 6, arbitrary: likely },
    { weight: 2, arbitrary: fieldString() },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );

/**
 * Answer-shaped objects, each field well formed more often than not (a unix
 * answer naming our socket with a ticket of the right shape and a proof of the
 * right shape is common), and any JSON. Proofs are never valid.
 */
const unprovenAnswer = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        {
          v: fieldValue(fc.constant(1)),
          tier: fieldValue(fc.constantFrom('unix', 'unix', 'memory', 'tcp')),
          path: fieldValue(pathLike()),
          ticket: fieldValue(fc.constant(TICKET)),
          proof: fieldValue(hex(64)),
          reason: fieldValue(fc.string({ maxLength: 300 })),
        },
        { requiredKeys: [] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );

/** What a server can send for a hello: an unproven answer, or a proven one naming a path that is no socket of ours. */
type Forge = (hello: Hello) => unknown;
const forgedAnswer = (): fc.Arbitrary<{ forge: Forge; proven: boolean }> =>
  fc.oneof(
    { weight: 4, arbitrary: unprovenAnswer().map((answer) => ({ forge: () => answer, proven: false })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.constant(fifo), fc.constant(join(dir, socketName())), fc.constant(join(fifo, socketName())))
        .map((path) => ({ forge: (hello: Hello) => provenUnixAnswer(hello, path), proven: true })),
    },
  );

describe('handshake fuzzing, client side', () => {
  test('HelloAttempt.complete() decides tcp for any answer without a valid proof, and never rejects', async () => {
    await fc.assert(
      fc.asyncProperty(unprovenAnswer(), async (answer) => {
        const before = owned.connections;
        const attempt = new HelloAttempt({
          protocol: 'fuzz',
          memory: true,
          unix: true,
          memoryCopy: memoryCopies.json,
          unixCodec: stockJsonCodec,
        });
        const decision = await attempt.complete(answer);
        expect(decision.tier).toBe('tcp');
        expect(owned.connections).toBe(before);
      }),
      { ...settings, numRuns: 5_000 },
    );
  });

  describe('Nest client', () => {
    let server: HostileNest;
    let next: (hello: Hello) => NestAnswer = () => ({});
    beforeAll(async () => {
      server = await hostileNestServer((hello) => next(hello));
    });
    afterAll(async () => {
      await server.close();
    });

    /** The answer as a packet: a value, an error, or a value without the end mark. */
    const packet = fc.constantFrom<(value: unknown) => NestAnswer>(
      (response) => ({ response, isDisposed: true }),
      (response) => ({ response }),
      (err) => ({ err, isDisposed: true }),
      (err) => ({ status: 'error', err }),
    );

    test('any hello answer: no crash, tcp, calls answered', async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(forgedAnswer(), packet, async ({ forge, proven }, wrap) => {
          runs++;
          const before = owned.connections;
          next = (hello) => wrap(forge(hello));
          const client = new FriendsClient({ host: '127.0.0.1', port: server.port });
          try {
            await client.connect();
            expect(client.tier).toBe('tcp');
            expect(await firstValueFrom(client.send('echo', { runs }))).toEqual({ from: 'hostile', data: { runs } });
            if (!proven) expect(owned.connections).toBe(before);
          } finally {
            client.close();
          }
        }),
        settings,
      );
      expect(runs).toBeGreaterThan(20);
    });
  });

  describe('gRPC client', () => {
    let server: HostileGrpc;
    let next: (hello: Hello) => Buffer = () => Buffer.alloc(0);
    beforeAll(async () => {
      server = await hostileGrpcServer(Echo.service, (hello) => next(hello));
    });
    afterAll(() => {
      server.close();
    });

    /** Hello answers as bytes: encoded answers with any field values, or bytes that may not decode at all. */
    const answerBytes = (): fc.Arbitrary<{ bytes: (hello: Hello) => Buffer; proven: boolean }> =>
      fc.oneof(
        forgedAnswer().map(({ forge, proven }) => ({
          bytes: (hello: Hello) => {
            const answer = forge(hello);
            const fields = typeof answer === 'object' && answer !== null && !Array.isArray(answer) ? answer : {};
            // Only what fits the message's fields can be encoded; the rest is dropped, as a server would have to.
            const message: Record<string, unknown> = {};
            for (const [key, value] of Object.entries(fields)) {
              if (key === 'v' && typeof value === 'number' && Number.isInteger(value) && value >= 0) message.v = value;
              else if (['tier', 'path', 'ticket', 'reason', 'proof'].includes(key) && typeof value === 'string')
                message[key] = value;
            }
            return helloAnswerBytes(message);
          },
          proven,
        })),
        fc.uint8Array({ maxLength: 300 }).map((raw) => ({ bytes: () => Buffer.from(raw), proven: false })),
      );

    test('any Hello response: no crash, HTTP/2, calls answered', async () => {
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(answerBytes(), async ({ bytes, proven }) => {
          runs++;
          const before = owned.connections;
          next = bytes;
          const client = new Echo(server.target, grpc.credentials.createInsecure(), friends()) as EchoClient;
          try {
            const { result, way } = await wayOf(
              () =>
                new Promise<string>((resolve, reject) =>
                  client.Unary({ text: `run ${runs}` }, (err: Error | null, reply: { text: string }) =>
                    err ? reject(err) : resolve(reply.text),
                  ),
                ),
            );
            expect({ result, way }).toEqual({ result: `hostile:run ${runs}`, way: 'http2' });
            if (!proven) expect(owned.connections).toBe(before);
          } finally {
            client.close();
          }
        }),
        settings,
      );
      expect(runs).toBeGreaterThan(10);
    });
  });
});
