import 'reflect-metadata';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { encodeStockFrame, StockFrameDecoder } from '@friends/core/internal';
import { FriendsClient } from '@friends/nest';
import { startTestServer } from '../fixtures/src/app.js';
import { freePort } from '../support/ports.js';
import type { AnyClient } from '../support/targets.js';
import { rawConnect } from '../support/raw.js';

Logger.overrideLogger(false);

/** The tcp tier is the stock wire: the same bytes as the stock transport, in both directions. */
describe('stock wire, byte for byte', () => {
  describe('server: the same request bytes get the same response bytes from ServerTCP and FriendsServer', () => {
    const REQUESTS: object[] = [
      { pattern: 'sum.sync', data: [1, 2, 3], id: 'r1' },
      { pattern: 'range.sync', data: 3, id: 'r2' },
      { pattern: 'empty', data: {}, id: 'r3' },
      { pattern: 'fail.rpc.object', data: {}, id: 'r4' },
      { pattern: 'fail.unknown', data: {}, id: 'r5' },
      { pattern: 'no.such.pattern', data: {}, id: 'r6' },
      { pattern: { kind: 'object', cmd: 'sum' }, data: [2, 2], id: 'r7' },
      { pattern: 'echo', data: { text: 'äö😀', d: '1970-01-01T00:00:00.000Z' }, id: 'r8' },
      { pattern: 'metadata', data: {}, metadata: { trace: 't' }, id: 'r9' },
      { pattern: 'response.semantics', data: {}, id: 'r10' },
      { pattern: 'nothing', data: {}, id: 'r11' },
      { pattern: 'fail.stream', data: {}, id: 'r12' },
    ];

    async function transcript(kind: 'stock' | 'friends'): Promise<string[]> {
      const port = await freePort();
      const server = await startTestServer(kind, port);
      const peer = await rawConnect({ port });
      const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
      const out: string[] = [];
      try {
        for (const request of REQUESTS) {
          const before = peer.received.length;
          peer.socket.write(encodeStockFrame(JSON.stringify(request)));
          // One request at a time: wait for its final frame.
          for (let i = 0; i < 200; i++) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            const text = Buffer.concat(peer.received.slice(before)).toString();
            if (text.includes('"isDisposed":true') || text.includes('"status":"error"')) break;
          }
          const bytes = Buffer.concat(peer.received.slice(before));
          out.push(bytes.toString('utf8'));
          expect(decoder.push(bytes).length).toBeGreaterThan(0);
        }
      } finally {
        peer.socket.destroy();
        await server.app.close();
      }
      return out;
    }

    test('every response frame is identical', async () => {
      const stock = await transcript('stock');
      const friends = await transcript('friends');
      expect(stock[0]).toBe('42#{"response":6,"isDisposed":true,"id":"r1"}');
      expect(friends).toEqual(stock);
    });
  });

  describe('client: FriendsClient writes what ClientTCP writes', () => {
    let capture: Server;
    let port: number;
    const sockets = new Set<Socket>();
    let written: Buffer[] = [];

    beforeAll(async () => {
      // A peer that answers every request with 0, as a stock server would frame it.
      capture = createServer((socket) => {
        sockets.add(socket);
        const decoder = new StockFrameDecoder({ maxFrameSize: 1 << 20 });
        socket.on('data', (chunk) => {
          written.push(chunk);
          for (const json of decoder.push(chunk)) {
            const { id } = JSON.parse(json) as { id?: string };
            if (id) socket.write(encodeStockFrame(JSON.stringify({ response: 0, isDisposed: true, id })));
          }
        });
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
      port = (capture.address() as AddressInfo).port;
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => capture.close(resolve));
    });

    async function conversation(client: AnyClient): Promise<string> {
      written = [];
      client.setOnDispatchHook((packet) => {
        if (packet.pattern === 'with.metadata') packet.metadata = { trace: 'x' };
      });
      await client.connect();
      written = [];
      await lastValueFrom(client.send('sum', [1, 2]));
      await lastValueFrom(client.send({ cmd: 'b', a: 1 }, { text: 'äö😀', d: new Date(0), u: undefined }));
      await lastValueFrom(client.send('with.metadata', 'x'));
      await lastValueFrom(client.emit({ z: 1, a: 2 }, { n: 1 }));
      await lastValueFrom(client.send('last', 0));
      await client.close();
      // Request ids are random: compare them by shape.
      return Buffer.concat(written)
        .toString('utf8')
        .replace(/"id":"[0-9a-f]{21}"/g, '"id":"<id>"');
    }

    test('on the tcp tier (friends off) and after the hello (stock peer), the bytes equal stock', async () => {
      const stock = await conversation(new ClientTCP({ host: '127.0.0.1', port }));
      expect(stock).toContain('"id":"<id>"');
      expect(await conversation(new FriendsClient({ host: '127.0.0.1', port, friends: false }))).toBe(stock);
      expect(await conversation(new FriendsClient({ host: '127.0.0.1', port }))).toBe(stock);
    });
  });
});
