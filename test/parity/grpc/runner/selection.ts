import type { Scenario } from '../core/scenario.js';
import { ORACLE, PLACEMENTS, type Placement } from './placements.js';

/** PARITY_ONLY=<substring of scenario ids>; several separated by commas. */
export function selectScenarios(scenarios: readonly Scenario[], only = process.env.PARITY_ONLY): Scenario[] {
  if (!only) return [...scenarios];
  const parts = only
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  return scenarios.filter((scenario) => parts.some((part) => scenario.id.includes(part)));
}

/** PARITY_PLACEMENT=<placement name or substring>; the oracle always runs, it gives the expected traces. */
export function selectPlacements(which = process.env.PARITY_PLACEMENT): Placement[] {
  if (!which) return [...PLACEMENTS];
  const parts = which
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  return PLACEMENTS.filter(
    (placement) =>
      placement.name === ORACLE || parts.some((part) => placement.name === part || placement.name.includes(part)),
  );
}
