import * as http2 from 'node:http2';
import type { OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { responseStatus, STATUS_DEFAULT, wantsDate, type HeaderBlock } from '../src/h2/headers.js';
import { receiveBlock, sendBlock, type ReceivedHeaders } from '../src/h2/received-headers.js';

/** A block sent and received through a friend link, as bytes (unix) or handed over in memory. */
function across(
  inMemory: boolean,
  headers: OutgoingHttpHeaders,
  block: HeaderBlock,
  defaults?: Record<string, string>,
  status?: string,
  date?: string,
): ReceivedHeaders {
  const fold = receiveBlock(sendBlock(inMemory, headers, block, defaults, status, date), block)!;
  if (block === 'trailers' && fold.count === 0) throw Object.assign(new Error('none'), { code: 'no trailers event' });
  return fold.finish();
}

/** The outcome of a block across a friend link: the same as bytes (unix) and in memory. */
function outcomeOf(across: (inMemory: boolean) => ReceivedHeaders, added: string[]): Outcome {
  const one = (receive: () => ReceivedHeaders): Outcome => {
    try {
      const received = receive();
      if (received.refused !== undefined) return { thrown: `refused ${received.refused}` };
      return { received: comparable(received.headers, added) };
    } catch (err) {
      return { thrown: errorCode(err) };
    }
  };
  const bytes = one(() => across(false));
  expect(one(() => across(true))).toEqual(bytes);
  return bytes;
}

/**
 * Friend links stand in for HTTP/2 under grpc-js, so a header object must come
 * out on the other side exactly as Node's http2 would deliver it (or be refused
 * as Node refuses it). Node itself is the oracle: the same random header
 * objects go over a real HTTP/2 connection on loopback and through the
 * emulation, and what each side sees is compared.
 */

/** The session limits grpc-js sets on both ends (it lifts Node's send and memory caps). */
const GRPC_JS_SESSION = {
  maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
  maxSessionMemory: Number.MAX_SAFE_INTEGER,
};

type Outcome = { thrown: string } | { received: Record<string, unknown> };

/**
 * Header objects as grpc-js builds them: names are metadata keys (lowercase
 * [0-9a-z_.-]) or its own fields, values printable ASCII (base64 for -bin
 * keys) or numbers (its status), one value or several. Reserved names are
 * what an application can still put in metadata.
 */
const NAMES = fc.oneof(
  fc.constantFrom(
    'x-a',
    'x-b',
    'x-bin-bin',
    'user-agent',
    'content-type',
    'cookie',
    'set-cookie',
    'authorization',
    'te',
    'connection',
    'keep-alive',
    'transfer-encoding',
    'grpc-timeout',
    'grpc-status',
    'grpc-message',
    'date',
    'host',
  ),
  fc.stringMatching(/^[0-9a-z_.-]{1,10}$/),
);
const VALUE = fc.oneof(
  fc.constantFrom('v', 'trailers', ' lead', 'trail ', 'in side', '', 'a,b', 'a, b', ' '),
  fc.stringMatching(/^[ -~]{0,12}$/),
  fc.integer({ min: 0, max: 999 }),
);
const HEADERS = fc.dictionary(NAMES, fc.oneof(VALUE, fc.array(VALUE, { minLength: 1, maxLength: 3 })), {
  maxKeys: 6,
}) as fc.Arbitrary<OutgoingHttpHeaders>;

/** Drops what Node adds on its own, so both sides compare what the application sent. */
function comparable(headers: http2.IncomingHttpHeaders, added: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(headers)) {
    if (added.includes(key)) continue;
    const value = headers[key];
    // Long values are compared by length: echoing them back whole would hit the limits under test.
    out[key] = typeof value === 'string' && value.length > 1_000 ? `${value.length} characters` : value;
  }
  return out;
}

function errorCode(err: unknown): string {
  return (err as { code?: string }).code ?? String(err);
}

describe('friend links carry headers as Node http2 does', () => {
  let server: http2.Http2Server;
  let session: http2.ClientHttp2Session;
  const serverSessions = new Set<http2.ServerHttp2Session>();
  let url = '';
  /** A session per exchange: Node drops a session whose request it refused for some header errors. */
  const live = (): http2.ClientHttp2Session => {
    session.destroy();
    for (const serverSession of serverSessions)
      if (serverSession.closed || serverSession.destroyed) serverSessions.delete(serverSession);
    session = http2.connect(url, GRPC_JS_SESSION);
    session.on('error', () => undefined);
    return session;
  };
  let respondWith: http2.OutgoingHttpHeaders = {};
  let respondError: string | undefined;

  beforeAll(async () => {
    server = http2.createServer(GRPC_JS_SESSION);
    server.on('session', (serverSession) => serverSessions.add(serverSession));
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      respondError = undefined;
      if (headers[':path'] === '/trailers') {
        stream.respond({ ':status': 200 }, { waitForTrailers: true });
        stream.once('wantTrailers', () => {
          try {
            stream.sendTrailers({ ...respondWith });
          } catch (err) {
            respondError = errorCode(err);
            stream.close();
          }
        });
        stream.end();
      } else if (headers[':path'] === '/respond') {
        try {
          stream.respond({ ...respondWith }, { endStream: true });
        } catch (err) {
          respondError = errorCode(err);
          stream.respond({ ':status': 200, 'x-failed': '1' }, { endStream: true });
        }
      } else {
        stream.respond(
          { ':status': 200, 'x-echo': JSON.stringify(comparable(headers, [':method', ':scheme', ':authority'])) },
          { endStream: true },
        );
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    session = http2.connect(url, GRPC_JS_SESSION);
    session.on('error', () => undefined);
  });

  afterAll(async () => {
    session.destroy();
    for (const serverSession of serverSessions) serverSession.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** What a server sees of a request's headers over real HTTP/2. */
  function realRequest(headers: http2.OutgoingHttpHeaders): Promise<Outcome> {
    return new Promise((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = live().request(
          { ...headers, ':method': 'POST', ':path': String(headers[':path'] ?? '/') },
          { endStream: true },
        );
      } catch (err) {
        resolve({ thrown: errorCode(err) });
        return;
      }
      // Node reports some refusals as an error of the whole session.
      session.once('error', (err) => resolve({ thrown: errorCode(err) }));
      stream.on('error', () => undefined);
      stream.on('response', (response) =>
        resolve({ received: JSON.parse(String(response['x-echo'])) as Record<string, unknown> }),
      );
      // The server refused the request's headers.
      stream.on('close', () => resolve({ thrown: `refused ${stream.rstCode}` }));
      const timer = setTimeout(() => resolve({ thrown: `no answer to ${JSON.stringify(headers)}` }), 2_000);
      stream.on('close', () => clearTimeout(timer));
      stream.resume();
    });
  }

  function emulatedRequest(headers: http2.OutgoingHttpHeaders): Outcome {
    const request = { ...headers, ':method': 'POST', ':path': String(headers[':path'] ?? '/') };
    const defaults = { ':scheme': 'http' };
    return outcomeOf(
      (inMemory) => across(inMemory, request, 'request', defaults),
      [':method', ':scheme', ':authority'],
    );
  }

  /** What a client sees of a response's headers over real HTTP/2. */
  function realResponse(headers: http2.OutgoingHttpHeaders): Promise<Outcome> {
    respondWith = headers;
    return new Promise((resolve) => {
      const stream = live().request({ ':path': '/respond' }, { endStream: true });
      stream.on('error', () => undefined);
      stream.on('response', (response) =>
        resolve(respondError ? { thrown: respondError } : { received: comparable(response, ['date']) }),
      );
      stream.resume();
    });
  }

  function emulatedResponse(headers: http2.OutgoingHttpHeaders): Outcome {
    const date = wantsDate(headers) ? 'now' : undefined;
    return outcomeOf(
      (inMemory) => across(inMemory, headers, 'response', STATUS_DEFAULT, responseStatus(headers), date),
      ['date'],
    );
  }

  /** What a client sees of trailers over real HTTP/2. */
  function realTrailers(headers: http2.OutgoingHttpHeaders): Promise<Outcome> {
    respondWith = headers;
    return new Promise((resolve) => {
      const stream = live().request({ ':path': '/trailers' }, { endStream: true });
      stream.on('error', () => undefined);
      stream.on('trailers', (trailers) => resolve({ received: comparable(trailers, []) }));
      stream.on('close', () =>
        resolve(
          respondError
            ? { thrown: respondError }
            : stream.rstCode === 0
              ? { thrown: 'no trailers event' }
              : { thrown: `refused ${stream.rstCode}` },
        ),
      );
      stream.resume();
    });
  }

  function emulatedTrailers(headers: http2.OutgoingHttpHeaders): Outcome {
    return outcomeOf((inMemory) => across(inMemory, headers, 'trailers'), []);
  }

  /** The longest value a field can have in `make(n)` before the block is refused. */
  async function longestAccepted(refused: (n: number) => Promise<boolean>): Promise<number> {
    let lo = 1_000;
    let hi = 120_000;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (await refused(mid)) hi = mid - 1;
      else lo = mid;
    }
    return lo;
  }

  test.each([
    ['of five-bit characters', 'a'],
    ['of seven-bit characters', 'v'],
    ['of characters longer in the code than as octets', '~'],
    ['of mixed characters', 'a1v~X'],
  ])(
    'the length limit of one encoded field falls where nghttp2 puts it, within HPACK state: a value %s',
    async (_name, unit) => {
      const make = (n: number): http2.OutgoingHttpHeaders => ({
        ':authority': '127.0.0.1:50051',
        'x-small': 'v',
        'x-long': unit.repeat(Math.ceil(n / unit.length)).slice(0, n),
      });
      const real = await longestAccepted(async (n) => 'thrown' in (await realRequest(make(n))));
      const emulated = await longestAccepted(async (n) => 'thrown' in emulatedRequest(make(n)));
      // nghttp2's bound also counts some of the block's other literals, which depends on what
      // its HPACK tables already hold; the emulation puts it at the value's own encoded length.
      expect(emulated).toBeGreaterThanOrEqual(real);
      expect(emulated - real).toBeLessThan(64 * 8);
      expect(emulatedRequest(make(emulated + 1))).toEqual(await realRequest(make(emulated + 1)));
    },
  );

  test('the field count limit falls where Node puts it', async () => {
    for (const count of [123, 124, 125, 126]) {
      const headers: http2.OutgoingHttpHeaders = { ':authority': '127.0.0.1:50051' };
      for (let i = 0; i < count; i++) headers[`k${i}`] = 'v';
      expect(emulatedRequest(headers)).toEqual(await realRequest(headers));
    }
  });

  test('trailers: the same fields, values, joins and refusals', async () => {
    await fc.assert(
      fc.asyncProperty(HEADERS, async (headers) => {
        expect(emulatedTrailers(headers)).toEqual(await realTrailers(headers));
      }),
      { seed: 20261130, numRuns: 300 },
    );
  });

  test('request headers: the same fields, values, joins and refusals', async () => {
    await fc.assert(
      fc.asyncProperty(HEADERS, async (headers) => {
        expect(emulatedRequest(headers)).toEqual(await realRequest(headers));
      }),
      { seed: 20261130, numRuns: 300 },
    );
  });

  test('response headers: the same fields, values, joins and refusals', async () => {
    await fc.assert(
      fc.asyncProperty(HEADERS, async (headers) => {
        expect(emulatedResponse(headers)).toEqual(await realResponse(headers));
      }),
      { seed: 20261130, numRuns: 300 },
    );
  });
});
