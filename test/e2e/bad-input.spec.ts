import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { encodeCompactFrame, encodeStockFrame } from '@friends/core/internal';
import { FriendsClient } from '@friends/nest';
import { startTestServer, type StartedServer } from '../fixtures/src/app.js';
import { freePort } from '../support/ports.js';
import type { AnyClient } from '../support/targets.js';
import { closesWithin, rawConnect, rawHello, ticketFrame, unixHello } from '../support/raw.js';

Logger.overrideLogger(false);

/**
 * Each kind of bad input costs only the connection that sent it: the server
 * stays up and clients on every tier, stock included, keep being served.
 */
describe('bad input', () => {
  let server: StartedServer;
  let port: number;
  let unixPath: string;
  const healthy: Record<string, AnyClient> = {};

  beforeAll(async () => {
    port = await freePort();
    server = await startTestServer('friends', port, {
      maxBufferSize: 1024 * 1024,
      incompleteMessageTimeout: 300,
      handshakeTimeout: 300,
      ticketTtl: 200,
    });
    unixPath = server.friends!.unixPath!;
    healthy.memory = new FriendsClient({ host: '127.0.0.1', port });
    healthy.unix = new FriendsClient({ host: '127.0.0.1', port, friends: { memory: false } });
    healthy.tcp = new FriendsClient({ host: '127.0.0.1', port, friends: false });
    healthy.stock = new ClientTCP({ host: '127.0.0.1', port });
    for (const client of Object.values(healthy)) await client.connect();
    expect((healthy.memory as FriendsClient).tier).toBe('memory');
    expect((healthy.unix as FriendsClient).tier).toBe('unix');
    expect((healthy.tcp as FriendsClient).tier).toBe('tcp');
  });

  afterAll(async () => {
    for (const client of Object.values(healthy)) await client.close();
    await server.app.close();
  });

  afterEach(async () => {
    for (const [name, client] of Object.entries(healthy)) {
      const sum = await lastValueFrom(client.send('sum.sync', [20, 22]));
      expect([name, sum]).toEqual([name, 42]);
    }
  });

  test.each([
    ['garbage bytes', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['a non-numeric length', Buffer.from('12a#{}')],
    ['an empty length', Buffer.from('#{}')],
    ['a length over maxBufferSize (nothing that size is allocated)', Buffer.from('999999999999#{')],
    ['invalid JSON', Buffer.from('5#{abc}')],
  ])('tcp: %s closes that connection at once', async (_name, bytes) => {
    const peer = await rawConnect({ port });
    peer.socket.write(bytes);
    expect(await closesWithin(peer, 1_000)).toBe(true);
  });

  test('tcp: a truncated frame followed by silence is dropped after incompleteMessageTimeout', async () => {
    const peer = await rawConnect({ port });
    peer.socket.write('100#{"pattern":"sum.sync"');
    expect(await closesWithin(peer, 150)).toBe(false);
    expect(await closesWithin(peer, 2_000)).toBe(true);
  });

  test('hello naming a pending endpoint that does not exist: answered tcp, connection keeps working', async () => {
    const hello = { v: 1, nonce: randomBytes(16).toString('hex'), endpoint: randomBytes(16).toString('hex') };
    const { peer, answer } = await rawHello(port, hello);
    expect(answer).toEqual({ response: { v: 1, tier: 'tcp', reason: 'no proof' }, isDisposed: true, id: 'hello-1' });
    peer.received.length = 0;
    peer.socket.write(encodeStockFrame(JSON.stringify({ pattern: 'sum.sync', data: [2, 2], id: 'b1' })));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(Buffer.concat(peer.received).toString()).toBe('42#{"response":4,"isDisposed":true,"id":"b1"}');
    peer.socket.destroy();
  });

  test.each([
    ['a malformed hello', { v: 1, nonce: 'short' }],
    ['a hello with a wrong kernel proof', { v: 1, nonce: randomBytes(16).toString('hex'), kernel: 'ab'.repeat(32) }],
  ])('%s is answered tcp', async (_name, hello) => {
    const { peer, answer } = await rawHello(port, hello);
    expect((answer.response as { tier: string }).tier).toBe('tcp');
    peer.socket.destroy();
  });

  test('unix: a forged ticket closes the connection', async () => {
    const peer = await rawConnect({ path: unixPath });
    peer.socket.write(ticketFrame(randomBytes(24).toString('base64url')));
    expect(await closesWithin(peer, 1_000)).toBe(true);
    expect(peer.received).toEqual([]);
  });

  test('unix: a real ticket works once; reusing it closes the connection', async () => {
    const { peer: tcp, answer } = await rawHello(port, unixHello());
    const { tier, ticket, path } = answer.response as { tier: string; ticket: string; path: string };
    expect(tier).toBe('unix');
    expect(path).toBe(unixPath);
    const first = await rawConnect({ path });
    first.socket.write(ticketFrame(ticket));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first.isClosed()).toBe(false);
    expect(first.received.length).toBeGreaterThan(0);
    const second = await rawConnect({ path });
    second.socket.write(ticketFrame(ticket));
    expect(await closesWithin(second, 1_000)).toBe(true);
    first.socket.destroy();
    tcp.socket.destroy();
  });

  test('unix: an expired ticket closes the connection', async () => {
    const { peer: tcp, answer } = await rawHello(port, unixHello());
    const { ticket } = answer.response as { ticket: string };
    await new Promise((resolve) => setTimeout(resolve, 300));
    const peer = await rawConnect({ path: unixPath });
    peer.socket.write(ticketFrame(ticket));
    expect(await closesWithin(peer, 1_000)).toBe(true);
    tcp.socket.destroy();
  });

  test.each([
    ['garbage', Buffer.from('garbage that is not a frame at all')],
    ['an oversized admission frame', encodeCompactFrame(0xf0, 0, 'x'.repeat(10_000))],
    ['a packet frame before any ticket', encodeCompactFrame(1, 0, '{"pattern":"sum.sync","data":[1],"id":1}')],
  ])('unix: %s closes the connection', async (_name, bytes) => {
    const peer = await rawConnect({ path: unixPath });
    peer.socket.write(bytes);
    expect(await closesWithin(peer, 1_000)).toBe(true);
  });

  test('unix: a connection that never sends a ticket is closed after handshakeTimeout', async () => {
    const peer = await rawConnect({ path: unixPath });
    expect(await closesWithin(peer, 2_000)).toBe(true);
  });

  test('unix: after admission, a frame over the limit or invalid JSON closes only that connection', async () => {
    for (const bad of [
      Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0, 0]),
      encodeCompactFrame(1, 0, '{not json'),
      encodeCompactFrame(7, 0, '{}'),
    ]) {
      const { peer: tcp, answer } = await rawHello(port, unixHello());
      const peer = await rawConnect({ path: unixPath });
      peer.socket.write(ticketFrame((answer.response as { ticket: string }).ticket));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(peer.isClosed()).toBe(false);
      peer.socket.write(bad);
      expect(await closesWithin(peer, 1_000)).toBe(true);
      tcp.socket.destroy();
    }
  });
});
