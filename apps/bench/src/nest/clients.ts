import { randomBytes } from 'node:crypto';
import type { Tier } from '@friends/core';
import { FriendsClient } from '@friends/nest';
import { ClientTCP } from '@nestjs/microservices';
import { count, lastValueFrom } from 'rxjs';
import { LOOPBACK } from '../free-port.js';
import type { Request } from '../measure.js';
import type { Workload } from '../workload.js';
import {
  echoPayload,
  eventPayload,
  PATTERNS,
  type EchoPayload,
  type EventPayload,
  type FlushRequest,
  type StreamRequest,
} from './payloads.js';
import type { NestVariant } from './variants.js';

/** The clients under test; both are Nest `ClientProxy`s. */
export type BenchClient = ClientTCP | FriendsClient;

export function createClient(variant: NestVariant, port: number): BenchClient {
  switch (variant.client) {
    case 'stock':
      return new ClientTCP({ host: LOOPBACK, port });
    case 'friends':
      return new FriendsClient({ host: LOOPBACK, port, ...(variant.copy ? { copy: variant.copy } : {}) });
    case 'friends-off':
      return new FriendsClient({ host: LOOPBACK, port, friends: false });
  }
}

/** The tier a connected client took; the stock client knows only the TCP wire. */
export function tierOf(client: BenchClient): Tier | undefined {
  return client instanceof FriendsClient ? client.tier : 'tcp';
}

/** What a client sends for a workload: the measured request, and a check that it is answered right. */
export interface NestRequests {
  measured: Request;
  leadIn: Request;
  check(): Promise<void>;
}

/** `client` may be replaced (a renewed connection): requests read it through `current`. */
export function requestsFor(current: () => BenchClient, workload: Workload): NestRequests {
  switch (workload.kind) {
    case 'unary': {
      const payload = echoPayload(workload.bytes);
      const echo = (): Promise<EchoPayload> => lastValueFrom(current().send<EchoPayload>(PATTERNS.echo, payload));
      return {
        measured: echo,
        leadIn: echo,
        check: async () => {
          const answer = await echo();
          if (answer?.s !== payload.s) throw new Error(`the ${workload.label} echo came back different`);
        },
      };
    }
    case 'stream': {
      const stream = (messages: number) => async (): Promise<void> => {
        const request: StreamRequest = { count: messages, bytes: workload.bytes };
        const received = await lastValueFrom(current().send(PATTERNS.stream, request).pipe(count()));
        if (received !== messages) throw new Error(`a stream of ${messages} brought ${received} messages`);
      };
      return { measured: stream(workload.items), leadIn: stream(10), check: stream(workload.items) };
    }
    case 'events': {
      // A sink per client (a renewed one talks to a new server); the flush answers once the
      // server counted every event this client sent.
      let state: { client: BenchClient; sink: string; payload: EventPayload; sent: number } | undefined;
      const burst = (events: number) => async (): Promise<void> => {
        const client = current();
        if (state?.client !== client) {
          const sink = randomBytes(4).toString('hex');
          state = { client, sink, payload: eventPayload(sink, workload.bytes), sent: 0 };
        }
        for (let i = 0; i < events; i++) client.emit(PATTERNS.event, state.payload);
        state.sent += events;
        const flush: FlushRequest = { sink: state.sink, expected: state.sent };
        await lastValueFrom(client.send(PATTERNS.flush, flush));
      };
      return { measured: burst(workload.items), leadIn: burst(10), check: burst(workload.items) };
    }
    case 'bidi':
      throw new Error('the Nest TCP transport has no bidirectional streams');
  }
}
