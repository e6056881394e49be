import { Module, type DynamicModule } from '@nestjs/common';
import type { GatewayConfig } from './config.js';
import { Downstream } from './downstream.js';
import { GatewayController } from './gateway.controller.js';
import { MetricsService } from './metrics.js';

@Module({})
export class GatewayModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [GatewayController],
      providers: [
        { provide: Downstream, useFactory: () => new Downstream(config) },
        { provide: MetricsService, useFactory: () => new MetricsService() },
      ],
    };
  }
}
