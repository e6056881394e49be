import { Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ClientProxy, ClientsModule } from '@nestjs/microservices';
import { FriendsClient, type FriendsClientOptions } from '@friends/nest';
import { lastValueFrom, toArray } from 'rxjs';

export interface CallResult {
  name: string;
  tier: string;
  sum: number;
  servedOver: string;
  counted: number[];
}

/** A caller that talks to the math service through named clients, as any Nest app would. */
@Injectable()
export class Caller {
  constructor(@Inject('MATH_CLIENTS') private readonly clients: { name: string; client: ClientProxy }[]) {}

  async callAll(): Promise<CallResult[]> {
    const results: CallResult[] = [];
    for (const { name, client } of this.clients) {
      await client.connect();
      const { sum, servedOver } = await lastValueFrom(
        client.send<{ sum: number; servedOver: string }>('math.sum', [1, 2, 3]),
      );
      const counted = await lastValueFrom(client.send<number>('math.count', 3).pipe(toArray()));
      client.emit('math.audit', { who: name });
      results.push({ name, tier: (client as FriendsClient).tier ?? 'tcp', sum, servedOver, counted });
    }
    return results;
  }
}

export interface Connection {
  name: string;
  options: FriendsClientOptions;
}

@Module({})
export class CallerModule {
  static forConnections(connections: Connection[]): DynamicModule {
    return {
      module: CallerModule,
      imports: [
        ClientsModule.register(connections.map(({ name, options }) => ({ name, customClass: FriendsClient, options }))),
      ],
      providers: [
        Caller,
        {
          provide: 'MATH_CLIENTS',
          inject: connections.map(({ name }) => name),
          useFactory: (...clients: ClientProxy[]) =>
            clients.map((client, i) => ({ name: connections[i]!.name, client })),
        },
      ],
      exports: [Caller],
    };
  }
}
