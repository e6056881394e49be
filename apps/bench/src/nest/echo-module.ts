import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { EventSinks } from './event-sinks.js';
import {
  echoPayload,
  PATTERNS,
  type EchoPayload,
  type EventPayload,
  type FlushRequest,
  type StreamRequest,
} from './payloads.js';

/** Shared by every server in a process: sink ids are unique per client. */
const sinks = new EventSinks();
const streamed = new Map<number, EchoPayload>();

@Controller()
class BenchController {
  @MessagePattern(PATTERNS.echo)
  echo(@Payload() data: unknown): unknown {
    return data;
  }

  /** `count` responses of `bytes` bytes each, as one streamed answer. */
  @MessagePattern(PATTERNS.stream)
  stream(@Payload() request: StreamRequest): Observable<EchoPayload> {
    let payload = streamed.get(request.bytes);
    if (!payload) streamed.set(request.bytes, (payload = echoPayload(request.bytes)));
    const message = payload;
    return new Observable((subscriber) => {
      for (let i = 0; i < request.count; i++) subscriber.next(message);
      subscriber.complete();
    });
  }

  @EventPattern(PATTERNS.event)
  event(@Payload() event: EventPayload): void {
    sinks.count(event.k);
  }

  /** Answers once the sink has counted `expected` events. */
  @MessagePattern(PATTERNS.flush)
  flush(@Payload() request: FlushRequest): Promise<number> {
    return sinks.whenReached(request.sink, request.expected);
  }
}

/** The handlers every benchmarked server runs, stock or friends. */
@Module({ controllers: [BenchController] })
export class BenchModule {}
