import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { Recorder } from '../recorder.js';
import type { Scenario } from '../scenario.js';

/** The TcpContext surface a handler typed for the stock transport relies on. */
interface TcpLikeContext {
  getPattern(): string;
  /** Nest 12's TcpContext has it; Nest 11's has not (FriendsContext has it on both: docs/PARITY.md, 10). */
  getMetadata?(): unknown;
  getArgs(): unknown[];
  getArgByIndex(index: number): unknown;
  getSocketRef(): SocketRefLike;
}

interface SocketRefLike {
  isClosed: boolean;
  netSocket: unknown;
  sendMessage(message: unknown, callback?: (err?: unknown) => void): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  end(): unknown;
}

/** What a handler can learn from its context, as a plain value. */
function contextView(ctx: TcpLikeContext): Record<string, unknown> {
  const args = ctx.getArgs();
  const ref = ctx.getSocketRef();
  return {
    pattern: ctx.getPattern(),
    metadata: ctx.getMetadata?.(),
    args: args.length,
    argPattern: ctx.getArgByIndex(1),
    argMetadata: ctx.getArgByIndex(2),
    refIsArg0: ref === args[0],
    socketRef: {
      isClosed: ref.isClosed,
      sendMessage: typeof ref.sendMessage,
      on: typeof ref.on,
      once: typeof ref.once,
      end: typeof ref.end,
      // The class of the socket (a unix socket is a net.Socket too), or null.
      netSocket: ref.netSocket === null ? null : ((ref.netSocket as object).constructor?.name ?? typeof ref.netSocket),
    },
  };
}

@Controller()
export class ContextController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('ctx.view')
  view(@Payload() data: unknown, @Ctx() ctx: TcpLikeContext): unknown {
    const view = contextView(ctx);
    this.rec.add('ctx.view', { data, ...view });
    return view;
  }

  @EventPattern('ctx.event-view')
  eventView(@Payload() data: unknown, @Ctx() ctx: unknown): void {
    this.rec.add('ctx.event-view', { data, ...contextView(ctx as TcpLikeContext) });
  }

  @MessagePattern({ role: 'math', cmd: 'sum' })
  objectPattern(@Payload() data: number[], @Ctx() ctx: TcpLikeContext): unknown {
    this.rec.add('ctx.object-pattern', { data, pattern: ctx.getPattern() });
    return data.reduce((a, b) => a + b, 0);
  }

  @MessagePattern({ outer: { z: 1, a: [2, 'x'] }, name: 'q"uo\\te' })
  nestedPattern(@Ctx() ctx: TcpLikeContext): string {
    this.rec.add('ctx.nested-pattern', ctx.getPattern());
    return ctx.getPattern();
  }

  @MessagePattern(42 as never)
  numericPattern(@Ctx() ctx: TcpLikeContext): string {
    this.rec.add('ctx.numeric-pattern', ctx.getPattern());
    return ctx.getPattern();
  }

  @MessagePattern('ctx.ünïcødé 😀 "quoted"')
  unicodePattern(@Ctx() ctx: TcpLikeContext): string {
    this.rec.add('ctx.unicode-pattern', ctx.getPattern());
    return ctx.getPattern();
  }

  @MessagePattern('ctx.socket-send')
  socketSend(@Payload() id: string, @Ctx() ctx: TcpLikeContext): Promise<unknown> {
    const ref = ctx.getSocketRef();
    return new Promise((resolve) => {
      ref.sendMessage({ id, response: 'pushed through the socket ref', isDisposed: true }, (err) => {
        this.rec.add('ctx.socket-send callback', err ?? null);
        resolve('handler answer');
      });
    });
  }
}

/** Packet metadata and ClientProxy#setOnDispatchHook are Nest 12's. */
export const DISPATCH_HOOK = 'packet metadata set by setOnDispatchHook is a Nest 12 feature';

/** An answer JSON cannot encode: on Nest 11 the stock server leaves it as an unhandled rejection. */
export const UNENCODABLE_ON_11 =
  "Nest 11's ServerTCP leaves an answer JSON cannot encode as an unhandled rejection, which fails the test process (docs/PARITY.md, 12)";

const metadataOf = (metadata: unknown) => (packet: { metadata?: unknown }) => {
  packet.metadata = metadata;
};

export const contextScenarios: Scenario[] = [
  { id: 'context/handler-context-surface', run: (t) => t.call('view', 'ctx.view', { a: 1 }) },
  {
    id: 'context/event-handler-context-surface',
    async run(t) {
      await lastValueFrom(t.client.emit('ctx.event-view', 'e'));
      await t.serverSaw(1);
    },
  },
  {
    id: 'pattern/object-key-order-normalised',
    async run(t) {
      await t.call('sorted', { cmd: 'sum', role: 'math' }, [1, 2]);
      await t.call('reversed', { role: 'math', cmd: 'sum' }, [3, 4]);
    },
  },
  {
    id: 'pattern/nested-object-with-escapes',
    async run(t) {
      await t.call('same order', { outer: { z: 1, a: [2, 'x'] }, name: 'q"uo\\te' }, {});
      await t.call('other order', { name: 'q"uo\\te', outer: { a: [2, 'x'], z: 1 } }, {});
    },
  },
  { id: 'pattern/numeric', run: (t) => t.call('42', 42, {}) },
  { id: 'pattern/unicode-string', run: (t) => t.call('unicode', 'ctx.ünïcødé 😀 "quoted"', {}) },
  {
    id: 'metadata/set-by-dispatch-hook',
    notOnNest11: DISPATCH_HOOK,
    async run(t) {
      t.client.setOnDispatchHook(metadataOf({ traceparent: '00-abc-def-01', tenant: 'ü😀', n: [1, { deep: null }] }));
      await t.call('with', 'ctx.view', 1);
      t.client.setOnDispatchHook(() => undefined);
      await t.call('without', 'ctx.view', 2);
    },
  },
  {
    id: 'metadata/json-semantics',
    notOnNest11: DISPATCH_HOOK,
    async run(t) {
      t.client.setOnDispatchHook(metadataOf({ when: new Date(0), gone: undefined, nan: NaN, minusZero: -0 }));
      await t.call('view', 'ctx.view', 1);
    },
  },
  {
    id: 'metadata/on-events',
    notOnNest11: DISPATCH_HOOK,
    async run(t) {
      t.client.setOnDispatchHook(metadataOf({ event: true }));
      await lastValueFrom(t.client.emit('ctx.event-view', 'e'));
      await t.serverSaw(1);
    },
  },
  {
    id: 'metadata/hook-sees-the-packet',
    notOnNest11: DISPATCH_HOOK,
    async run(t) {
      t.client.setOnDispatchHook((packet) => t.note('hook', { ...packet }));
      await t.call('request', 'ctx.view', { x: 1 });
      await lastValueFrom(t.client.emit('ctx.event-view', { y: 2 }));
      await t.serverSaw(2);
    },
  },
  {
    id: 'metadata/hook-throws',
    notOnNest11: DISPATCH_HOOK,
    async run(t) {
      t.client.setOnDispatchHook(() => {
        throw new Error('hook failed');
      });
      await t.call('request', 'ctx.view', 1, { within: 150 });
      await t.observe('event', t.client.emit('ctx.event-view', 2), { within: 150 });
      t.client.setOnDispatchHook(() => undefined);
      await t.call('after', 'ctx.view', 3);
    },
  },
  {
    id: 'context/socket-ref-send-message',
    async run(t) {
      await t.call('pushed', 'ctx.socket-send', 'not-a-pending-id');
      await t.serverSaw(1);
    },
  },
];
