import { AsyncLocalStorage } from 'node:async_hooks';
import { Controller, Inject } from '@nestjs/common';
import {
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  RpcException,
  type Serializer,
  type Server,
} from '@nestjs/microservices';
import { interval, lastValueFrom, of, throwError, type Observable } from 'rxjs';
import { map, take } from 'rxjs/operators';
import type { Recorder } from '../recorder.js';
import { Recorder as RecorderToken } from '../recorder.js';
import type { ClientRecorders, ClientSettings, Scenario } from '../scenario.js';

/**
 * Nest's processing hooks (`setOnProcessingStartHook`, `setOnProcessingEndHook`),
 * as instrumentation sets them: the start hook wraps processing in a store of
 * its own, the end hook closes what the start hook opened. The 'hooks' setup
 * installs them on the server (stock or friends), and a serializer that notes
 * each response as it is written, so that the trace shows when the end hook
 * runs relative to the handler and to every response packet.
 */
export const hookStore = new AsyncLocalStorage<{ hook: string }>();

/** Contexts the start hook was given; a handler reports whether it got the very same one. */
const hookContexts = new WeakSet<object>();

interface PatternContext {
  getPattern(): string;
  getArgs(): unknown[];
}

/** What the hooks need of a server, stock or friends. */
export type HookedServer = Pick<Server, 'transportId' | 'setOnProcessingStartHook' | 'setOnProcessingEndHook'>;

function hookView(server: HookedServer, transportId: unknown, context: unknown): Record<string, unknown> {
  const ctx = context as PatternContext;
  return { ownTransport: transportId === server.transportId, pattern: ctx.getPattern(), args: ctx.getArgs().length };
}

/** Installs recording hooks on a server of the 'hooks' setup. */
export function installHooks(server: HookedServer, rec: Recorder): void {
  server.setOnProcessingStartHook((transportId: unknown, context: unknown, done: () => Promise<unknown>) => {
    const view = hookView(server, transportId, context);
    rec.add('hook start', view);
    hookContexts.add(context as object);
    const pattern = view.pattern as string;
    if (pattern === 'hk.start-hook-throws') throw new Error('start hook failed');
    if (pattern === 'hk.start-hook-async') {
      // A hook that lets processing begin only after an asynchronous step of its own.
      return Promise.resolve().then(() => hookStore.run({ hook: pattern }, done));
    }
    return hookStore.run({ hook: pattern }, done);
  });
  server.setOnProcessingEndHook((transportId: unknown, context: unknown) => {
    rec.add('hook end', {
      ...hookView(server, transportId, context),
      startContext: hookContexts.has(context as object),
    });
  });
}

/** Notes each response packet as the server writes it (ids are compared by kind, as every serializer's). */
export function answersSerializer(rec: Recorder): Serializer {
  return {
    serialize(packet: Record<string, unknown>) {
      rec.add('server serializer', { ...packet });
      return packet;
    },
  };
}

/**
 * The client notes the id and pattern of what it sends, aside: a friends
 * client's hello is then known by its id, and its answer is what the server
 * serializer saw for that id (docs/PARITY.md, kept difference 5).
 */
export function idsClient({ aside }: ClientRecorders): ClientSettings {
  return {
    serializer: {
      serialize(packet: Record<string, unknown>) {
        aside('client serializer', { id: packet.id, pattern: packet.pattern });
        return packet;
      },
    },
  };
}

@Controller()
export class HooksController {
  constructor(@Inject(RecorderToken) private readonly rec: Recorder) {}

  private saw(at: string, data: unknown, ctx: unknown): void {
    this.rec.add(at, { data, store: hookStore.getStore() ?? null, hookContext: hookContexts.has(ctx as object) });
  }

  @MessagePattern('hk.value')
  value(@Payload() data: unknown, @Ctx() ctx: unknown): unknown {
    this.saw('hk.value', data, ctx);
    return data;
  }

  @MessagePattern('hk.async')
  async later(@Payload() data: unknown, @Ctx() ctx: unknown): Promise<unknown> {
    this.saw('hk.async', data, ctx);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.rec.add('hk.async resolved', hookStore.getStore() ?? null);
    return data;
  }

  @MessagePattern('hk.stream')
  stream(@Payload() n: number, @Ctx() ctx: unknown): Observable<number> {
    this.saw('hk.stream', n, ctx);
    return interval(1).pipe(
      take(n),
      map((i) => {
        this.rec.add('hk.stream emits', i);
        return i;
      }),
    );
  }

  @MessagePattern('hk.stream-sync')
  streamSync(@Payload() values: unknown[], @Ctx() ctx: unknown): Observable<unknown> {
    this.saw('hk.stream-sync', values, ctx);
    return of(...values);
  }

  @MessagePattern('hk.throws')
  throws(@Payload() data: unknown, @Ctx() ctx: unknown): never {
    this.saw('hk.throws', data, ctx);
    throw new RpcException({ hooked: data });
  }

  @MessagePattern('hk.stream-error')
  streamError(@Payload() data: unknown, @Ctx() ctx: unknown): Observable<number> {
    this.saw('hk.stream-error', data, ctx);
    return of(1, 2).pipe(
      map((v) => {
        if (v === 2) throw new RpcException('broke after one');
        return v;
      }),
    );
  }

  @MessagePattern('hk.error-first')
  errorFirst(@Ctx() ctx: unknown): Observable<never> {
    this.saw('hk.error-first', null, ctx);
    return throwError(() => new RpcException('at once'));
  }

  @MessagePattern('hk.start-hook-async')
  afterAsyncHook(@Payload() data: unknown, @Ctx() ctx: unknown): unknown {
    this.saw('hk.start-hook-async', data, ctx);
    return data;
  }

  @MessagePattern('hk.start-hook-throws')
  neverReached(@Payload() data: unknown, @Ctx() ctx: unknown): unknown {
    this.saw('hk.start-hook-throws', data, ctx);
    return data;
  }

  @EventPattern('hk.event')
  event(@Payload() data: unknown, @Ctx() ctx: unknown): void {
    this.saw('hk.event', data, ctx);
  }

  @EventPattern('hk.event-async')
  async eventAsync(@Payload() data: unknown, @Ctx() ctx: unknown): Promise<void> {
    this.saw('hk.event-async', data, ctx);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.rec.add('hk.event-async resolved', hookStore.getStore() ?? null);
  }

  @EventPattern('hk.event-throws')
  eventThrows(@Payload() data: unknown, @Ctx() ctx: unknown): void {
    this.saw('hk.event-throws', data, ctx);
    throw new Error('event handler failed');
  }

  @EventPattern('hk.event-observable')
  eventObservable(@Payload() n: number, @Ctx() ctx: unknown): Observable<number> {
    this.saw('hk.event-observable', n, ctx);
    return interval(1).pipe(
      take(n),
      map((i) => {
        this.rec.add('hk.event-observable emits', i);
        return i;
      }),
    );
  }

  @EventPattern('hk.twice')
  twiceFirst(@Payload() data: unknown, @Ctx() ctx: unknown): void {
    this.saw('hk.twice first', data, ctx);
  }

  @EventPattern('hk.twice')
  twiceSecond(@Payload() data: unknown, @Ctx() ctx: unknown): void {
    this.saw('hk.twice second', data, ctx);
  }
}

const hooks = { server: 'hooks' as const, client: idsClient };
type Entries = readonly { at: string; v?: unknown }[];
/** The end hook ran for `pattern` (as many times as it will: for events, once). */
const ended = (pattern: string) => (entries: Entries) =>
  entries.some((e) => e.at === 'hook end' && (e.v as { pattern?: unknown } | undefined)?.pattern === pattern);

export const hookScenarios: Scenario[] = [
  { id: 'hooks/request-value', ...hooks, run: (t) => t.call('value', 'hk.value', { a: 1 }) },
  { id: 'hooks/request-async', ...hooks, run: (t) => t.call('async', 'hk.async', 'later') },
  {
    id: 'hooks/request-stream',
    ...hooks,
    async run(t) {
      await t.call('timed', 'hk.stream', 3);
      await t.call('sync', 'hk.stream-sync', ['a', 'b', 'c']);
      await t.call('empty', 'hk.stream-sync', []);
    },
  },
  {
    id: 'hooks/request-errors',
    ...hooks,
    async run(t) {
      await t.call('thrown', 'hk.throws', 'x');
      await t.call('mid-stream', 'hk.stream-error', 'y');
      await t.call('before any value', 'hk.error-first', {});
    },
  },
  {
    id: 'hooks/unknown-pattern',
    ...hooks,
    async run(t) {
      await t.call('unknown request', 'hk.nobody', 1);
      await lastValueFrom(t.client.emit('hk.nobody-event', 2));
      await t.call('then', 'hk.value', 3);
    },
  },
  {
    id: 'hooks/asynchronous-start-hook',
    ...hooks,
    async run(t) {
      await t.call('after the hook', 'hk.start-hook-async', 'a');
      await t.call('next', 'hk.value', 'b');
    },
  },
  {
    id: 'hooks/start-hook-throws',
    ...hooks,
    async run(t) {
      await t.call('hook failed', 'hk.start-hook-throws', 'x', { within: 150 });
      await t.call('still served', 'hk.value', 'y');
    },
  },
  {
    id: 'hooks/events',
    ...hooks,
    async run(t) {
      await lastValueFrom(t.client.emit('hk.event', 'e'));
      await t.server.until(ended('hk.event'));
      await lastValueFrom(t.client.emit('hk.event-async', 'f'));
      await t.server.until(ended('hk.event-async'));
      await lastValueFrom(t.client.emit('hk.twice', 'g'));
      await t.server.until(ended('hk.twice'));
      await lastValueFrom(t.client.emit('hk.event-observable', 2));
      await t.server.until(ended('hk.event-observable'));
    },
  },
  {
    id: 'hooks/event-handler-throws',
    ...hooks,
    async run(t) {
      await lastValueFrom(t.client.emit('hk.event-throws', 'e'));
      await t.server.until(ended('hk.event-throws'));
      await t.call('still served', 'hk.value', 'after');
    },
  },
  {
    id: 'hooks/concurrent-requests-and-events',
    ...hooks,
    async run(t) {
      await t.client.connect();
      const calls = [t.call('value', 'hk.value', 1), t.call('stream', 'hk.stream-sync', [2, 3])];
      t.client.emit('hk.event', 4);
      calls.push(t.call('async', 'hk.async', 5));
      await Promise.all(calls);
      await t.server.until(ended('hk.event'));
    },
  },
];
