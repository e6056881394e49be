import { NEST_PATHS } from '../core/nest-options.js';
import type { Scenario } from '../core/scenario.js';
import { BALANCING_SCENARIOS } from './balancing.js';
import { CALL_SCENARIOS } from './calls.js';
import { CANCELLATION_SCENARIOS } from './cancellation.js';
import { CONTEXT_SCENARIOS } from './context.js';
import { CREDENTIAL_SCENARIOS } from './credentials.js';
import { DEADLINE_SCENARIOS } from './deadlines.js';
import { FLOW_SCENARIOS } from './flow.js';
import { INTERCEPTOR_SCENARIOS } from './interceptors.js';
import { LIFECYCLE_SCENARIOS } from './lifecycle.js';
import { LIMIT_SCENARIOS } from './limits.js';
import { METADATA_SCENARIOS } from './metadata.js';
import { NEST_SCENARIOS } from './nest.js';
import { PEER_SCENARIOS } from './peers.js';
import { PROPERTY_SCENARIOS } from './properties.js';
import { SERVICE_CONFIG_SCENARIOS } from './service-config.js';
import { STATUS_SCENARIOS } from './status.js';
import { UNKNOWN_SCENARIOS } from './unknown.js';

/** Every gRPC parity scenario, by area (ids start with the area). */
export const SCENARIOS: readonly Scenario[] = [
  ...CALL_SCENARIOS,
  ...METADATA_SCENARIOS,
  ...STATUS_SCENARIOS,
  ...DEADLINE_SCENARIOS,
  ...CANCELLATION_SCENARIOS,
  ...CREDENTIAL_SCENARIOS,
  ...SERVICE_CONFIG_SCENARIOS,
  ...LIMIT_SCENARIOS,
  ...INTERCEPTOR_SCENARIOS,
  ...LIFECYCLE_SCENARIOS,
  ...BALANCING_SCENARIOS,
  ...CONTEXT_SCENARIOS,
  ...PEER_SCENARIOS,
  ...FLOW_SCENARIOS,
  ...UNKNOWN_SCENARIOS,
  ...NEST_SCENARIOS,
];

/** What servers register and clients know: the scenarios, and the property scenarios' methods. */
export const ALL_METHODS: readonly Scenario[] = [...SCENARIOS, ...PROPERTY_SCENARIOS.map((p) => p.scenario)];

/** Paths served outside the parity service (Nest's), so their logs are not mistaken for foreign calls. */
export const EXTRA_PATHS: readonly string[] = NEST_PATHS;
