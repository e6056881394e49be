import type { Scenario } from '../core/scenario.js';
import { CALL_SCENARIOS } from './calls.js';

/** Every gRPC parity scenario, by area. */
export const SCENARIOS: readonly Scenario[] = [...CALL_SCENARIOS];

/** Paths served outside the parity service (Nest's), so their logs are not mistaken for foreign calls. */
export const EXTRA_PATHS: readonly string[] = [];
