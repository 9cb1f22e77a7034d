import type { NtStatus } from './brands.js';
import type { HardwareSpec } from './kernel/hardware.js';
import type { Kernel } from './kernel/kernel.js';
import type { SeededRandom } from './rng.js';
import type { DriverObject } from './wdm/device.js';

/** One user request, as NtReadFile / NtWriteFile / NtDeviceIoControlFile would issue it. */
export interface IoRequest {
  readonly major: 'read' | 'write' | 'ioctl';
  /** Bytes to transfer. */
  readonly length: number;
  readonly offset?: number;
  readonly ioControlCode?: number;
  /**
   * Read or write only: paging I/O, as a page fault makes it. The memory manager issues it at
   * APC_LEVEL (IRP_PAGING_IO | IRP_NOCACHE | IRP_SYNCHRONOUS_PAGING_IO), so the dispatch routines
   * run at APC_LEVEL; IoCompleteRequest finishes it in place (the IOSB, the event, the IRP freed),
   * with no completion APC.
   */
  readonly paging?: boolean;
  /** Which device's stack gets it (default: the first device). */
  readonly device?: string;
  /** Earliest simulated time (ns) at which a requester issues it. */
  readonly at?: number;
}

/** A driver: its name and DriverEntry, which fills in the DriverObject like a WDM driver's. */
export interface DriverDefinition {
  readonly name: string;
  DriverEntry(DriverObject: DriverObject, RegistryPath: string): Promise<NtStatus> | NtStatus;
}

/** A piece of hardware and the drivers stacked on it, bottom (function driver) first. */
export interface DeviceDefinition extends HardwareSpec {
  readonly stack: readonly string[];
}

/**
 * A scenario: drivers written against the kernel API, the hardware they drive, and a workload.
 * `drivers(k)` is called afresh for every run, so driver globals never leak between runs.
 */
export interface ScenarioDefinition {
  readonly name: string;
  /** One line. */
  readonly description: string;
  /** For a deliberately buggy scenario: the rule ids (windows-semantics.md §4) it must trip. */
  readonly plants?: readonly string[];
  readonly devices: readonly DeviceDefinition[];
  /** Requester threads issuing the workload (default 2). */
  readonly requesters?: number;
  /** Default number of requests (`--requests` overrides). */
  readonly requests?: number;
  /**
   * The machine's ThreadDpcEnable registry value (default true): false runs threaded DPCs
   * (KeInitializeThreadedDpc) as ordinary DPCs at DISPATCH_LEVEL (k:introduction-to-threaded-dpcs).
   */
  readonly threadDpcEnable?: boolean;
  /** The requests, drawn from the run's seeded source. */
  workload(rng: SeededRandom, count: number): Iterable<IoRequest>;
  drivers(k: Kernel): readonly DriverDefinition[];
}

/** Checks a scenario's shape and returns it frozen; a scenario module's default export. */
export function defineScenario(scenario: ScenarioDefinition): ScenarioDefinition {
  const problems = scenarioProblems(scenario);
  if (problems.length > 0) throw new TypeError(`invalid scenario: ${problems.join('; ')}`);
  return Object.freeze(scenario);
}

/** What is wrong with a value that should be a scenario (empty when nothing is). */
export function scenarioProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['the default export is not a scenario object'];
  const s = value as Partial<ScenarioDefinition>;
  const problems: string[] = [];
  if (typeof s.name !== 'string' || s.name === '') problems.push('name must be a non-empty string');
  if (typeof s.description !== 'string') problems.push('description must be a string');
  if (!Array.isArray(s.devices) || s.devices.length === 0) problems.push('devices must list at least one device');
  else {
    for (const d of s.devices as DeviceDefinition[]) {
      if (typeof d?.name !== 'string') problems.push('every device needs a name');
      else {
        if (!Array.isArray(d.stack) || d.stack.length === 0) problems.push(`device ${d.name} needs a driver stack`);
        if (!Number.isInteger(d.irql) || d.irql < 3 || d.irql > 12) problems.push(`device ${d.name}: irql must be a device level 3–12`);
        if (!Number.isInteger(d.vector)) problems.push(`device ${d.name}: vector must be an integer`);
      }
    }
  }
  if (typeof s.workload !== 'function') problems.push('workload must be a function (rng, count) => requests');
  if (typeof s.drivers !== 'function') problems.push('drivers must be a function (k) => driver definitions');
  if (s.threadDpcEnable !== undefined && typeof s.threadDpcEnable !== 'boolean') problems.push('threadDpcEnable must be true or false');
  return problems;
}
