import * as prom from 'prom-client';
import { registerFriendsMetrics } from '@friends/core/prometheus';

/** The gateway's Prometheus registry: process metrics and the friends counters of this process. */
export class MetricsService {
  readonly registry = new prom.Registry();

  constructor() {
    prom.collectDefaultMetrics({ register: this.registry });
    registerFriendsMetrics(prom, this.registry);
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
