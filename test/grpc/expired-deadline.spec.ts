import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { loadEcho } from '../fixtures/src/grpc/echo-service.js';

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;
type Placement = 'stock' | 'memory' | 'unix';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a server sees of calls, in order, on one placement: stock is the oracle for the others. */
async function traceOn(placement: Placement, drive: (client: EchoClient) => Promise<void>): Promise<string[]> {
  const trace: string[] = [];
  const server = placement === 'stock' ? new grpc.Server() : new FriendsGrpcServer();
  server.addService(Echo.service, {
    Unary(call: grpc.ServerUnaryCall<{ text: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      trace.push(`${call.request.text}: handler, cancelled ${call.cancelled}`);
      call.on('cancelled', () => trace.push(`${call.request.text}: 'cancelled'`));
      void sleep(100).then(() => {
        trace.push(`${call.request.text}: after 100 ms, cancelled ${call.cancelled}`);
        callback(null, { text: 'late' });
      });
    },
    Bidi(call: grpc.ServerDuplexStream<{ text: string }, unknown>) {
      for (const event of ['end', 'cancelled', 'close', 'error'])
        call.on(event, () => trace.push(`bidi: '${event}', cancelled ${call.cancelled}`));
      // It reads what comes, and writes once: the client cancels as that arrives.
      call.on('data', () => undefined);
      call.write({ text: 'hello' });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  const options =
    placement === 'stock' ? {} : placement === 'unix' ? friends({ friends: { memory: false } }) : friends();
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as EchoClient;
  try {
    // A connected channel: the call is picked at once, as the deadline passes.
    await new Promise((resolve) => client.Unary({ text: 'warm' }, resolve));
    trace.length = 0;
    await drive(client);
    return trace;
  } finally {
    client.close();
    server.forceShutdown();
  }
}

const unaryWith = (client: EchoClient, text: string, deadline: grpc.Deadline): Promise<string> =>
  new Promise((resolve) =>
    client.Unary({ text }, { deadline }, (err: grpc.ServiceError | null) => resolve(`${text}: ${err?.code ?? 'ok'}`)),
  );

/**
 * Divergences that lived in the HTTP/2 emulation: a call whose deadline has
 * passed when it starts on a connected channel reaches its handler (which then
 * sees it cancelled), and a bidi call the client cancels midway ends, is
 * cancelled and closes on the server in stock's order.
 */
describe('gRPC: expired deadlines and cancellations on a connected channel, as stock', () => {
  const expired: [string, () => grpc.Deadline][] = [
    ['zero', () => 0],
    ['date-zero', () => new Date(0)],
    ['minus-infinity', () => -Infinity],
    ['a second ago', () => Date.now() - 1000],
  ];

  test.each(expired)('deadline %s: the handler runs and sees the call cancelled', async (name, deadline) => {
    const drive = async (client: EchoClient): Promise<void> => {
      const status = await unaryWith(client, name, deadline());
      await sleep(150);
      expect(status).toBe(`${name}: ${grpc.status.DEADLINE_EXCEEDED}`);
    };
    const stock = await traceOn('stock', drive);
    expect(stock[0]).toBe(`${name}: handler, cancelled false`);
    expect(await traceOn('memory', drive)).toEqual(stock);
    expect(await traceOn('unix', drive)).toEqual(stock);
  });

  test('a bidi call cancelled by the client midway', async () => {
    const drive = async (client: EchoClient): Promise<void> => {
      await new Promise<void>((resolve) => {
        const call = client.Bidi();
        call.on('data', () => call.cancel());
        call.on('error', () => undefined);
        call.on('status', () => resolve());
        call.write({ text: 'a' });
      });
      await sleep(100);
    };
    const stock = await traceOn('stock', drive);
    expect(await traceOn('memory', drive)).toEqual(stock);
    expect(await traceOn('unix', drive)).toEqual(stock);
  });
});
