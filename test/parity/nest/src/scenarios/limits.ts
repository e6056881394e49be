import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { map } from 'rxjs/operators';
import { Recorder } from '../recorder.js';
import type { Scenario, ScenarioContext } from '../scenario.js';
import { UNENCODABLE_ON_11 } from './context.js';
import { untilStatus, watchStatus } from './status.js';

/**
 * `maxBufferSize` of the 'limits' server setup and of the clients below. Stock
 * counts it in characters (UTF-16 code units) of the JSON text it buffers.
 */
export const LIMIT = 4096;
/** Far enough below and above the limit that the frame's envelope and length prefix do not matter. */
const UNDER = 3800;
const OVER = 4400;

/** Nested one level per step, alternating objects and arrays. */
export function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

/** How deep `value` goes along its first child (iteratively: the values are too deep to recurse). */
export function depthOf(value: unknown): number {
  let depth = 0;
  for (;;) {
    if (Array.isArray(value)) value = value[0];
    else if (typeof value === 'object' && value !== null) value = (value as { k?: unknown }).k;
    else return depth;
    depth++;
  }
}

@Controller()
export class LimitsController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('lim.length')
  length(@Payload() data: string): number {
    this.rec.add('lim.length', data.length);
    return data.length;
  }

  @MessagePattern('lim.make')
  make(@Payload() spec: { unit: string; times: number }): string {
    this.rec.add('lim.make', spec);
    return spec.unit.repeat(spec.times);
  }

  @MessagePattern('deep.echo')
  deepEcho(@Payload() data: unknown): unknown {
    this.rec.add('deep.echo', depthOf(data));
    return data;
  }

  @MessagePattern('deep.make')
  deepMake(@Payload() depth: number): unknown {
    this.rec.add('deep.make', depth);
    return nested(depth);
  }
}

/** A request carrying `text`: answered with its length, or failed by the connection closing. */
async function sendText(t: ScenarioContext, label: string, text: string): Promise<void> {
  const status = watchStatus(t);
  await t.call(label, 'lim.length', text);
  await t.call(`${label}, then`, 'lim.length', 'next call');
  status.stop();
}

/** A response of `unit` × `times` characters to a client limited to LIMIT. */
async function receiveText(t: ScenarioContext, label: string, unit: string, times: number): Promise<void> {
  const status = watchStatus(t);
  await t.observe(label, t.client.send('lim.make', { unit, times }).pipe(map((text) => (text as string).length)));
  await t.call(`${label}, then`, 'lim.length', 'next call');
  status.stop();
}

const limited = { client: { maxBufferSize: LIMIT } };

export const limitScenarios: Scenario[] = [
  { id: 'limits/request-under', server: 'limits', run: (t) => sendText(t, 'ascii', 'x'.repeat(UNDER)) },
  { id: 'limits/request-over', server: 'limits', run: (t) => sendText(t, 'ascii', 'x'.repeat(OVER)) },
  {
    id: 'limits/request-astral-counts-code-units',
    server: 'limits',
    // 1,900 emoji are 3,800 code units but 7,600 UTF-8 bytes: under the limit, as on the stock wire.
    run: (t) => sendText(t, 'astral', '😀'.repeat(UNDER / 2)),
  },
  { id: 'limits/request-astral-over', server: 'limits', run: (t) => sendText(t, 'astral', '😀'.repeat(OVER / 2)) },
  {
    id: 'limits/request-escapes-count',
    server: 'limits',
    // 2,200 quotes are 4,400 characters of JSON: the limit applies to the JSON text, not the value.
    run: (t) => sendText(t, 'quotes', '"'.repeat(OVER / 2)),
  },
  {
    id: 'limits/request-over-fails-pending-too',
    server: 'limits',
    async run(t) {
      const status = watchStatus(t);
      const pending = t.call('pending', 'rr.timer', { ms: 40, value: 'slow' });
      await t.serverSaw(1);
      await t.call('too large', 'lim.length', 'x'.repeat(OVER));
      await pending;
      // The handler still finishes on the server; its answer has nowhere to go.
      await t.server.until((entries) => entries.some((e) => e.at === 'rr.timer end'));
      await t.call('then', 'lim.length', 'next call');
      status.stop();
    },
  },
  {
    id: 'limits/event-over',
    server: 'limits',
    async run(t) {
      const status = watchStatus(t);
      await t.call('first', 'lim.length', 'a');
      await t.observe('emit', t.client.emit('lim.length', 'x'.repeat(OVER)));
      await untilStatus(t.client, 'disconnected');
      await t.call('then', 'lim.length', 'next call');
      status.stop();
    },
  },
  { id: 'limits/response-under', ...limited, run: (t) => receiveText(t, 'ascii', 'y', UNDER) },
  { id: 'limits/response-over', ...limited, run: (t) => receiveText(t, 'ascii', 'y', OVER) },
  { id: 'limits/response-astral-under', ...limited, run: (t) => receiveText(t, 'astral', '😀', UNDER / 2) },
  { id: 'limits/response-astral-over', ...limited, run: (t) => receiveText(t, 'astral', '😀', OVER / 2) },
  {
    id: 'deep/thousands-of-levels-both-ways',
    // Up to a few hundred levels short of where JSON.stringify runs out of stack in these call paths.
    async run(t) {
      for (const depth of [1000, 2000, 3000, 3600]) {
        await t.observe(`echo ${depth}`, t.client.send('deep.echo', nested(depth)).pipe(map(depthOf)));
        await t.observe(`made ${depth}`, t.client.send('deep.make', depth).pipe(map(depthOf)));
      }
    },
  },
  {
    id: 'deep/too-deep-to-send',
    async run(t) {
      await t.observe('request', t.client.send('deep.echo', nested(100_000)).pipe(map(depthOf)), { within: 300 });
      await t.call('still connected', 'lim.length', 'ok');
    },
  },
  {
    id: 'deep/too-deep-to-answer',
    notOnNest11: UNENCODABLE_ON_11,
    async run(t) {
      await t.observe('response', t.client.send('deep.make', 100_000).pipe(map(depthOf)), { within: 300 });
      await t.call('still connected', 'lim.length', 'ok');
    },
  },
];
