import { Controller, Module, type INestApplicationContext, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientTCP, ClientsModule, EventPattern, MessagePattern, Transport } from '@nestjs/microservices';
import { FriendsClient, FriendsServer } from '@friends/nest';
import { lastValueFrom } from 'rxjs';

const notes: unknown[] = [];

@Controller()
class MathController {
  @MessagePattern('sum')
  sum(numbers: number[]): number {
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern('notes')
  notes(): number {
    return notes.length;
  }

  @EventPattern('note')
  note(data: unknown): void {
    notes.push(data);
  }
}

@Module({ controllers: [MathController] })
class MathModule {}

/** A Nest microservice serving MathController: friends' transport, or the stock TCP one. */
export async function startNestServer(port: number, stock = false): Promise<INestMicroservice> {
  const app = stock
    ? await NestFactory.createMicroservice(MathModule, {
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port },
        logger: false,
      })
    : await NestFactory.createMicroservice(MathModule, {
        strategy: new FriendsServer({ host: '127.0.0.1', port }),
        logger: false,
      });
  await app.listen();
  return app;
}

/**
 * A client as applications declare it, through ClientsModule. `customClass`
 * is typed `Type<ClientProxy>`, which neither ClientTCP nor FriendsClient
 * (both typed for their own events) satisfies as such: the cast.
 */
export async function nestClientContext(
  port: number,
  stock = false,
): Promise<{ context: INestApplicationContext; client: ClientProxy }> {
  const customClass = (stock ? ClientTCP : FriendsClient) as Type<ClientProxy>;
  @Module({
    imports: [ClientsModule.register([{ name: 'MATH', customClass, options: { host: '127.0.0.1', port } }])],
  })
  class ClientModule {}
  const context = await NestFactory.createApplicationContext(ClientModule, { logger: false });
  return { context, client: context.get<ClientProxy>('MATH') };
}

/** `calls` sums and one event through `client`; checks every answer and that the event arrived. */
export async function nestCalls(client: ClientProxy, calls: number): Promise<void> {
  const before = await lastValueFrom(client.send<number>('notes', {}));
  for (let i = 0; i < calls; i++) {
    const sum = await lastValueFrom(client.send<number>('sum', [i, 1, 2]));
    if (sum !== i + 3) throw new Error(`sum of [${i}, 1, 2] came back as ${sum}`);
  }
  await lastValueFrom(client.emit('note', { at: Date.now() }));
  const deadline = Date.now() + 5_000;
  while ((await lastValueFrom(client.send<number>('notes', {}))) !== before + 1) {
    if (Date.now() > deadline) throw new Error('the event never reached its handler');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
