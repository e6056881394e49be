import { filter, firstValueFrom, race, timer } from 'rxjs';
import type { ParityClient, ScenarioContext } from '../scenario.js';

/** Notes each status the client reports, until `stop()`. */
export function watchStatus(t: ScenarioContext, client: ParityClient = t.client): { stop(): void } {
  const subscription = client.status.subscribe((status) => t.note('status', status));
  return { stop: () => subscription.unsubscribe() };
}

/**
 * Resolves once the client reports `status` (a status it already holds counts),
 * or after 2 s: one that never comes then shows as a difference in the trace.
 */
export function untilStatus(client: ParityClient, status: string): Promise<unknown> {
  return firstValueFrom(race(client.status.pipe(filter((s) => s === status)), timer(2_000)));
}
