import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import type { FriendsContext } from '@friends/nest';
import { interval, map, take, type Observable } from 'rxjs';

/** A small math microservice: a request, a stream and an event. */
@Controller()
export class MathController {
  private readonly logger = new Logger('MathService');

  @MessagePattern('math.sum')
  sum(@Payload() numbers: number[], @Ctx() ctx: FriendsContext): { sum: number; servedOver: string } {
    return { sum: numbers.reduce((a, b) => a + b, 0), servedOver: ctx.getTier() };
  }

  @MessagePattern('math.count')
  count(@Payload() to: number): Observable<number> {
    return interval(10).pipe(
      take(to),
      map((i) => i + 1),
    );
  }

  @EventPattern('math.audit')
  // Nest types the extra arguments of event handlers as unknown.
  audit(@Payload() entry: { who: string }, @Ctx() ctx: unknown): void {
    this.logger.log(`audit from ${entry.who} over ${(ctx as FriendsContext).getTier()}`);
  }
}
