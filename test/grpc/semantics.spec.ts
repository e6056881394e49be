import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer, friends } from '@friends/grpc';
import { handshakeService } from '@friends/grpc/internal';
import { channels, type TierMessage } from '@friends/core';
import { echoHandlers, loadEcho, relay, serverEvents, type EchoRequest } from '../fixtures/src/grpc/echo-service.js';
import { TARGETS, type TargetName } from '../support/target-names.js';
import { wayOf } from '../support/tier.js';

const Echo = loadEcho();
type EchoClient = grpc.Client & Record<string, Function>;

interface Target {
  client: EchoClient;
  /** The friend tier calls must take, or undefined for HTTP/2. */
  tier: 'memory' | 'unix' | undefined;
  stop(): void;
}

async function expectTier(target: Target, call: () => Promise<unknown>): Promise<void> {
  const { way } = await wayOf(call);
  expect(way).toBe(target.tier ?? 'http2');
}

function friendsOptionsFor(name: TargetName): grpc.ClientOptions {
  if (name === 'memory' || name === 'friends client -> stock server') return friends();
  if (name === 'unix') return friends({ friends: { memory: false } });
  if (name === 'tcp') return friends({ friends: false });
  return {};
}

async function open(
  name: TargetName,
  serverOptions: grpc.ServerOptions = {},
  clientOptions: grpc.ClientOptions = {},
): Promise<Target> {
  const friendsServer = name !== 'friends client -> stock server' && name !== 'stock client -> stock server';
  const server = friendsServer ? new FriendsGrpcServer(serverOptions) : new grpc.Server(serverOptions);
  server.addService(Echo.service, echoHandlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  const options = friendsOptionsFor(name);
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    ...options,
    ...clientOptions,
  }) as EchoClient;
  const tier = name === 'memory' || name === 'unix' ? name : undefined;
  return { client, tier, stop: () => (client.close(), server.forceShutdown()) };
}

const request = (fields: Partial<EchoRequest>): Partial<EchoRequest> => ({ text: '', ...fields });

function unary(
  client: EchoClient,
  req: Partial<EchoRequest>,
  metadata = new grpc.Metadata(),
  options: grpc.CallOptions = {},
) {
  return new Promise<{
    err: grpc.ServiceError | null;
    reply: Record<string, unknown> | undefined;
    initial?: grpc.Metadata;
    status?: grpc.StatusObject;
    peer: string;
  }>((resolve) => {
    let initial: grpc.Metadata | undefined;
    let status: grpc.StatusObject | undefined;
    let reply: Record<string, unknown> | undefined;
    let err: grpc.ServiceError | null = null;
    let pending = 2;
    const done = (): void => {
      if (--pending === 0) resolve({ err, reply, initial, status, peer: call.getPeer() });
    };
    const call = client.Unary(req, metadata, options, (e: grpc.ServiceError | null, r: Record<string, unknown>) => {
      err = e;
      reply = r;
      done();
    }) as grpc.ClientUnaryCall;
    call.on('metadata', (md: grpc.Metadata) => (initial = md));
    call.on('status', (s: grpc.StatusObject) => {
      status = s;
      done();
    });
  });
}

function collect(
  stream: grpc.ClientReadableStream<unknown>,
): Promise<{ messages: unknown[]; err?: grpc.ServiceError; status?: grpc.StatusObject }> {
  return new Promise((resolve) => {
    const messages: unknown[] = [];
    let err: grpc.ServiceError | undefined;
    stream.on('data', (m) => messages.push(m));
    stream.on('error', (e: grpc.ServiceError) => (err = e));
    stream.on('status', (status: grpc.StatusObject) => setImmediate(() => resolve({ messages, err, status })));
  });
}

describe.each(TARGETS)('gRPC %s', (name) => {
  let target: Target;
  beforeAll(async () => {
    target = await open(name);
  });
  afterAll(() => target?.stop());

  test('unary: message, loader options, initial and trailing metadata, peer', async () => {
    const md = new grpc.Metadata();
    md.set('x-client', 'ascii value');
    const { err, reply, initial, status, peer } = await unary(
      target.client,
      request({ text: 'hi', big: '9007199254740993', mood: 'HAPPY' }),
      md,
    );
    expect(err).toBeNull();
    expect(reply).toEqual({
      text: 'hi',
      index: 0,
      big: '9007199254740993',
      mood: 'HAPPY',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      blob: Buffer.alloc(0),
    });
    expect(initial?.get('x-initial')).toEqual(['yes']);
    expect(initial?.get('x-client-echo')).toEqual(['ascii value']);
    expect(status?.code).toBe(grpc.status.OK);
    expect(status?.metadata.get('x-trailing')).toEqual(['yes']);
    expect(status?.metadata.get('x-trailing-bin')).toEqual([Buffer.from([0, 1, 2, 255])]);
    // The backend address, on every tier, as grpc-js reports it.
    expect(peer).toMatch(/^127\.0\.0\.1:\d+$/);
    await expectTier(target, () => unary(target.client, request({ text: 'again' })));
  });

  test('server streaming, client streaming and bidi', async () => {
    const stream = await collect(target.client.ServerStream(request({ text: 's', count: 5 })));
    expect(stream.messages.map((m) => (m as { index: number }).index)).toEqual([0, 1, 2, 3, 4]);
    expect(stream.status?.metadata.get('x-trailing')).toEqual(['yes']);

    const summed = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const call = target.client.ClientStream((e: Error | null, r: Record<string, unknown>) =>
        e ? reject(e) : resolve(r),
      );
      for (const text of ['a', 'b', 'c']) call.write(request({ text }));
      call.end();
    });
    expect(summed).toMatchObject({ text: 'a,b,c', index: 3 });

    const bidi = target.client.Bidi() as grpc.ClientDuplexStream<unknown, unknown>;
    const result = collect(bidi);
    bidi.write(request({ text: 'x' }));
    bidi.write(request({ text: 'y' }));
    bidi.end();
    expect((await result).messages.map((m) => (m as { text: string }).text)).toEqual(['X', 'Y']);
  });

  test('status codes and messages round-trip Unicode and whitespace; trailers on errors', async () => {
    const details = '  spaces, tabs\tand ünïcödé 😀 and a\nnewline ';
    const { err } = await unary(
      target.client,
      request({ fail_code: grpc.status.FAILED_PRECONDITION, fail_details: details }),
    );
    expect(err?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err?.details).toBe(details);
    expect(err?.metadata.get('x-trailing')).toEqual(['yes']);
    const thrown = await unary(target.client, request({ text: 'throw' }));
    expect(thrown.err?.code).toBe(grpc.status.UNKNOWN);
    const streamed = await collect(
      target.client.ServerStream(request({ count: 2, fail_code: grpc.status.ABORTED, fail_details: 'stop' })),
    );
    expect(streamed.messages).toHaveLength(2);
    expect(streamed.err?.code).toBe(grpc.status.ABORTED);
  });

  test('deadline: DEADLINE_EXCEEDED at the client, cancelled at the server', async () => {
    serverEvents.length = 0;
    const { err } = await unary(target.client, request({ text: 'slow', delay_ms: 400 }), new grpc.Metadata(), {
      deadline: Date.now() + 50,
    });
    expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(serverEvents).toContain('cancelled:slow');
  });

  test('client cancel: CANCELLED at the client, cancelled at the server', async () => {
    serverEvents.length = 0;
    const call = target.client.ServerStream(
      request({ text: 'cancel-me', count: 1000, delay_ms: 5 }),
    ) as grpc.ClientReadableStream<unknown>;
    const result = collect(call);
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.cancel();
    expect((await result).err?.code).toBe(grpc.status.CANCELLED);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(serverEvents).toContain('cancelled:cancel-me');
  });

  test('a response over the default 4 MiB receive limit is RESOURCE_EXHAUSTED', async () => {
    const { err } = await unary(target.client, request({ count: 5 * 1024 * 1024 }));
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const ok = await unary(target.client, request({ count: 1024 * 1024 }));
    expect((ok.reply?.blob as Buffer).length).toBe(1024 * 1024);
  });

  test('unimplemented method and unimplemented service', async () => {
    const call = (path: string) =>
      new Promise<grpc.ServiceError>((resolve) =>
        target.client.makeUnaryRequest(
          path,
          (x: Buffer) => x,
          (x: Buffer) => x,
          Buffer.alloc(0),
          (e) => resolve(e!),
        ),
      );
    const method = await call('/friends.test.Echo/Nope');
    expect(method.code).toBe(grpc.status.UNIMPLEMENTED);
    const service = await call('/no.such.Service/Call');
    expect(service.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  test("call credentials' metadata reaches the server", async () => {
    const credentials = grpc.credentials.createFromMetadataGenerator((_params, callback) => {
      const md = new grpc.Metadata();
      md.set('x-auth', 'token-1');
      callback(null, md);
    });
    const { err, initial } = await unary(target.client, request({ text: 'auth' }), new grpc.Metadata(), {
      credentials,
    });
    expect(err).toBeNull();
    expect(initial?.get('x-auth-echo')).toEqual(['token-1']);
  });

  test('a call made with a parent inherits its deadline and its cancellation', async () => {
    relay.client = target.client;
    serverEvents.length = 0;
    const timed = await unary(target.client, request({ text: 'relay' }), new grpc.Metadata(), {
      deadline: Date.now() + 100,
    });
    expect(timed.err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(serverEvents).toContain('cancelled:child');

    serverEvents.length = 0;
    const call = target.client.Unary(request({ text: 'relay' }), () => undefined) as grpc.ClientUnaryCall;
    await new Promise((resolve) => setTimeout(resolve, 50));
    call.cancel();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(serverEvents).toEqual(expect.arrayContaining(['cancelled:relay', 'cancelled:child']));
    relay.client = undefined;
  });

  test('100 concurrent unary calls', async () => {
    const replies = await Promise.all(
      Array.from({ length: 100 }, (_, i) => unary(target.client, request({ text: `n${i}` }))),
    );
    expect(replies.map((r) => r.reply?.text)).toEqual(Array.from({ length: 100 }, (_, i) => `n${i}`));
  });
});

describe.each(TARGETS)('gRPC interceptors on %s', (name) => {
  test('client interceptors (client-level and per-call) and server interceptors run', async () => {
    const seen: string[] = [];
    const clientInterceptor =
      (label: string): grpc.Interceptor =>
      (options, nextCall) =>
        new grpc.InterceptingCall(nextCall(options), {
          start(metadata, listener, next) {
            seen.push(`${label}:start`);
            metadata.set('x-client', label);
            next(metadata, listener);
          },
        });
    let hellos = 0;
    const serverInterceptor: grpc.ServerInterceptor = (method, call) =>
      new grpc.ServerInterceptingCall(call, {
        sendStatus(status, next) {
          if (method.path === '/friends.v1.Handshake/Hello') hellos++;
          else seen.push(`server:status:${status.code}`);
          next(status);
        },
      });
    const friendsOptions = friendsOptionsFor(name);
    const interceptors = [clientInterceptor('client'), ...((friendsOptions as grpc.ClientOptions).interceptors ?? [])];
    const target = await open(name, { interceptors: [serverInterceptor] }, { ...friendsOptions, interceptors });
    try {
      const first = await unary(target.client, request({ text: 'a' }));
      expect(first.initial?.get('x-client-echo')).toEqual(['client']);
      const second = await unary(target.client, request({ text: 'b' }), new grpc.Metadata(), {
        interceptors: [clientInterceptor('per-call')],
      });
      expect(second.initial?.get('x-client-echo')).toEqual(['per-call']);
      await expectTier(target, () => unary(target.client, request({ text: 'c' })));
      seen.length -= 2;
      // A friends server answers the handshake before its interceptors run; a stock server
      // answers it UNIMPLEMENTED, which grpc-js does before interceptors too.
      expect(hellos).toBe(0);
      expect(seen).toEqual(['client:start', 'server:status:0', 'per-call:start', 'server:status:0']);
    } finally {
      target.stop();
    }
  });
});

describe('a hello answer larger than any hello', () => {
  test("the client reads at most the hello's own bound, stays on HTTP/2, and its calls go on", async () => {
    let hellos = 0;
    const server = new grpc.Server();
    server.addService(Echo.service, echoHandlers);
    server.addService(handshakeService, {
      Hello: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
        hellos++;
        callback(null, { v: 1, tier: 'unix', path: '/nowhere', ticket: 't', reason: '', proof: 'p'.repeat(64 * 1024) });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    const fallbacks: TierMessage[] = [];
    const onFallback = (message: unknown): void => void fallbacks.push(message as TierMessage);
    channels.fallback.subscribe(onFallback);
    const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), friends()) as EchoClient;
    try {
      const { result, way } = await wayOf(() => unary(client, request({ text: 'after the hello' })));
      expect(result.err).toBeNull();
      expect(way).toBe('http2');
      expect(hellos).toBe(1);
      // Read whole, it would have named a socket to try: it is refused before that, for its size.
      expect(fallbacks).toEqual([expect.objectContaining({ role: 'client', reason: 'handshake-failed' })]);
      expect(fallbacks[0]!.detail).toMatch(/larger than max/);
      expect((await unary(client, request({ text: 'again' }))).err).toBeNull();
    } finally {
      channels.fallback.unsubscribe(onFallback);
      client.close();
      server.forceShutdown();
    }
  });
});
