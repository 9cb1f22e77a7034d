import { existsSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scenarioProblems, type RunConfig, type ScenarioDefinition } from '../model/index.js';
import type { SessionFacts } from '../recorder/index.js';
import { findBuiltin } from '../scenarios/index.js';
import { ScenarioUnavailableError } from './errors.js';

/** How a trace says it was made: the run configuration and where its scenario came from. */
export interface RecordedRun {
  readonly config: RunConfig;
  /** The scenario's name. */
  readonly scenario: string;
  /** A scenario file's path as recorded, or null for a built-in. */
  readonly file: string | null;
}

/**
 * Loads a scenario module by file path. The default is a plain dynamic import: in a process that
 * already imported the file, ES modules are cached, so a re-verification after editing it needs a
 * loader that defeats the cache (the CLI runs each verification in a fresh process).
 */
export type ScenarioFileLoader = (path: string) => Promise<unknown>;

const FILE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/** Reads the session's `config` JSON (recorder/session.ts: the RunConfig plus scenario and source). */
export function recordedRun(path: string, facts: SessionFacts): RecordedRun {
  let parsed: Partial<RunConfig> & { scenario?: unknown; source?: unknown };
  try {
    parsed = JSON.parse(facts.config) as typeof parsed;
  } catch {
    throw new ScenarioUnavailableError(path, facts.scenario, 'cannot be told: the trace\'s session config is not JSON');
  }
  const scenario = typeof parsed.scenario === 'string' ? parsed.scenario : facts.scenario;
  const source = typeof parsed.source === 'string' ? parsed.source : null;
  const config: RunConfig = {
    seed: numberOr(parsed.seed, facts.seed),
    cpus: numberOr(parsed.cpus, facts.cpus),
    requests: numberOr(parsed.requests, 0),
    maxEvents: numberOr(parsed.maxEvents, Number.MAX_SAFE_INTEGER),
    // Recorded since threaded DPCs were modelled; a trace from before had none to run.
    threadDpcEnable: typeof parsed.threadDpcEnable === 'boolean' ? parsed.threadDpcEnable : true,
  };
  if (parsed.requests === undefined) throw new ScenarioUnavailableError(path, scenario, 'cannot be re-run: the trace does not record its request count');
  return { config, scenario, file: source !== null && isScenarioPath(source) ? source : null };
}

/**
 * The recorded scenario, loaded again: a built-in by name, or the recorded file (an absolute path
 * as is; a relative one from the working directory, then from the trace's directory and its
 * parent — `irptrace run ./s.ts` writes `./traces/…` by default). A scenario that no longer loads
 * is a ScenarioUnavailableError saying why.
 */
export async function loadRecordedScenario(tracePath: string, run: RecordedRun, load: ScenarioFileLoader = importFile): Promise<ScenarioDefinition> {
  if (run.file === null) {
    const builtin = findBuiltin(run.scenario);
    if (builtin === undefined) throw new ScenarioUnavailableError(tracePath, `"${run.scenario}"`, 'is not a built-in scenario of this irptrace (and the trace names no scenario file)');
    return builtin;
  }
  const label = run.file;
  const candidates = isAbsolute(run.file) ? [run.file] : [resolve(run.file), resolve(dirname(tracePath), run.file), resolve(dirname(tracePath), '..', run.file)];
  const file = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  if (file === undefined) throw new ScenarioUnavailableError(tracePath, label, 'no longer exists');
  let module: unknown;
  try {
    module = await load(file);
  } catch (error) {
    // Every line: a transform error says where the file broke on its second line.
    const reason = (error instanceof Error ? error.message : String(error)).split('\n').map((l) => l.trim()).filter((l) => l !== '').join(' ');
    throw new ScenarioUnavailableError(tracePath, label, `no longer loads: ${reason}`, error);
  }
  const scenario = (module as { default?: unknown } | null)?.default;
  if (scenario === undefined) throw new ScenarioUnavailableError(tracePath, label, 'no longer has a default export');
  const problems = scenarioProblems(scenario);
  if (problems.length > 0) throw new ScenarioUnavailableError(tracePath, label, `no longer exports a valid scenario: ${problems.join('; ')}`);
  return scenario as ScenarioDefinition;
}

function isScenarioPath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || FILE_EXTENSIONS.includes(extname(ref));
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function importFile(path: string): Promise<unknown> {
  // No cache-busting query: tsx (and the CLI's resolve hook) recognise a .ts module by its URL's ending.
  return import(pathToFileURL(path).href);
}
