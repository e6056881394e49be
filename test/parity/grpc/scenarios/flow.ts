import type { Scenario } from '../core/scenario.js';

const CHUNK = Buffer.alloc(64 * 1024, 1);
const COUNT = 40;

export const FLOW_SCENARIOS: Scenario[] = [
  {
    id: 'flow/slow-server-reader-holds-the-client-back',
    kind: 'clientStream',
    handler: (call, callback, s) => {
      let read = 0;
      call.pause();
      const next = (): void => {
        call.resume();
        call.once('data', () => {
          read++;
          call.pause();
          void s.sleep(2).then(next);
        });
      };
      void s.sleep(50).then(next);
      call.on('end', () => callback(null, { n: read }));
    },
    async client(t) {
      const c = t.clientStream();
      let falses = 0;
      let drains = 0;
      for (let i = 0; i < COUNT; i++) {
        if (!c.call.write({ n: i, blob: CHUNK })) {
          falses++;
          await new Promise((resolve) => c.call.once('drain', resolve));
          drains++;
        }
      }
      c.end();
      await c.done;
      t.rec('write() returned false at least once', falses > 0);
      t.rec('every false was followed by drain', falses === drains);
    },
    timeoutMs: 8000,
  },
  {
    id: 'flow/slow-client-reader-holds-the-server-back',
    kind: 'serverStream',
    handler: (call, _callback, s) => {
      void (async () => {
        let falses = 0;
        for (let i = 0; i < COUNT && !call.cancelled; i++) {
          if (!call.write({ n: i, blob: CHUNK })) {
            falses++;
            await new Promise((resolve) => call.once('drain', resolve));
          }
        }
        s.rec('write() returned false at least once', falses > 0);
        call.end();
      })();
    },
    async client(t) {
      const c = t.serverStream({}, { read: false });
      let read = 0;
      for await (const message of c.call) {
        if ((message as { n: number }).n !== read) c.note('out of order', message);
        read++;
        await t.sleep(2);
      }
      c.note('read', read);
      await c.done;
    },
    timeoutMs: 8000,
  },
  {
    id: 'flow/paused-client-reader-bounds-what-the-server-wrote',
    kind: 'serverStream',
    handler: (call, _callback, s) => {
      void (async () => {
        let accepted = 0;
        for (let i = 0; i < 200 && !call.cancelled; i++) {
          const more = call.write({ n: i, blob: CHUNK }, () => accepted++);
          if (!more) await new Promise((resolve) => call.once('drain', resolve));
        }
        s.rec('all written', accepted);
        call.end();
      })();
    },
    async client(t) {
      await t.connected();
      const c = t.serverStream({}, { read: false });
      c.call.pause();
      await t.sleep(150);
      // Held back: the server cannot have written all 200 64 KiB messages into an unread stream.
      c.note('messages buffered on the client while paused, at most 64', c.call.readableLength <= 64);
      c.call.on('data', () => undefined);
      c.call.resume();
      await c.done;
    },
    timeoutMs: 8000,
  },
  {
    id: 'flow/thousand-small-messages-both-ways',
    kind: 'bidi',
    handler: (call) => {
      call.on('data', (m: { n: number }) => call.write({ n: m.n * 2 }));
      call.on('end', () => call.end());
    },
    async client(t) {
      const c = t.bidi({ read: false });
      let sum = 0;
      let count = 0;
      c.call.on('data', (m: { n: number }) => {
        sum += m.n;
        count++;
      });
      for (let i = 0; i < 1000; i++) c.call.write({ n: i });
      c.call.end();
      await c.done;
      t.rec('replies', { count, sum });
    },
  },
  {
    id: 'flow/three-1mib-messages',
    kind: 'serverStream',
    handler: (call) => {
      for (let i = 0; i < 3; i++) call.write({ n: i, blob: Buffer.alloc(1024 * 1024, i) });
      call.end();
    },
    async client(t) {
      await t.serverStream({}).done;
    },
  },
];
