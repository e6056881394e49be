import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Recorder } from '../recorder.js';

interface PatternContext {
  getPattern(): string;
  /** Nest 12 only (docs/PARITY.md, 10). */
  getMetadata?(): unknown;
}

/** Keys of the object pattern the property test sends in any order. */
export const PROPERTY_PATTERN = { prop: 'echo', kind: 'object', n: 1 };

/** What the property-based test's handlers see: payload, pattern and metadata. */
@Controller()
export class PropertiesController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('prop.echo')
  echo(@Payload() data: unknown, @Ctx() ctx: PatternContext): unknown {
    this.rec.add('prop.echo', { data, pattern: ctx.getPattern(), metadata: ctx.getMetadata?.() });
    return data;
  }

  @MessagePattern(PROPERTY_PATTERN)
  objectPattern(@Payload() data: unknown, @Ctx() ctx: PatternContext): unknown {
    this.rec.add('prop.object', { data, pattern: ctx.getPattern(), metadata: ctx.getMetadata?.() });
    return data;
  }

  @EventPattern('prop.event')
  event(@Payload() data: unknown, @Ctx() ctx: unknown): void {
    const c = ctx as PatternContext;
    this.rec.add('prop.event', { data, pattern: c.getPattern(), metadata: c.getMetadata?.() });
  }
}
