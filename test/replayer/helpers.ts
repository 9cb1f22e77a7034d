/**
 * Helpers for the replayer's integration tests: temporary directories, recordings that also keep
 * what the simulation emitted (and its own snapshots at chosen seqs), and the CLI as a child process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulation, canonicalState, type RunConfig, type ScenarioDefinition, type TraceEvent } from '../../model/index.js';
import { recordRun, type RecordOptions, type RecordResult } from '../../recorder/index.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'irptrace.js');

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(): { readonly dir: string; readonly remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'irptrace-replayer-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Recording {
  readonly emitted: TraceEvent[];
  readonly result: RecordResult;
  /** canonicalState(sim.snapshot()) right after each of the `snapshotAt` seqs, deep-copied. */
  readonly snapshots: Map<number, unknown>;
}

/** Records a run, keeping every event the simulation emitted and the simulator's own state at some seqs. */
export async function record(scenario: ScenarioDefinition, config: Partial<RunConfig>, options: RecordOptions, snapshotAt: Iterable<number> = []): Promise<Recording> {
  const sim = new Simulation(scenario, config);
  const emitted: TraceEvent[] = [];
  const wanted = new Set(snapshotAt);
  const snapshots = new Map<number, unknown>();
  sim.events$.subscribe((e) => {
    emitted.push(e);
    if (wanted.has(e.seq)) snapshots.set(e.seq, structuredClone(canonicalState(sim.snapshot())));
  });
  const result = await recordRun(sim, options);
  return { emitted, result, snapshots };
}

/** A small deterministic generator of test positions (no Math.random: failures must reproduce). */
export function positions(seed: number, count: number, below: number): number[] {
  let x = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out.push(x % below);
  }
  return out;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/irptrace.js …` as a user runs it; `stdin` is piped in when given. */
export function irptrace(args: readonly string[], options: { cwd?: string; stdin?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
    child.stdin?.end(options.stdin ?? '');
  });
}
