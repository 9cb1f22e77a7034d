import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scenarioProblems, type ScenarioDefinition } from '../model/index.js';
import { findBuiltin } from '../scenarios/index.js';
import { UsageError } from './errors.js';

const SCENARIO_FILE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/** Whether a `run` argument names a file rather than a built-in scenario. */
export function isScenarioPath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || SCENARIO_FILE_EXTENSIONS.includes(extname(ref));
}

/**
 * The scenario a `run` argument names: a built-in by name, or the default export of a scenario file
 * (a path relative to the working directory). Anything that cannot be loaded is a {@link UsageError}.
 */
export async function loadScenario(ref: string): Promise<ScenarioDefinition> {
  if (!isScenarioPath(ref)) {
    const builtin = findBuiltin(ref);
    if (builtin === undefined) throw new UsageError(`unknown scenario "${ref}" (try: irptrace scenarios)`);
    return builtin;
  }
  return loadScenarioFile(ref);
}

async function loadScenarioFile(ref: string): Promise<ScenarioDefinition> {
  const path = resolve(ref);
  if (!existsSync(path)) throw new UsageError(`no such scenario file: ${ref}`);
  if (!statSync(path).isFile()) throw new UsageError(`not a scenario file: ${ref}`);
  if (!SCENARIO_FILE_EXTENSIONS.includes(extname(path))) {
    throw new UsageError(`cannot load ${ref}: a scenario file is a module ending in ${SCENARIO_FILE_EXTENSIONS.join(', ')}`);
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot load ${ref}: ${reason}`, { cause: error });
  }
  const scenario = module.default;
  if (scenario === undefined) throw new UsageError(`${ref} has no default export (expected: export default defineScenario({ … }))`);
  const problems = scenarioProblems(scenario);
  if (problems.length > 0) throw new UsageError(`${ref} does not export a valid scenario: ${problems.join('; ')}`);
  return scenario as ScenarioDefinition;
}
