import type { Type } from '@nestjs/common';
import type { Scenario } from './scenario.js';
import { AsyncContextController, asyncContextScenarios } from './scenarios/async-context.js';
import { ContextController, contextScenarios } from './scenarios/context.js';
import { EnhancersController, enhancerScenarios } from './scenarios/enhancers.js';
import { ErrorsController, errorScenarios } from './scenarios/errors.js';
import { EventsController, eventScenarios } from './scenarios/events.js';
import { bareScenarios } from './scenarios/bare.js';
import { HooksController, hookScenarios } from './scenarios/hooks.js';
import { lifecycleScenarios } from './scenarios/lifecycle.js';
import { LimitsController, limitScenarios } from './scenarios/limits.js';
import { orderingScenarios } from './scenarios/ordering.js';
import { PayloadsController, payloadScenarios } from './scenarios/payloads.js';
import { PropertiesController } from './scenarios/properties.js';
import { RequestsController, requestScenarios } from './scenarios/requests.js';
import { serdeScenarios } from './scenarios/serde.js';
import { StreamsController, streamScenarios } from './scenarios/streams.js';

/** Every scenario's server code: one server hosts them all. */
export const CONTROLLERS: Type[] = [
  RequestsController,
  StreamsController,
  EventsController,
  ErrorsController,
  ContextController,
  EnhancersController,
  PayloadsController,
  LimitsController,
  AsyncContextController,
  PropertiesController,
  HooksController,
];

export const SCENARIOS: Scenario[] = [
  ...requestScenarios,
  ...streamScenarios,
  ...eventScenarios,
  ...errorScenarios,
  ...contextScenarios,
  ...enhancerScenarios,
  ...payloadScenarios,
  ...limitScenarios,
  ...serdeScenarios,
  ...lifecycleScenarios,
  ...asyncContextScenarios,
  ...orderingScenarios,
  ...hookScenarios,
  ...bareScenarios,
];
