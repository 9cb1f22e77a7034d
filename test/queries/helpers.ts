/**
 * Helpers for the query and rule-pack tests: record a scenario into a temporary trace, open it the
 * way `irptrace check` does, run one rule, and find the events a test expects with plain SQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IRP_MJ_READ, Simulation, type DeviceObject, type DriverDefinition, type Kernel, type RunConfig, type ScenarioDefinition,
} from '../../model/index.js';
import { recordRun, type TraceFormat } from '../../recorder/index.js';
import { TraceQuery, VIEW_NAMES, loadRules, runRules, type Rule } from '../../queries/index.js';
import { hardwareDriver, type HardwareDriverOptions, type TestDevice } from '../model/helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'irptrace-queries-'));
let counter = 0;

/** Removes every trace the helpers recorded (call in afterAll). */
export function cleanTraces(): void {
  rmSync(ROOT, { recursive: true, force: true });
}

/** Records `scenario` and returns the trace's path prefix (`<prefix>.sqlite`, `<prefix>.arrow`). */
export async function record(scenario: ScenarioDefinition, config: Partial<RunConfig> = {}, formats: readonly TraceFormat[] = ['sqlite']): Promise<string> {
  const out = join(ROOT, `t${++counter}-${scenario.name}`);
  await recordRun(new Simulation(scenario, { cpus: 1, ...config }), { out, formats });
  return out;
}

/** A recorded trace opened like `irptrace check` opens one (every view materialized). */
export interface OpenTrace {
  readonly trace: TraceQuery;
  readonly path: string;
  /** The first column of a query, as numbers (seqs). */
  seqs(sql: string): number[];
  /** The seqs of the first event of each finding of rule `id` (sorted). */
  fired(id: string): number[];
  close(): void;
}

const PACK = new Map<string, Rule>(loadRules().map((r) => [r.id, r]));

export function packRule(id: string): Rule {
  const rule = PACK.get(id);
  if (rule === undefined) throw new Error(`no rule ${id} in the pack`);
  return rule;
}

export async function open(prefix: string, format: TraceFormat = 'sqlite'): Promise<OpenTrace> {
  const path = `${prefix}.${format}`;
  const trace = await TraceQuery.open(path, { materialize: VIEW_NAMES });
  return {
    trace, path,
    seqs: (sql) => trace.query(sql).rows.map((r) => r[0] as number).sort((a, b) => a - b),
    fired: (id) => runRules(trace, [packRule(id)]).findings.map((f) => f.events[0]!.seq).sort((a, b) => a - b),
    close: () => trace.close(),
  };
}

/** Records a scenario and opens the trace. */
export async function traceOf(scenario: ScenarioDefinition, config: Partial<RunConfig> = {}): Promise<OpenTrace> {
  return open(await record(scenario, config));
}

// ---- a bottom driver with hardware, whose routines a test may replace ------------------------------

/** The hooks of test/model/helpers.ts's hardwareDriver: dispatch, StartIo, ISR and DpcForIsr are replaceable. */
export type HwOptions = HardwareDriverOptions;

/**
 * An interrupt-driven function driver in the disk driver's shape (mark pending + IoStartPacket;
 * StartIo programs the device; the ISR acknowledges and IoRequestDpc's; the DpcForIsr starts the next
 * packet and completes), every routine replaceable. Routine names: HwDispatch, HwStartIo, HwIsr, HwDpcForIsr.
 */
export function hwDriver(k: Kernel, name: string, options: HwOptions = {}): DriverDefinition {
  return hardwareDriver(k, name, options);
}

/** The lower device of a test driver's device. */
export function lowerOf(DeviceObject: DeviceObject): DeviceObject {
  return (DeviceObject as TestDevice).DeviceExtension.Lower;
}

export { IRP_MJ_READ };
