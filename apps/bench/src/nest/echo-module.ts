import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';

export const ECHO_PATTERN = 'echo';

@Controller()
class EchoController {
  @MessagePattern(ECHO_PATTERN)
  echo(@Payload() data: unknown): unknown {
    return data;
  }
}

/** The one handler every benchmarked server runs, stock or friends. */
@Module({ controllers: [EchoController] })
export class EchoModule {}
