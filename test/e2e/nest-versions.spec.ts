import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Logger, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, Payload, type MicroserviceOptions } from '@nestjs/microservices';
import { lastValueFrom, timeout } from 'rxjs';
import { FriendsClient, FriendsServer, type FriendsClientOptions, type FriendsContext } from '@friends/nest';
import { NEST_MAJOR } from '../support/nest-major.js';
import { LogLines } from '../support/log-lines.js';

/**
 * The friends side of the differences kept from Nest 11 (docs/PARITY.md, 10 to
 * 12), on every tier and on the installed major: the parity suite compares
 * them as tokens or skips them on Nest 11, so their friends side is pinned here.
 */
const logs = new LogLines();
Logger.overrideLogger(logs);
const host = '127.0.0.1';

@Controller()
class VersionsController {
  @MessagePattern('answer')
  answer(@Payload() kind: string): unknown {
    if (kind === 'bigint') return { n: 1n };
    if (kind === 'cycle') {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      return cycle;
    }
    return kind;
  }

  @MessagePattern('context')
  context(@Ctx() ctx: FriendsContext): unknown {
    return { args: ctx.getArgs().length, metadata: ctx.getMetadata() ?? null, pattern: ctx.getPattern() };
  }
}

@Module({ controllers: [VersionsController] })
class VersionsModule {}

const TIERS: [string, FriendsClientOptions][] = [
  ['memory', {}],
  ['unix', { friends: { memory: false } }],
  ['tcp', { friends: false }],
];

describe.each(TIERS)(`Nest ${NEST_MAJOR}, %s`, (tier, tierOptions) => {
  let socketDir: string;
  let server: FriendsServer;
  let app: INestMicroservice;
  let client: FriendsClient;

  beforeEach(async () => {
    socketDir = await mkdtemp(join(tmpdir(), 'friends-versions-'));
    server = new FriendsServer({ host, port: 0, socketDir });
    app = await NestFactory.createMicroservice<MicroserviceOptions>(VersionsModule, { strategy: server });
    await app.listen();
    client = new FriendsClient({ host, port: server.address().port, ...tierOptions });
    expect(await client.tierDecision()).toBe(tier);
    logs.clear();
  });

  afterEach(async () => {
    client.close();
    await app.close();
    await rm(socketDir, { recursive: true, force: true });
  });

  test('an answer JSON cannot encode is logged, the call gets no answer, and the server goes on (docs/PARITY.md, 12)', async () => {
    for (const kind of ['bigint', 'cycle']) {
      await expect(lastValueFrom(client.send('answer', kind).pipe(timeout(150)))).rejects.toThrow('Timeout');
    }
    expect(await lastValueFrom(client.send('answer', 'plain'))).toBe('plain');
    expect(logs.of('FriendsServer', 'error').map((line) => line.message)).toEqual([
      expect.stringMatching(/BigInt/),
      expect.stringMatching(/circular structure/),
    ]);
  });

  test(`a handler's context has the arguments of Nest ${NEST_MAJOR}'s TcpContext (docs/PARITY.md, 10)`, async () => {
    expect(await lastValueFrom(client.send('context', {}))).toEqual({
      args: NEST_MAJOR >= 12 ? 3 : 2,
      metadata: null,
      pattern: 'context',
    });
  });

  test('after close(), the next call is answered on a new connection (docs/PARITY.md, 11)', async () => {
    client.close();
    expect(await lastValueFrom(client.send('answer', 'again'))).toBe('again');
    client.close();
    await expect(client.connect()).resolves.toBeUndefined();
    expect(await lastValueFrom(client.send('answer', 'and again'))).toBe('and again');
  });
});
