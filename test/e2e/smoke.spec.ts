import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
import { lastValueFrom } from 'rxjs';
import { FriendsClient, FriendsServer } from '@friends/nest';

@Controller()
class EchoController {
  @MessagePattern('echo')
  echo(@Payload() data: unknown) {
    return data;
  }
}
@Module({ controllers: [EchoController] })
class EchoModule {}

test('smoke', async () => {
  const server = new FriendsServer({ port: 0, host: '127.0.0.1' });
  const app = await NestFactory.createMicroservice(EchoModule, { strategy: server, logger: false });
  await app.listen();
  const port = server.address().port;
  for (const friends of [true, { memory: false }, false] as const) {
    const client = new FriendsClient({ port, host: '127.0.0.1', friends });
    const r = await lastValueFrom(client.send('echo', { a: 1, d: new Date(0) }));
    console.log(friends, client.tier, r);
    client.close();
  }
  await app.close();
});
