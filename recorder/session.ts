import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EndReason, RunConfig, Simulation } from '../model/index.js';
import { SCHEMA_VERSION } from './schema.sql.js';

/**
 * What is known about a run when its recording starts: the `sessions` row (SQLite) and the schema
 * metadata (Arrow). Wall-clock fields are kept out of the hash chain.
 */
export interface SessionFacts {
  /** Random UUID shared by the .sqlite and .arrow files of one recording. */
  readonly id: string;
  readonly scenario: string;
  readonly seed: number;
  readonly cpus: number;
  /** JSON of everything needed to re-execute the run: the RunConfig, the scenario and its source. */
  readonly config: string;
  readonly toolVersion: string;
  readonly schemaVersion: number;
  /** ISO 8601, wall clock. */
  readonly startedAt: string;
}

/** What is known once the last event is written. */
export interface SessionEnd {
  /** ISO 8601, wall clock. */
  readonly endedAt: string;
  readonly endReason: EndReason;
  readonly eventCount: number;
  readonly finalHash: string;
}

/** irptrace's own version, from package.json. */
export const TOOL_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The facts of a recording of `sim`. `source` (a scenario file path, say) goes into `config` so a
 * reader knows how to re-run it.
 */
export function sessionFactsFor(sim: Simulation, options: { source?: string; now?: Date } = {}): SessionFacts {
  const config: RunConfig & { scenario: string; source?: string } = {
    scenario: sim.scenario.name,
    ...sim.config,
    ...(options.source !== undefined ? { source: options.source } : {}),
  };
  return Object.freeze({
    id: randomUUID(),
    scenario: sim.scenario.name,
    seed: sim.config.seed,
    cpus: sim.config.cpus,
    config: JSON.stringify(config),
    toolVersion: TOOL_VERSION,
    schemaVersion: SCHEMA_VERSION,
    startedAt: (options.now ?? new Date()).toISOString(),
  });
}
