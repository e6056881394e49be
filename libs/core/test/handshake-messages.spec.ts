import { jest } from '@jest/globals';
import {
  TicketBook,
  claimPendingEndpoint,
  createMemoryLinkPair,
  kernelIdentity,
  kernelProof,
  memoryCopies,
  openPendingEndpoint,
  parseAnswer,
  parseHello,
  pendingEndpointCount,
  unixAnswerProof,
  type Link,
} from '../src/internal.js';
import { delay, once } from './support/helpers.js';

const NONCE = '0123456789abcdef0123456789abcdef';
const ENDPOINT = 'fedcba9876543210fedcba9876543210';
const KERNEL = 'a'.repeat(64);
const TICKET = 'AbCdEfGhIjKlMnOpQrStUvWxYz012-_9';
const SOCK = '/run/f-1-0123456789abcdef.sock';
const PROOF = 'b'.repeat(64);

describe('TicketBook', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('issues distinct random tickets that a hello answer accepts', () => {
    const book = new TicketBook(10_000);
    const tickets = new Set<string>();
    for (let i = 0; i < 500; i++) tickets.add(book.issue(NONCE));
    expect(tickets.size).toBe(500);
    for (const t of tickets) {
      expect(t).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
      expect(parseAnswer({ v: 1, tier: 'unix', path: SOCK, ticket: t, proof: PROOF })).toBeDefined();
    }
  });

  test('a ticket redeems once, for the nonce it was issued for', () => {
    const book = new TicketBook(10_000);
    const t1 = book.issue(NONCE);
    const t2 = book.issue(ENDPOINT);
    expect(book.redeem(t2)?.nonce).toBe(ENDPOINT);
    expect(book.redeem(t1)?.nonce).toBe(NONCE);
    expect(book.redeem(t1)).toBeUndefined();
    expect(book.redeem(t2)).toBeUndefined();
  });

  test('unknown, empty and look-alike tickets redeem nothing', () => {
    const book = new TicketBook(10_000);
    const t = book.issue(NONCE);
    expect(book.redeem('')).toBeUndefined();
    expect(book.redeem(TICKET)).toBeUndefined();
    expect(book.redeem(t.toUpperCase() === t ? t.toLowerCase() : t.toUpperCase())).toBeUndefined();
    expect(book.redeem(`${t} `)).toBeUndefined();
    expect(book.redeem(t)?.nonce).toBe(NONCE);
  });

  test('a ticket expires after its ttl, and an expired ticket is gone for good', () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const book = new TicketBook(100);
    const a = book.issue(NONCE);
    const b = book.issue(NONCE);
    now += 100;
    expect(book.redeem(a)?.nonce).toBe(NONCE); // exactly at the ttl: still valid
    now += 1;
    expect(book.redeem(b)).toBeUndefined();
    now -= 50;
    expect(book.redeem(b)).toBeUndefined();
  });

  test('expires in real time too', async () => {
    const book = new TicketBook(20);
    const t = book.issue(NONCE);
    await delay(60);
    expect(book.redeem(t)).toBeUndefined();
  });

  test('stays bounded: past maxOutstanding the oldest tickets are dropped', () => {
    const book = new TicketBook(60_000, 3);
    const tickets = Array.from({ length: 1000 }, () => book.issue(NONCE));
    const valid = tickets.filter((t) => book.redeem(t) !== undefined);
    expect(valid).toEqual(tickets.slice(-3));
  });

  test('when full, expired tickets are purged before a live one is dropped', () => {
    let now = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const book = new TicketBook(100, 3);
    const old = book.issue(NONCE);
    now = 50;
    const live1 = book.issue(NONCE);
    const live2 = book.issue(NONCE);
    now = 120; // `old` expired, live1/live2 not
    const fresh = book.issue(NONCE);
    expect(book.redeem(live1)?.nonce).toBe(NONCE);
    expect(book.redeem(live2)?.nonce).toBe(NONCE);
    expect(book.redeem(fresh)?.nonce).toBe(NONCE);
    expect(book.redeem(old)).toBeUndefined();
  });

  test('clear() forgets every ticket', () => {
    const book = new TicketBook(10_000);
    const t = book.issue(NONCE);
    book.clear();
    expect(book.redeem(t)).toBeUndefined();
  });
});

describe('parseHello', () => {
  test('accepts the minimal and the full hello', () => {
    expect(parseHello({ v: 1, nonce: NONCE })).toEqual({ v: 1, nonce: NONCE });
    expect(parseHello({ v: 1, nonce: NONCE, endpoint: ENDPOINT, kernel: KERNEL })).toEqual({
      v: 1,
      nonce: NONCE,
      endpoint: ENDPOINT,
      kernel: KERNEL,
    });
  });

  test('copies only known fields (extra junk is not carried along)', () => {
    const hello = parseHello({ v: 1, nonce: NONCE, extra: 'x', path: '/etc/passwd', constructor: 1 });
    expect(hello).toEqual({ v: 1, nonce: NONCE });
    expect(Object.keys(hello!)).toEqual(['v', 'nonce']);
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['a string', 'hello'],
    ['a number', 1],
    ['an array', [1, NONCE]],
    ['no v', { nonce: NONCE }],
    ['v 2', { v: 2, nonce: NONCE }],
    ['v as string', { v: '1', nonce: NONCE }],
    ['no nonce', { v: 1 }],
    ['nonce as number', { v: 1, nonce: 123 }],
    ['uppercase nonce', { v: 1, nonce: NONCE.toUpperCase() }],
    ['short nonce', { v: 1, nonce: NONCE.slice(1) }],
    ['long nonce', { v: 1, nonce: `${NONCE}0` }],
    ['nonce with a trailing newline', { v: 1, nonce: `${NONCE}\n` }],
    ['nonce with junk after', { v: 1, nonce: `${NONCE} x` }],
    ['non-hex nonce', { v: 1, nonce: 'g'.repeat(32) }],
    ['endpoint null', { v: 1, nonce: NONCE, endpoint: null }],
    ['endpoint as number', { v: 1, nonce: NONCE, endpoint: 5 }],
    ['short endpoint', { v: 1, nonce: NONCE, endpoint: ENDPOINT.slice(2) }],
    ['endpoint with junk', { v: 1, nonce: NONCE, endpoint: `${ENDPOINT}/../x` }],
    ['kernel 63 chars', { v: 1, nonce: NONCE, kernel: KERNEL.slice(1) }],
    ['kernel 65 chars', { v: 1, nonce: NONCE, kernel: `${KERNEL}a` }],
    ['uppercase kernel', { v: 1, nonce: NONCE, kernel: KERNEL.toUpperCase() }],
    ['kernel as object', { v: 1, nonce: NONCE, kernel: { toString: () => KERNEL } }],
  ])('rejects %s', (_name, data) => {
    expect(parseHello(data)).toBeUndefined();
  });
});

describe('parseAnswer', () => {
  test('accepts each tier and keeps only its fields', () => {
    expect(parseAnswer({ v: 1, tier: 'memory', path: '/x' })).toEqual({ v: 1, tier: 'memory' });
    expect(parseAnswer({ v: 1, tier: 'unix', path: SOCK, ticket: TICKET, proof: PROOF, junk: 1 })).toEqual({
      v: 1,
      tier: 'unix',
      path: SOCK,
      ticket: TICKET,
      proof: PROOF,
    });
    expect(parseAnswer({ v: 1, tier: 'tcp', reason: 'other kernel' })).toEqual({
      v: 1,
      tier: 'tcp',
      reason: 'other kernel',
    });
  });

  test('a tcp reason is optional, must be a string and is truncated to 200 characters', () => {
    expect(parseAnswer({ v: 1, tier: 'tcp' })).toEqual({ v: 1, tier: 'tcp', reason: '' });
    expect(parseAnswer({ v: 1, tier: 'tcp', reason: { evil: true } })).toEqual({ v: 1, tier: 'tcp', reason: '' });
    expect((parseAnswer({ v: 1, tier: 'tcp', reason: 'r'.repeat(10_000) }) as { reason: string }).reason).toHaveLength(
      200,
    );
  });

  test('accepts a path of 4096 characters and tickets of 16 and 64 characters', () => {
    const path = `/${'p'.repeat(4095 - SOCK.length)}${SOCK}`;
    expect(path).toHaveLength(4096);
    expect(parseAnswer({ v: 1, tier: 'unix', path, ticket: TICKET, proof: PROOF })).toBeDefined();
    expect(parseAnswer({ v: 1, tier: 'unix', path: SOCK, ticket: 'a'.repeat(16), proof: PROOF })).toBeDefined();
    expect(parseAnswer({ v: 1, tier: 'unix', path: SOCK, ticket: 'a'.repeat(64), proof: PROOF })).toBeDefined();
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['an array', [{ v: 1, tier: 'memory' }]],
    ['a string', 'memory'],
    ['no v', { tier: 'memory' }],
    ['v 2', { v: 2, tier: 'memory' }],
    ['unknown tier', { v: 1, tier: 'udp' }],
    ['tier of another case', { v: 1, tier: 'Memory' }],
    ['no tier', { v: 1 }],
    ['unix without path', { v: 1, tier: 'unix', ticket: TICKET, proof: PROOF }],
    ['unix with empty path', { v: 1, tier: 'unix', path: '', ticket: TICKET, proof: PROOF }],
    ['unix with relative path', { v: 1, tier: 'unix', path: SOCK.slice(1), ticket: TICKET, proof: PROOF }],
    [
      'unix with path over 4096',
      { v: 1, tier: 'unix', path: `/${'p'.repeat(4096 - SOCK.length)}${SOCK}`, ticket: TICKET, proof: PROOF },
    ],
    ['unix with path as array', { v: 1, tier: 'unix', path: [SOCK], ticket: TICKET, proof: PROOF }],
    [
      'unix with path to a file not named as a socket',
      { v: 1, tier: 'unix', path: '/run/docker.sock', ticket: TICKET, proof: PROOF },
    ],
    ['unix with path to a directory', { v: 1, tier: 'unix', path: `${SOCK}/`, ticket: TICKET, proof: PROOF }],
    ['unix with .. in the path', { v: 1, tier: 'unix', path: `/run/x/..${SOCK}`, ticket: TICKET, proof: PROOF }],
    ['unix with // in the path', { v: 1, tier: 'unix', path: `/${SOCK}`, ticket: TICKET, proof: PROOF }],
    ['unix with a NUL in the path', { v: 1, tier: 'unix', path: `/run/a\u0000${SOCK}`, ticket: TICKET, proof: PROOF }],
    ['unix with a newline in the path', { v: 1, tier: 'unix', path: `/run/a\n${SOCK}`, ticket: TICKET, proof: PROOF }],
    [
      'unix with an escape in the path',
      { v: 1, tier: 'unix', path: `/run/\u001b[31m${SOCK}`, ticket: TICKET, proof: PROOF },
    ],
    [
      'unix with a bidi override in the path',
      { v: 1, tier: 'unix', path: `/run/\u202e${SOCK}`, ticket: TICKET, proof: PROOF },
    ],
    [
      'unix with a lone surrogate in the path',
      { v: 1, tier: 'unix', path: `/run/\ud800${SOCK}`, ticket: TICKET, proof: PROOF },
    ],
    ['unix without ticket', { v: 1, tier: 'unix', path: SOCK, proof: PROOF }],
    ['unix with short ticket', { v: 1, tier: 'unix', path: SOCK, ticket: 'a'.repeat(15), proof: PROOF }],
    ['unix with long ticket', { v: 1, tier: 'unix', path: SOCK, ticket: 'a'.repeat(65), proof: PROOF }],
    ['unix with ticket padding', { v: 1, tier: 'unix', path: SOCK, ticket: `${TICKET.slice(0, 30)}==`, proof: PROOF }],
    ['unix with ticket trailing newline', { v: 1, tier: 'unix', path: SOCK, ticket: `${TICKET}\n`, proof: PROOF }],
    ['unix with ticket as number', { v: 1, tier: 'unix', path: SOCK, ticket: 1234567890123456, proof: PROOF }],
    ['unix without proof', { v: 1, tier: 'unix', path: SOCK, ticket: TICKET }],
    ['unix with short proof', { v: 1, tier: 'unix', path: SOCK, ticket: TICKET, proof: PROOF.slice(1) }],
    ['unix with uppercase proof', { v: 1, tier: 'unix', path: SOCK, ticket: TICKET, proof: 'B'.repeat(64) }],
  ])('rejects %s', (_name, data) => {
    expect(parseAnswer(data)).toBeUndefined();
  });
});

describe('kernel identity and proof', () => {
  test('kernelIdentity is a stable non-empty string on Linux (or null elsewhere)', () => {
    const id = kernelIdentity();
    if (process.platform === 'linux') expect(typeof id === 'string' && id.length > 0).toBe(true);
    expect(kernelIdentity()).toBe(id);
  });

  test('kernelProof is 64 hex chars, bound to both the nonce and the identity, and hides the identity', () => {
    const p = kernelProof('boot-id-1', NONCE);
    expect(p).toMatch(/^[0-9a-f]{64}$/);
    expect(kernelProof('boot-id-1', NONCE)).toBe(p);
    expect(kernelProof('boot-id-2', NONCE)).not.toBe(p);
    expect(kernelProof('boot-id-1', ENDPOINT)).not.toBe(p);
    expect(p).not.toContain(Buffer.from('boot-id-1').toString('hex'));
    expect(parseHello({ v: 1, nonce: NONCE, kernel: p })).toBeDefined();
  });

  test('unixAnswerProof differs from the client proof and binds the path and ticket', () => {
    const p = unixAnswerProof('boot-id-1', NONCE, SOCK, TICKET);
    expect(p).toMatch(/^[0-9a-f]{64}$/);
    expect(p).not.toBe(kernelProof('boot-id-1', NONCE));
    expect(unixAnswerProof('boot-id-2', NONCE, SOCK, TICKET)).not.toBe(p);
    expect(unixAnswerProof('boot-id-1', ENDPOINT, SOCK, TICKET)).not.toBe(p);
    expect(unixAnswerProof('boot-id-1', NONCE, `/tmp${SOCK}`, TICKET)).not.toBe(p);
    expect(unixAnswerProof('boot-id-1', NONCE, SOCK, `${TICKET}x`)).not.toBe(p);
  });
});

describe('pending endpoint registry', () => {
  const opened: { cancel(): void }[] = [];
  afterEach(() => {
    for (const e of opened.splice(0)) e.cancel();
  });

  function open(protocol = 'proto-a') {
    const endpoint = openPendingEndpoint(protocol, memoryCopies.json);
    opened.push(endpoint);
    return endpoint;
  }

  function connector() {
    const calls: string[] = [];
    const connect = (endpoint: { id: string; copy: unknown }): [Link<unknown>, Link<unknown>] => {
      calls.push(endpoint.id);
      return createMemoryLinkPair<unknown>(
        { peer: { kind: 'memory', endpoint: 'server' }, copy: memoryCopies.json },
        { peer: { kind: 'memory', endpoint: endpoint.id }, copy: memoryCopies.json },
      );
    };
    return { calls, connect };
  }

  test('opening an endpoint registers it under a fresh 32-hex id', () => {
    const before = pendingEndpointCount();
    const a = open();
    const b = open();
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(a.id).not.toBe(b.id);
    expect(pendingEndpointCount()).toBe(before + 2);
  });

  test('a claim works once: the client end is parked on the endpoint, the server end returned', async () => {
    const endpoint = open();
    const before = pendingEndpointCount();
    const { calls, connect } = connector();
    const server = claimPendingEndpoint(endpoint.id, 'proto-a', connect);
    expect(server).toBeDefined();
    expect(calls).toEqual([endpoint.id]);
    expect(endpoint.link).toBeDefined();
    expect(endpoint.link).not.toBe(server);
    expect(pendingEndpointCount()).toBe(before - 1);
    expect(claimPendingEndpoint(endpoint.id, 'proto-a', connect)).toBeUndefined();
    expect(calls).toHaveLength(1);
    // The two ends are connected.
    const got = once<[unknown]>(server!, 'message');
    endpoint.link!.send({ hi: 1 });
    expect((await got)[0]).toEqual({ hi: 1 });
    server!.destroy();
  });

  test('an unknown id claims nothing and builds no link', () => {
    const { calls, connect } = connector();
    expect(claimPendingEndpoint(ENDPOINT, 'proto-a', connect)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  test('a claim for another protocol fails and leaves the endpoint claimable', () => {
    const endpoint = open('proto-a');
    const { calls, connect } = connector();
    expect(claimPendingEndpoint(endpoint.id, 'proto-b', connect)).toBeUndefined();
    expect(calls).toEqual([]);
    const server = claimPendingEndpoint(endpoint.id, 'proto-a', connect);
    expect(server).toBeDefined();
    server!.destroy();
  });

  test('cancel() unregisters the endpoint', () => {
    const endpoint = open();
    const before = pendingEndpointCount();
    endpoint.cancel();
    expect(pendingEndpointCount()).toBe(before - 1);
    const { calls, connect } = connector();
    expect(claimPendingEndpoint(endpoint.id, 'proto-a', connect)).toBeUndefined();
    expect(calls).toEqual([]);
    endpoint.cancel(); // idempotent
    expect(pendingEndpointCount()).toBe(before - 1);
  });

  test('cancel() after a claim destroys the parked client end, which closes the server end', async () => {
    const endpoint = open();
    const server = claimPendingEndpoint(endpoint.id, 'proto-a', connector().connect)!;
    const closed = once(server, 'close');
    endpoint.cancel();
    expect(endpoint.link).toBeUndefined();
    await closed;
  });

  test('the table is shared through globalThis, so two copies of the package meet', () => {
    const endpoint = open();
    const table = (globalThis as Record<symbol, unknown>)[Symbol.for('friends.memory-registry.v1')] as Map<
      string,
      unknown
    >;
    expect(table).toBeInstanceOf(Map);
    expect(table.get(endpoint.id)).toBe(endpoint);
  });
});
