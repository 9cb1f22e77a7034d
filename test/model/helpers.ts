/**
 * Helpers for the kernel-model unit tests: run a scenario and keep its events, build tiny
 * purpose-made drivers and one-device scenarios, and query event arrays.
 */
import {
  DO_BUFFERED_IO, DO_DEVICE_INITIALIZING, DO_DIRECT_IO, IO_NO_INCREMENT, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, IRP_MJ_WRITE,
  STATUS_CANCELLED, STATUS_PENDING, STATUS_SUCCESS, Simulation, defineScenario,
  type DeviceObject, type DriverDefinition, type HardwareResources, type DriverObject, type EventKind, type IoRequest, type Irp, type KDPC, type KINTERRUPT,
  type Kernel, type NtStatus, type PDRIVER_DISPATCH, type PDRIVER_UNLOAD, type RunConfig, type RunSummary, type ScenarioDefinition, type TraceEvent,
} from '../../model/index.js';

export interface RunResult {
  readonly events: TraceEvent[];
  readonly summary: RunSummary;
  readonly sim: Simulation;
}

/**
 * Runs a scenario to its end and returns every event (index = seq) and the summary. `hook` gets the
 * Simulation before it runs (subscribe to events$, or keep it so driver code can call snapshot()).
 */
export async function runScenario(scenario: ScenarioDefinition, config: Partial<RunConfig> = {}, hook?: (sim: Simulation) => void): Promise<RunResult> {
  const sim = new Simulation(scenario, config);
  const events: TraceEvent[] = [];
  sim.events$.subscribe((e) => events.push(e));
  hook?.(sim);
  const summary = await sim.run();
  return { events, summary, sim };
}

// ---- event queries ---------------------------------------------------------------------------

export type EventOf<K extends EventKind> = Extract<TraceEvent, { kind: K }>;

export function ofKind<K extends EventKind>(events: readonly TraceEvent[], kind: K, pred?: (e: EventOf<K>) => boolean): EventOf<K>[] {
  const out: EventOf<K>[] = [];
  for (const e of events) if (e.kind === kind && (pred === undefined || pred(e as EventOf<K>))) out.push(e as EventOf<K>);
  return out;
}

export function firstOf<K extends EventKind>(events: readonly TraceEvent[], kind: K, pred?: (e: EventOf<K>) => boolean): EventOf<K> {
  const found = ofKind(events, kind, pred)[0];
  if (found === undefined) throw new Error(`no ${kind} event matches`);
  return found;
}

/** Routine activations: RoutineEntered with its RoutineReturned (null if it never returned). */
export interface Activation {
  readonly entered: EventOf<'RoutineEntered'>;
  readonly returned: EventOf<'RoutineReturned'> | null;
}

export function activations(events: readonly TraceEvent[], pred?: (e: EventOf<'RoutineEntered'>) => boolean): Activation[] {
  const returned = new Map<number, EventOf<'RoutineReturned'>>();
  for (const e of events) if (e.kind === 'RoutineReturned' && e.activation !== null) returned.set(e.activation, e);
  return ofKind(events, 'RoutineEntered', pred).map((entered) => ({ entered, returned: returned.get(entered.seq) ?? null }));
}

export function activationNamed(events: readonly TraceEvent[], routine: string): Activation {
  const a = activations(events, (e) => e.routine === routine)[0];
  if (a === undefined) throw new Error(`routine ${routine} never ran`);
  return a;
}

/** The events emitted inside an activation (nested routines included). */
export function inside(events: readonly TraceEvent[], a: Activation): TraceEvent[] {
  const end = a.returned === null ? events.length : a.returned.seq;
  return events.slice(a.entered.seq + 1, end);
}

export function parseDetail<T = Record<string, unknown>>(e: { detail: string | null }): T {
  return (e.detail === null ? {} : JSON.parse(e.detail)) as T;
}

/** The kinds in order, for a compact view of a short trace (useful in failure messages). */
export function trail(events: readonly TraceEvent[]): string[] {
  return events.map((e) => `${e.seq} ${e.kind}${e.api ? `:${e.api}` : ''}${e.routine ? ` [${e.routine}]` : ''}${e.irp !== null ? ` irp${e.irp}` : ''}`);
}

// ---- tiny drivers and scenarios -------------------------------------------------------------

/** The device extension every test driver uses. */
export interface TestExtension {
  /** The device this one is attached to (what IoAttachDeviceToDeviceStack returned). */
  Lower: DeviceObject;
  Interrupt: KINTERRUPT | null;
  Registers: HardwareResources['Registers'] | null;
  /** Free slot for the test's own bookkeeping. */
  state: Record<string, unknown>;
}

export type TestDevice = DeviceObject<TestExtension>;
export type TestDispatch = (DeviceObject: TestDevice, Irp: Irp) => Promise<NtStatus> | NtStatus;

export interface TestDriverSpec {
  /** Dispatch routines by major function code. */
  readonly dispatch?: Readonly<Record<number, TestDispatch>>;
  readonly startIo?: (DeviceObject: TestDevice, Irp: Irp) => Promise<void> | void;
  /** Runs at the end of AddDevice, after the device is created and attached. */
  readonly addDevice?: (DeviceObject: TestDevice, PhysicalDeviceObject: DeviceObject) => Promise<void> | void;
  /** DriverObject.DriverUnload. */
  readonly unload?: PDRIVER_UNLOAD;
}

/**
 * A driver named `name` whose AddDevice creates `<pdo>.<name>`, attaches it to the stack, and
 * registers the given dispatch routines (the others stay IopInvalidDeviceRequest).
 */
export function testDriver(k: Kernel, name: string, spec: TestDriverSpec): DriverDefinition {
  async function AddDevice(DriverObject: DriverObject, PhysicalDeviceObject: DeviceObject): Promise<NtStatus> {
    const resources = PhysicalDeviceObject.HardwareResources;
    const { status, DeviceObject } = k.IoCreateDevice<TestExtension>(DriverObject,
      { Lower: PhysicalDeviceObject, Interrupt: null, Registers: resources?.Registers ?? null, state: {} }, `${PhysicalDeviceObject.Name}.${name}`);
    if (status !== STATUS_SUCCESS) return status;
    const lower = k.IoAttachDeviceToDeviceStack(DeviceObject, PhysicalDeviceObject);
    DeviceObject.DeviceExtension.Lower = lower;
    DeviceObject.Flags |= (lower.Flags & (DO_DIRECT_IO | DO_BUFFERED_IO)) | DO_DIRECT_IO;
    DeviceObject.Flags &= ~DO_DEVICE_INITIALIZING;
    if (spec.addDevice) await spec.addDevice(DeviceObject, PhysicalDeviceObject);
    return STATUS_SUCCESS;
  }
  return {
    name,
    DriverEntry(DriverObject: DriverObject): NtStatus {
      for (const [major, routine] of Object.entries(spec.dispatch ?? {})) DriverObject.MajorFunction[Number(major)] = routine as PDRIVER_DISPATCH;
      if (spec.startIo) DriverObject.DriverStartIo = spec.startIo as DriverObject['DriverStartIo'];
      if (spec.unload) DriverObject.DriverUnload = spec.unload;
      DriverObject.DriverExtension.AddDevice = AddDevice;
      return STATUS_SUCCESS;
    },
  };
}

/** A dispatch routine that completes the IRP at once with `status` (and Information = `information`). */
export function completeWith(k: Kernel, status: NtStatus = STATUS_SUCCESS, information = 0): TestDispatch {
  return async function CompleteDispatch(_DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
    Irp.IoStatus.Status = status;
    Irp.IoStatus.Information = information;
    await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
  };
}

/** A pass-through dispatch routine: IoSkipCurrentIrpStackLocation + IoCallDriver. */
export function passThrough(k: Kernel): TestDispatch {
  return async function PassThroughDispatch(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
    k.IoSkipCurrentIrpStackLocation(Irp);
    return k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
  };
}

/** The same dispatch routine for READ, WRITE and DEVICE_CONTROL. */
export function allMajors(routine: TestDispatch): Record<number, TestDispatch> {
  return { [IRP_MJ_READ]: routine, [IRP_MJ_WRITE]: routine, [IRP_MJ_DEVICE_CONTROL]: routine };
}

export interface HardwareDriverOptions {
  /** Replaces the dispatch routine (default: mark pending, IoStartPacket, return STATUS_PENDING). */
  readonly dispatch?: (k: Kernel, DeviceObject: TestDevice, Irp: Irp) => Promise<NtStatus>;
  /** Replaces StartIo (default: start a transfer of the read length). */
  readonly startIo?: (k: Kernel, DeviceObject: TestDevice, Irp: Irp) => Promise<void>;
  /** SynchronizeIrql for IoConnectInterrupt (default: the device's DIRQL). */
  readonly synchronizeIrql?: number;
  /** Replaces the ISR body after it acknowledged the device (default: IoRequestDpc(dev, CurrentIrp, null)). */
  readonly isr?: (k: Kernel, Interrupt: KINTERRUPT, DeviceObject: TestDevice) => Promise<boolean>;
  /** Replaces the DpcForIsr (default: complete the IRP with success and start the next packet). */
  readonly dpcForIsr?: (k: Kernel, Dpc: KDPC, DeviceObject: TestDevice, Irp: Irp, Context: unknown) => Promise<void>;
}

/**
 * An interrupt-driven bottom driver in the classic WDM shape (like scenarios/lib/disk-driver.ts but
 * for every major, and with hooks): dispatch marks the IRP pending and IoStartPacket's it; StartIo
 * programs the device; the ISR acknowledges and IoRequestDpc's; the DpcForIsr completes.
 */
export function hardwareDriver(k: Kernel, name: string, options: HardwareDriverOptions = {}): DriverDefinition {
  async function HwDispatch(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
    if (options.dispatch) return options.dispatch(k, DeviceObject, Irp);
    k.IoMarkIrpPending(Irp);
    await k.IoStartPacket(DeviceObject, Irp, null, null);
    return STATUS_PENDING;
  }
  async function HwStartIo(DeviceObject: TestDevice, Irp: Irp): Promise<void> {
    if (options.startIo) return options.startIo(k, DeviceObject, Irp);
    const length = k.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length;
    await k.WRITE_REGISTER_ULONG(DeviceObject.DeviceExtension.Registers!.Command, Math.max(1, length));
  }
  async function HwIsr(Interrupt: KINTERRUPT, DeviceObject: TestDevice): Promise<boolean> {
    const registers = DeviceObject.DeviceExtension.Registers!;
    if ((await k.READ_REGISTER_ULONG(registers.Status)) === 0) return false;
    await k.WRITE_REGISTER_ULONG(registers.Status, 1);
    if (options.isr) return options.isr(k, Interrupt, DeviceObject);
    await k.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, null);
    return true;
  }
  async function HwDpcForIsr(Dpc: KDPC, DeviceObject: TestDevice, Irp: Irp, Context: unknown): Promise<void> {
    if (options.dpcForIsr) return options.dpcForIsr(k, Dpc, DeviceObject, Irp, Context);
    Irp.IoStatus.Status = STATUS_SUCCESS;
    Irp.IoStatus.Information = k.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length;
    await k.IoStartNextPacket(DeviceObject, false);
    await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
  }
  return testDriver(k, name, {
    dispatch: allMajors(HwDispatch),
    startIo: HwStartIo,
    addDevice(DeviceObject, pdo) {
      const resources = pdo.HardwareResources!;
      k.IoInitializeDpcRequest(DeviceObject, HwDpcForIsr);
      const connected = k.IoConnectInterrupt(HwIsr, DeviceObject, null, resources.Vector, resources.Irql,
        options.synchronizeIrql ?? resources.Irql, 'Latched', false, -1, false);
      if (connected.status !== STATUS_SUCCESS) throw new Error('IoConnectInterrupt failed');
      DeviceObject.DeviceExtension.Interrupt = connected.InterruptObject;
    },
  });
}

export interface TestScenarioOptions {
  readonly name?: string;
  /** Driver names, bottom (function driver) first. */
  readonly stack: readonly string[];
  readonly drivers: (k: Kernel) => readonly DriverDefinition[];
  /** The workload, in order (default: one 4 KiB read). */
  readonly requests?: readonly IoRequest[];
  readonly requesters?: number;
  /** The device's DIRQL (default 7). */
  readonly irql?: number;
  readonly vector?: number;
  readonly latencyNs?: readonly [number, number];
  /** The machine's ThreadDpcEnable (default true). */
  readonly threadDpcEnable?: boolean;
}

/** A one-device scenario named `dev0` with the given driver stack and a fixed workload. */
export function testScenario(options: TestScenarioOptions): ScenarioDefinition {
  const requests = options.requests ?? [{ major: 'read', length: 4096 }];
  return defineScenario({
    name: options.name ?? 'test',
    description: 'unit-test scenario',
    devices: [{ name: 'dev0', vector: options.vector ?? 0x61, irql: options.irql ?? 7, stack: options.stack, ...(options.latencyNs ? { latencyNs: options.latencyNs } : {}) }],
    requesters: options.requesters ?? 1,
    requests: requests.length,
    workload: (_rng, count) => requests.slice(0, count),
    drivers: options.drivers,
    ...(options.threadDpcEnable !== undefined ? { threadDpcEnable: options.threadDpcEnable } : {}),
  });
}

/**
 * The most common shape: one driver `t` (over the PDO) whose READ dispatch routine is `body`; one
 * read request, one requester, one CPU unless told otherwise.
 */
export async function runDispatch(body: (k: Kernel, DeviceObject: TestDevice, Irp: Irp) => Promise<NtStatus>,
  config: Partial<RunConfig> = {}, hook?: (sim: Simulation) => void): Promise<RunResult> {
  const scenario = testScenario({
    stack: ['t'],
    drivers: (k) => {
      async function TestDispatchRead(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
        return body(k, DeviceObject, Irp);
      }
      return [testDriver(k, 't', { dispatch: { [IRP_MJ_READ]: TestDispatchRead } })];
    },
  });
  return runScenario(scenario, { cpus: 1, ...config }, hook);
}

/** Completes `Irp` with `status` from driver code and returns `status` (the end of most test dispatch routines). */
/**
 * A dispatch body that marks the IRP pending with a cancel routine, BCancel, and returns
 * STATUS_PENDING; BCancel releases the cancel lock and completes the IRP with STATUS_CANCELLED.
 */
export function pendUntilCancelled(k: Kernel, irp: Irp): NtStatus {
  async function BCancel(_DeviceObject: DeviceObject, Irp: Irp): Promise<void> {
    await k.IoReleaseCancelSpinLock(Irp.CancelIrql);
    Irp.IoStatus.Status = STATUS_CANCELLED;
    await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
  }
  k.IoMarkIrpPending(irp);
  k.IoSetCancelRoutine(irp, BCancel);
  return STATUS_PENDING;
}

export async function finish(k: Kernel, Irp: Irp, status: NtStatus = STATUS_SUCCESS): Promise<NtStatus> {
  Irp.IoStatus.Status = status;
  await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}

export type ReadDispatch = (k: Kernel, DeviceObject: TestDevice, Irp: Irp) => Promise<NtStatus>;

/**
 * A stack of test drivers over dev0's PDO, bottom first: each entry names a driver and its READ
 * dispatch routine, which the trace calls `<Name>DispatchRead` (Name capitalised).
 */
export function readStack(layers: readonly (readonly [string, ReadDispatch])[], extra: Partial<TestScenarioOptions> = {}): ScenarioDefinition {
  return testScenario({
    ...extra,
    stack: layers.map(([name]) => name),
    drivers: (k) => layers.map(([name, body]) => {
      const routineName = `${name[0]!.toUpperCase()}${name.slice(1)}DispatchRead`;
      const routine = { [routineName]: async (DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> => body(k, DeviceObject, Irp) }[routineName]!;
      return testDriver(k, name, { dispatch: { [IRP_MJ_READ]: routine } });
    }),
  });
}
