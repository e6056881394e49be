import { Controller, HttpException, Inject } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { Recorder } from '../recorder.js';
import type { Scenario } from '../scenario.js';

/** What each 'er.throw' kind throws. */
const THROWN: Record<string, () => unknown> = {
  'rpc object': () => new RpcException({ code: 'E_BAD', message: 'bad thing', detail: [1, 2] }),
  'rpc string': () => new RpcException('plain message'),
  'rpc empty string': () => new RpcException(''),
  'rpc with error': () => new RpcException(new Error('inner')),
  'rpc json semantics': () =>
    new RpcException({ when: new Date(0), gone: undefined, nan: NaN, list: [undefined, () => 1], text: 'äö😀' }),
  'rpc status field': () => new RpcException({ status: 'custom', message: 'mine' }),
  'plain error': () => new Error('secret internals'),
  'error with code': () => Object.assign(new Error('coded'), { code: 'E_CODE' }),
  'http exception': () => new HttpException('teapot', 418),
  string: () => 'thrown string',
  object: () => ({ thrown: 'object' }),
  zero: () => 0,
  null: () => null,
};

@Controller()
export class ErrorsController {
  constructor(@Inject(Recorder) private readonly rec: Recorder) {}

  @MessagePattern('er.throw')
  throwIt(@Payload() kind: string): never {
    this.rec.add('er.throw', kind);
    throw THROWN[kind]!();
  }

  @MessagePattern('er.reject')
  async reject(@Payload() kind: string): Promise<never> {
    this.rec.add('er.reject', kind);
    await Promise.resolve();
    throw THROWN[kind]!();
  }

  @MessagePattern('er.ok')
  ok(@Payload() data: unknown): unknown {
    this.rec.add('er.ok', data);
    return data;
  }
}

const NO_SUCH = ['er.nobody', { er: 'nobody' }, 'er.ünïcødé.😀'];

export const errorScenarios: Scenario[] = [
  {
    id: 'error/thrown-synchronously',
    async run(t) {
      for (const kind of Object.keys(THROWN)) await t.call(kind, 'er.throw', kind);
    },
  },
  {
    id: 'error/rejected-asynchronously',
    async run(t) {
      for (const kind of ['rpc object', 'rpc string', 'plain error', 'null']) await t.call(kind, 'er.reject', kind);
    },
  },
  {
    id: 'error/unknown-pattern',
    async run(t) {
      for (const pattern of NO_SUCH) await t.call(JSON.stringify(pattern), pattern, {});
      await t.call('still connected', 'er.ok', 1);
    },
  },
  {
    id: 'error/failure-does-not-disturb-others',
    async run(t) {
      await Promise.all([
        t.call('a', 'er.ok', 'a'),
        t.call('b', 'er.throw', 'rpc string'),
        t.call('c', 'er.nobody', 'c'),
        t.call('d', 'er.ok', 'd'),
      ]);
    },
  },
];
