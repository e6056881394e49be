import {
  Catch,
  Controller,
  createParamDecorator,
  Inject,
  Injectable,
  ParseIntPipe,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type PipeTransform,
  type ArgumentMetadata,
} from '@nestjs/common';
import { BaseRpcExceptionFilter, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { lastValueFrom, of, throwError, type Observable } from 'rxjs';
import { catchError, map } from 'rxjs/operators';
import { Recorder } from '../recorder.js';
import type { Scenario } from '../scenario.js';
import { DISPATCH_HOOK } from './context.js';

const PREFIX = 'enh.';

/** What an enhancer can learn from its execution context. */
function executionView(context: ExecutionContext): Record<string, unknown> {
  const rpc = context.switchToRpc();
  // getMetadata: Nest 12 only (docs/PARITY.md, 10).
  const ctx = rpc.getContext<{ getPattern(): string; getMetadata?(): unknown }>();
  return {
    type: context.getType(),
    class: context.getClass().name,
    handler: context.getHandler().name,
    data: rpc.getData(),
    pattern: ctx.getPattern(),
    metadata: ctx.getMetadata?.(),
    args: context.getArgs().length,
  };
}

const patternOf = (context: ExecutionContext): string =>
  context.switchToRpc().getContext<{ getPattern(): string }>().getPattern();

/** Global: records what it saw for 'enh.*' patterns; refuses payloads with `deny: true`. */
@Injectable()
export class RecordingGuard implements CanActivate {
  constructor(private readonly rec: Recorder) {}
  canActivate(context: ExecutionContext): boolean {
    if (!patternOf(context).startsWith(PREFIX)) return true;
    this.rec.add('global guard', executionView(context));
    const data = context.switchToRpc().getData() as { deny?: unknown } | null;
    return !(typeof data === 'object' && data !== null && data.deny === true);
  }
}

/** Global: records what it saw and every value that passes through, for 'enh.*' patterns. */
@Injectable()
export class RecordingInterceptor implements NestInterceptor {
  constructor(private readonly rec: Recorder) {}
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!patternOf(context).startsWith(PREFIX)) return next.handle();
    this.rec.add('global interceptor before', executionView(context));
    return next.handle().pipe(
      map((value) => {
        this.rec.add('global interceptor value', value);
        return value;
      }),
    );
  }
}

/** Global: records the argument metadata it is given for 'enh.*' handlers (data only). */
@Injectable()
export class RecordingPipe implements PipeTransform {
  constructor(private readonly rec: Recorder) {}
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' && typeof value === 'object' && value !== null && 'pipe' in value) {
      this.rec.add('global pipe', { value, type: metadata.type, data: metadata.data ?? null });
    }
    return value;
  }
}

class TeapotError extends Error {}

@Catch(TeapotError)
class TeapotFilter {
  catch(exception: TeapotError): Observable<never> {
    return throwError(() => ({ teapot: true, message: exception.message }));
  }
}

/** A catch-all filter that records the exception and then behaves as the default one. */
@Catch()
class RecordingFilter extends BaseRpcExceptionFilter {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {
    super();
  }
  override catch(exception: unknown, host: ArgumentsHost): Observable<unknown> {
    this.rec.add('filter caught', { exception, type: host.getType(), args: host.getArgs().length });
    return super.catch(exception, host);
  }
}

@Injectable()
class NumbersOnlyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const data = context.switchToRpc().getData();
    return Promise.resolve(typeof data === 'number');
  }
}

@Injectable()
class RpcGuard implements CanActivate {
  canActivate(): boolean {
    throw new RpcException({ guard: 'says no' });
  }
}

@Injectable()
class DoubleInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value) => (value as number) * 2));
  }
}

@Injectable()
class RecoverInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next
      .handle()
      .pipe(catchError((err: unknown) => of({ recovered: err instanceof Error ? err.message : err })));
  }
}

const TraceHeader = createParamDecorator(
  (key: string, context: ExecutionContext) =>
    (context.switchToRpc().getContext<{ getMetadata(): Record<string, unknown> | undefined }>().getMetadata() ?? {})[
      key
    ] ?? 'none',
);

@Controller()
export class EnhancersController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('enh.plain')
  plain(@Payload() data: unknown): unknown {
    this.rec.add('enh.plain', data);
    return data;
  }

  @MessagePattern('enh.parse-int')
  parseInt(@Payload(ParseIntPipe) n: number): number {
    this.rec.add('enh.parse-int', n);
    return n + 1;
  }

  @MessagePattern('enh.guarded')
  @UseGuards(NumbersOnlyGuard)
  @UseInterceptors(DoubleInterceptor)
  guarded(@Payload() n: number): number {
    this.rec.add('enh.guarded', n);
    return n;
  }

  @MessagePattern('enh.rpc-guard')
  @UseGuards(RpcGuard)
  rpcGuard(): string {
    this.rec.add('enh.rpc-guard');
    return 'unreachable';
  }

  @MessagePattern('enh.teapot')
  @UseFilters(new TeapotFilter())
  teapot(): never {
    this.rec.add('enh.teapot');
    throw new TeapotError('short and stout');
  }

  @MessagePattern('enh.caught')
  @UseFilters(RecordingFilter)
  caught(@Payload() kind: string): never {
    this.rec.add('enh.caught', kind);
    throw kind === 'rpc' ? new RpcException({ via: 'filter' }) : new TypeError('not rpc');
  }

  @MessagePattern('enh.recover')
  @UseInterceptors(RecoverInterceptor)
  recover(): never {
    this.rec.add('enh.recover');
    throw new RpcException('recover me');
  }

  @MessagePattern('enh.stream')
  @UseInterceptors(DoubleInterceptor)
  stream(@Payload() values: number[]): Observable<number> {
    this.rec.add('enh.stream', values);
    return of(...values);
  }

  @MessagePattern('enh.param-decorator')
  paramDecorator(@TraceHeader('trace') trace: unknown, @Payload() data: unknown): unknown {
    this.rec.add('enh.param-decorator', { trace, data });
    return { trace, data };
  }

  @MessagePattern('enh.piped')
  @UsePipes(new ParseIntPipe())
  piped(@Payload() n: number): number {
    this.rec.add('enh.piped', n);
    return n;
  }

  @EventPattern('enh.event')
  event(@Payload() data: unknown): void {
    this.rec.add('enh.event', data);
  }
}

export const enhancerScenarios: Scenario[] = [
  { id: 'enhancers/global-guard-interceptor-pipe-see', run: (t) => t.call('plain', 'enh.plain', { pipe: 1 }) },
  { id: 'enhancers/global-guard-denies', run: (t) => t.call('denied', 'enh.plain', { deny: true }) },
  {
    id: 'enhancers/parse-int-pipe',
    async run(t) {
      await t.call('ok', 'enh.parse-int', ' 41 ');
      await t.call('not a number', 'enh.parse-int', 'abc');
    },
  },
  {
    id: 'enhancers/method-pipes',
    async run(t) {
      await t.call('ok', 'enh.piped', '7');
      await t.call('bad', 'enh.piped', 'x');
    },
  },
  {
    id: 'enhancers/async-guard-and-interceptor',
    async run(t) {
      await t.call('number', 'enh.guarded', 21);
      await t.call('string', 'enh.guarded', 'x');
    },
  },
  { id: 'enhancers/guard-throws-rpc-exception', run: (t) => t.call('refused', 'enh.rpc-guard', {}) },
  { id: 'enhancers/custom-exception-filter', run: (t) => t.call('teapot', 'enh.teapot', {}) },
  {
    id: 'enhancers/catch-all-filter',
    async run(t) {
      await t.call('rpc', 'enh.caught', 'rpc');
      await t.call('type error', 'enh.caught', 'type');
    },
  },
  { id: 'enhancers/interceptor-recovers-error', run: (t) => t.call('recovered', 'enh.recover', {}) },
  { id: 'enhancers/interceptor-on-stream', run: (t) => t.call('doubled', 'enh.stream', [1, 2, 3]) },
  {
    id: 'enhancers/param-decorator-reads-metadata',
    notOnNest11: DISPATCH_HOOK,
    async run(t) {
      t.client.setOnDispatchHook((packet) => {
        packet.metadata = { trace: 't-1' };
      });
      await t.call('with', 'enh.param-decorator', 'x');
      t.client.setOnDispatchHook(() => undefined);
      await t.call('without', 'enh.param-decorator', 'y');
    },
  },
  {
    id: 'enhancers/on-events',
    async run(t) {
      await lastValueFrom(t.client.emit('enh.event', { pipe: true }));
      await t.server.until((entries) => entries.some((e) => e.at === 'enh.event'));
      await lastValueFrom(t.client.emit('enh.event', { deny: true }));
      await t.serverSaw(5);
    },
  },
];
