import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import type { INestApplicationContext, INestMicroservice } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import type { Tier } from '@friends/core';
import { echoClient, grpcCalls, grpcJsNeedsStart, startGrpcServer, startNestGrpcServer } from './grpc.js';
import { FriendsClient } from '@friends/nest';
import { decided, nestCalls, nestClientContext, startNestServer } from './nest.js';
import { friendsWarnings, observe, type Seen } from './observe.js';

/**
 * The smoke scenario of an application that installed the packed packages:
 * Nest and gRPC, in memory, over unix to a server in another process, and
 * with stock peers both ways. Each placement checks that the tier the client
 * reported and the counters of the path its calls took agree with what the
 * placement should get. Prints one JSON line per placement; exits 1 if any
 * failed.
 *
 *   node dist/main.js                 everything (servers of the unix placements are children)
 *   node dist/main.js nest-server P   a FriendsServer on port P until stdin ends
 *   node dist/main.js grpc-server     a FriendsGrpcServer; prints its port
 *
 * EXPECT_GRPC=unsupported: the installed grpc-js is outside what friends
 * supports, so every gRPC placement must stay on HTTP/2 with reason
 * `unsupported-grpc`, after exactly one warning.
 */
const CALLS = 5;
const unsupportedGrpc = process.env.EXPECT_GRPC === 'unsupported';
const [role, arg] = process.argv.slice(2);

interface Outcome extends Partial<Seen> {
  transport: 'nest' | 'grpc';
  placement: string;
  expected: Tier;
  ok: boolean;
  error?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A server of this program in a child process; resolves with its port once it listens. */
function child(kind: 'nest-server' | 'grpc-server', port = 0): Promise<{ port: number; stop(): void }> {
  const proc: ChildProcess = spawn(process.execPath, [process.argv[1]!, kind, String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${kind} did not start`)), 20_000);
    proc.once('exit', (code) => reject(new Error(`${kind} exited (${code})`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      resolve({ port: Number(match[1]), stop: () => proc.stdin!.end() });
    });
  });
}

async function serveUntilStdinEnds(kind: string, port: number): Promise<void> {
  let close: () => Promise<unknown>;
  if (kind === 'nest-server') {
    const app = await startNestServer(port);
    close = () => app.close();
  } else {
    const started = await startGrpcServer(port);
    port = started.port;
    close = () => new Promise<void>((resolve) => started.server.tryShutdown(() => resolve()));
  }
  process.stdout.write(`ready ${port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void close().then(() => process.exit(0)));
}

async function placement<T>(
  transport: 'nest' | 'grpc',
  name: string,
  expected: Tier,
  side: 'client' | 'server',
  steps: { setup(): Promise<T>; work(ready: T): Promise<void>; teardown(ready: T): Promise<void> },
  expectedReason?: string,
): Promise<Outcome> {
  // A server counts the stream as one call; a Nest client also counts its 'notes' reads.
  const calls = transport === 'grpc' ? CALLS + (name.includes('nest strategy') ? 0 : 1) : CALLS + 1;
  try {
    const seen = await observe(transport, side, calls, steps);
    const problems: string[] = [];
    if (seen.counted !== expected) problems.push(`calls counted on ${seen.counted ?? 'no tier'}`);
    if (side === 'client' && seen.reported !== expected) problems.push(`tier reported: ${seen.reported ?? 'none'}`);
    if (expectedReason !== undefined && seen.reason !== expectedReason)
      problems.push(`fallback reason ${seen.reason ?? 'none'}, not ${expectedReason}`);
    const outcome = { transport, placement: name, expected, ...seen, ok: problems.length === 0 };
    return problems.length ? { ...outcome, error: problems.join('; ') } : outcome;
  } catch (err) {
    return { transport, placement: name, expected, ok: false, error: (err as Error).stack ?? String(err) };
  }
}

async function nestPlacements(): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  type Ready = { server?: INestMicroservice; context: INestApplicationContext; client: ClientProxy };
  /** A server (here, unless `port` names one elsewhere) and a ClientsModule client, decided. */
  const steps = (stock: boolean, clientStock: boolean, port?: number) => ({
    async setup(): Promise<Ready> {
      const serverPort = port ?? (await freePort());
      const server = port === undefined ? await startNestServer(serverPort, stock) : undefined;
      const { context, client } = await nestClientContext(serverPort, clientStock);
      await decided(client);
      return { server, context, client };
    },
    work: ({ client }: Ready) => nestCalls(client, CALLS),
    async teardown({ server, context }: Ready) {
      await context.close();
      await server?.close();
    },
  });
  outcomes.push(await placement('nest', 'memory', 'memory', 'client', steps(false, false)));
  const remote = await child('nest-server', await freePort());
  try {
    outcomes.push(await placement('nest', 'unix', 'unix', 'client', steps(false, false, remote.port)));
  } finally {
    remote.stop();
  }
  outcomes.push(await placement('nest', 'stock client -> friends server', 'tcp', 'server', steps(false, true)));
  outcomes.push(
    await placement('nest', 'friends client -> stock server', 'tcp', 'client', steps(true, false), 'stock-peer'),
  );
  return outcomes;
}

async function grpcPlacements(): Promise<Outcome[]> {
  const fast = (tier: Tier): Tier => (unsupportedGrpc ? 'tcp' : tier);
  const fastReason = unsupportedGrpc ? 'unsupported-grpc' : undefined;
  const outcomes: Outcome[] = [];
  type Ready = { server: { stop(): Promise<void> | void }; client: ReturnType<typeof echoClient> };
  /** A client of `port` (grpc-js waits for its tier before the first call), and the server it started, if any. */
  const steps = (
    start: () => Promise<{ port: number; stop(): Promise<void> | void }>,
    clientStock: boolean,
    streams = true,
  ) => ({
    async setup(): Promise<Ready> {
      const server = await start();
      return { server, client: echoClient(server.port, clientStock) };
    },
    work: ({ client }: Ready) => grpcCalls(client, CALLS, streams),
    async teardown({ server, client }: Ready) {
      client.close();
      await server.stop();
    },
  });
  const local = (stock: boolean) => async () => {
    const { server, port } = await startGrpcServer(0, stock);
    return { port, stop: () => server.forceShutdown() };
  };
  outcomes.push(await placement('grpc', 'memory', fast('memory'), 'client', steps(local(false), false), fastReason));
  const remote = await child('grpc-server');
  try {
    const elsewhere = async () => ({ port: remote.port, stop: () => undefined });
    outcomes.push(await placement('grpc', 'unix', fast('unix'), 'client', steps(elsewhere, false), fastReason));
  } finally {
    remote.stop();
  }
  outcomes.push(await placement('grpc', 'stock client -> friends server', 'tcp', 'server', steps(local(false), true)));
  outcomes.push(
    await placement(
      'grpc',
      'friends client -> stock server',
      'tcp',
      'client',
      steps(local(true), false),
      unsupportedGrpc ? 'unsupported-grpc' : 'stock-peer',
    ),
  );
  // Nest's own gRPC server never calls start(), which grpc-js before 1.10 needs to serve: no Nest gRPC there.
  if (grpcJsNeedsStart()) return outcomes;
  const nestStrategy = async () => {
    const port = await freePort();
    const app = await startNestGrpcServer(port);
    return { port, stop: () => app.close() };
  };
  outcomes.push(
    await placement(
      'grpc',
      'nest strategy, memory',
      fast('memory'),
      'client',
      steps(nestStrategy, false, false),
      fastReason,
    ),
  );
  return outcomes;
}

function openTelemetryInstalled(): boolean {
  try {
    createRequire(process.argv[1]!).resolve('@opentelemetry/api');
    return true;
  } catch {
    return false;
  }
}

/** Without @opentelemetry/api, `tracing: true` is refused at once with a coded error. */
function tracingWithoutOpenTelemetry(): Outcome {
  const outcome = {
    transport: 'nest' as const,
    placement: 'tracing without @opentelemetry/api',
    expected: 'tcp' as Tier,
  };
  try {
    new FriendsClient({ port: 1, tracing: true }).close();
    return { ...outcome, ok: false, error: 'a client with tracing was made' };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'FRIENDS_ERR_MISSING_PEER'
      ? { ...outcome, ok: true }
      : { ...outcome, ok: false, error: String(err) };
  }
}

async function main(): Promise<void> {
  const outcomes = [...(await nestPlacements()), ...(await grpcPlacements())];
  if (!openTelemetryInstalled()) outcomes.push(tracingWithoutOpenTelemetry());
  const warnings = friendsWarnings();
  const grpcWarnings = warnings.filter((w) => w.code === 'FRIENDS_ERR_UNSUPPORTED_GRPC_VERSION');
  const expectedWarnings = unsupportedGrpc ? 1 : 0;
  outcomes.push({
    transport: 'grpc',
    placement: 'unsupported-version warnings',
    expected: 'tcp',
    ok: grpcWarnings.length === expectedWarnings && warnings.length === grpcWarnings.length,
    ...(grpcWarnings.length === expectedWarnings && warnings.length === grpcWarnings.length
      ? {}
      : { error: `expected ${expectedWarnings} such warning, got ${JSON.stringify(warnings)}` }),
  });
  for (const outcome of outcomes) process.stdout.write(`${JSON.stringify(outcome)}\n`);
  process.stdout.write(`${JSON.stringify({ openTelemetry: openTelemetryInstalled() })}\n`);
  process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
}

if (role === 'nest-server' || role === 'grpc-server') void serveUntilStdinEnds(role, Number(arg ?? 0));
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
