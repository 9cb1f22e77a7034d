import type { ScenarioDefinition } from '../model/index.js';
import demo from './demo.js';

/** The built-in scenarios, the correct stack first. Buggy variants declare the rule ids they plant. */
export const BUILTIN_SCENARIOS: readonly ScenarioDefinition[] = Object.freeze([demo]);

/** A built-in scenario by name. */
export function findBuiltin(name: string): ScenarioDefinition | undefined {
  return BUILTIN_SCENARIOS.find((s) => s.name === name);
}
