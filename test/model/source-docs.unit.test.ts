/**
 * The checkable sentences of the three Microsoft pages in shared/design/source-docs/, each quoted in
 * its test's title: on the demo stack's events (several seeds and CPU counts), or on a purpose-built
 * scenario when the demo does not exercise the sentence.
 *
 *   k:creating-irps-for-lower-level-drivers  (creating-irps-for-lower-level-drivers.md)
 *   ddi:nf-wdm-iorequestdpc                 (iorequestdpc.md)
 *   ifs:writing-irp-dispatch-routines        (writing-irp-dispatch-routines.md)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import demo from '../../scenarios/demo.js';
import { filterDriver } from '../../scenarios/lib/filter-driver.js';
import {
  APC_LEVEL, DISPATCH_LEVEL, HIGH_LEVEL, IRP_BUFFERED_IO, IRP_MJ_CREATE, IRP_NOCACHE, IRP_PAGING_IO, IRP_SYNCHRONOUS_PAGING_IO, IRP_MJ_DEVICE_CONTROL, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_READ,
  IRP_MJ_PNP, IRP_MJ_SHUTDOWN, IRP_MJ_WRITE, PASSIVE_LEVEL, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS, STATUS_VERIFY_REQUIRED,
  type Irp, type KDPC, type NtStatus, type TraceEvent,
} from '../../model/index.js';
import {
  activations, allMajors, finish, firstOf, hardwareDriver, ofKind, parseDetail, readStack, runDispatch, runScenario, testDriver,
  testScenario, type Activation, type ReadDispatch, type RunResult, type TestDevice,
} from './helpers.js';

const DEMO_CONFIGS = [
  { seed: 1, cpus: 1 }, { seed: 2, cpus: 2 }, { seed: 3, cpus: 3 }, { seed: 4, cpus: 4 }, { seed: 5, cpus: 2 },
] as const;
const DEMO_REQUESTS = 80;

interface DemoRun extends RunResult {
  readonly label: string;
  /** IrpAllocated by irp id. */
  readonly allocated: Map<number, Extract<TraceEvent, { kind: 'IrpAllocated' }>>;
  /** Activation (RoutineEntered) of an event, if it ran inside driver code. */
  activationOf(e: TraceEvent): Extract<TraceEvent, { kind: 'RoutineEntered' }> | null;
}

let runs: DemoRun[] = [];

beforeAll(async () => {
  runs = [];
  for (const config of DEMO_CONFIGS) {
    const r = await runScenario(demo, { ...config, requests: DEMO_REQUESTS });
    const allocated = new Map(ofKind(r.events, 'IrpAllocated').map((e) => [e.irp as number, e]));
    runs.push({
      ...r, label: `seed ${config.seed}, ${config.cpus} cpu`, allocated,
      activationOf: (e) => (e.activation === null ? null : (r.events[e.activation] as Extract<TraceEvent, { kind: 'RoutineEntered' }>)),
    });
  }
});

/** Runs `check` on every demo run, naming the run in the failure. */
function everyDemoRun(check: (run: DemoRun) => void): void {
  expect(runs).toHaveLength(DEMO_CONFIGS.length);
  for (const run of runs) {
    try {
      check(run);
    } catch (error) {
      if (error instanceof Error) error.message = `[demo ${run.label}] ${error.message}`;
      throw error;
    }
  }
}

describe('demo runs are sound to begin with', () => {
  it('every demo run completes every request without a bug check', () => {
    everyDemoRun((run) => {
      expect(run.summary.endReason).toBe('completed');
      expect(ofKind(run.events, 'RequestCompleted')).toHaveLength(DEMO_REQUESTS);
      // The workload exercises every path the checks below look at.
      expect(ofKind(run.events, 'IrpAllocated', (e) => e.api === 'IoMakeAssociatedIrp').length).toBeGreaterThan(0);
      expect(ofKind(run.events, 'IrpAllocated', (e) => e.api === 'IoAllocateIrp').length).toBeGreaterThan(0);
      expect(ofKind(run.events, 'DpcQueued', (e) => e.api === 'IoRequestDpc').length).toBeGreaterThan(0);
    });
  });
});

describe('ddi:nf-wdm-iorequestdpc', () => {
  it('"queues a driver-supplied DpcForIsr routine to complete interrupt-driven I/O processing at a lower IRQL": each queued IoRequestDpc leads to one DpcForIsr run at DISPATCH_LEVEL, below the DIRQL, on the target CPU, which completes the IRP (ddi:nf-wdm-iorequestdpc)', () => {
    everyDemoRun((run) => {
      const queued = ofKind(run.events, 'DpcQueued', (e) => e.api === 'IoRequestDpc' && e.result === 1);
      const dpcRuns = activations(run.events, (e) => e.api === 'Dpc' && e.dpc === 'disk0.fdo.Dpc');
      expect(dpcRuns).toHaveLength(queued.length);
      for (const q of queued) {
        const next = dpcRuns.find((a) => a.entered.seq > q.seq && a.entered.cpu === q.cpu);
        expect(next, `DPC run after DpcQueued ${q.seq}`).toBeDefined();
        expect(next!.entered.irql).toBe(DISPATCH_LEVEL);
        expect(next!.entered.irp).toBe(q.irp);
        const completion = ofKind(run.events, 'IrpCompletionRequested', (e) => e.activation === next!.entered.seq);
        expect(completion.map((e) => e.irp)).toContain(q.irp);
      }
    });
  });

  it('"Callers of IoRequestDpc must be running at DIRQL" / "Drivers call IoRequestDpc from an InterruptService routine": every IoRequestDpc in the demo is made by the ISR, running at the device DIRQL 5 (ddi:nf-wdm-iorequestdpc)', () => {
    everyDemoRun((run) => {
      for (const q of ofKind(run.events, 'DpcQueued', (e) => e.api === 'IoRequestDpc')) {
        const caller = run.activationOf(q);
        expect(caller?.api).toBe('Isr');
        expect(caller?.irql).toBe(5);
        // The IRQL the call was made at is the one KeInsertQueueDpc raised from.
        const raise = run.events[q.seq - 1]!;
        expect([raise.kind, raise.api, raise.irql]).toEqual(['IrqlRaised', 'KeInsertQueueDpc', 5]);
      }
    });
  });

  it('"IoRequestDpc runs at the DIRQL value that was specified by SynchronizeIrql": every DpcQueued with api IoRequestDpc records irql 5 (ddi:nf-wdm-iorequestdpc; trace-schema `irql`)', () => {
    // The row carries the caller's IRQL, not HIGH_LEVEL from KeInsertQueueDpc's own raise: trace-schema's
    // "Which IoRequestDpc calls happened below the device's DIRQL?" is answered from this column.
    everyDemoRun((run) => {
      const levels = new Set(ofKind(run.events, 'DpcQueued', (e) => e.api === 'IoRequestDpc').map((e) => e.irql));
      expect([...levels]).toEqual([5]);
    });
  });

  it('"it is also possible to queue a DPC at any IRQL >= DISPATCH_LEVEL by using the KeXxxDpc routines": KeInsertQueueDpc at DISPATCH, a DIRQL and HIGH_LEVEL queues it and it runs at DISPATCH_LEVEL (ddi:nf-wdm-iorequestdpc)', async () => {
    for (const level of [DISPATCH_LEVEL, 9, HIGH_LEVEL]) {
      const ran: number[] = [];
      const r = await runDispatch(async (k, _d, irp) => {
        const dpc = k.KDPC('Any');
        async function AnyLevelDpc(_Dpc: KDPC): Promise<void> { ran.push(k.KeGetCurrentIrql()); }
        k.KeInitializeDpc(dpc, AnyLevelDpc, null);
        const old = await k.KeRaiseIrql(level);
        await k.KeInsertQueueDpc(dpc, null, null);
        await k.KeLowerIrql(old);
        return finish(k, irp);
      });
      expect(r.summary.endReason).toBe('completed');
      expect(ran).toEqual([DISPATCH_LEVEL]);
      expect(firstOf(r.events, 'DpcQueued').result).toBe(1);
    }
  });

  it('"DeviceObject: the device object for which the request that caused the interrupt is being processed"; "Irp: Pointer to the current IRP for the specified device": in the demo the Irp passed is the device\'s CurrentIrp (the one StartIo started) (ddi:nf-wdm-iorequestdpc parameters)', () => {
    everyDemoRun((run) => {
      let current: number | null = null;
      let checked = 0;
      for (const e of run.events) {
        if (e.kind === 'RoutineEntered' && e.api === 'StartIo') current = e.irp;
        if (e.kind === 'DpcQueued' && e.api === 'IoRequestDpc') {
          expect(e.device).toBe('disk0.fdo');
          expect(e.irp).toBe(current);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  });

  it('"Context: Pointer to a driver-determined context to be passed to the DPC routine": the DpcForIsr receives exactly the Irp and Context given to IoRequestDpc (ddi:nf-wdm-iorequestdpc parameters)', async () => {
    const passed: unknown[] = [];
    const received: unknown[] = [];
    const scenario = testScenario({
      stack: ['hw'],
      requests: [{ major: 'read', length: 512 }, { major: 'write', length: 512 }],
      drivers: (k) => [hardwareDriver(k, 'hw', {
        async isr(k2, _i, DeviceObject) {
          const context = { n: passed.length };
          passed.push(DeviceObject.CurrentIrp, context);
          await k2.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, context);
          return true;
        },
        async dpcForIsr(k2, _Dpc, DeviceObject, Irp, Context) {
          received.push(Irp, Context);
          Irp.IoStatus.Status = STATUS_SUCCESS;
          await k2.IoStartNextPacket(DeviceObject, false);
          await k2.IoCompleteRequest(Irp, 0);
        },
      })],
    });
    const r = await runScenario(scenario, { cpus: 2, seed: 4 });
    expect(r.summary.endReason).toBe('completed');
    expect(received).toHaveLength(4);
    expect(received).toEqual(passed);
    expect(received[0]).toBe(passed[0]);
    expect(received[1]).toBe(passed[1]);
  });
});

describe('ifs:writing-irp-dispatch-routines', () => {
  const expectedRoutine: Record<string, Record<string, string>> = {
    'disk0.filter': { IRP_MJ_READ: 'FilterDispatchRead', IRP_MJ_WRITE: 'FilterDispatchWrite', IRP_MJ_DEVICE_CONTROL: 'FilterDispatchDeviceControl' },
    'disk0.fdo': { IRP_MJ_READ: 'DiskDispatchReadWrite', IRP_MJ_WRITE: 'DiskDispatchReadWrite', IRP_MJ_DEVICE_CONTROL: 'DiskDispatchDeviceControl' },
  };

  it('"When an IRP is sent to the driver, the I/O subsystem calls the appropriate dispatch routine based on the IRP\'s major function code": in the demo every IrpCalled runs the target driver\'s routine for that major (ifs:writing-irp-dispatch-routines)', () => {
    everyDemoRun((run) => {
      const majors = new Set<string>();
      for (const call of ofKind(run.events, 'IrpCalled')) {
        // The next thing that thread does in driver code (IoCallDriver is a preemption point).
        const entered = run.events.find((e) => e.seq > call.seq && e.thread === call.thread && e.kind === 'RoutineEntered')!;
        expect(entered.api).toBe('Dispatch');
        expect(entered.irp).toBe(call.irp);
        expect(entered.activation).toBe(entered.seq);
        expect(entered.device).toBe(call.device);
        expect(entered.routine).toBe(expectedRoutine[call.device]![call.major]);
        majors.add(call.major);
      }
      expect([...majors].sort()).toEqual(['IRP_MJ_DEVICE_CONTROL', 'IRP_MJ_READ', 'IRP_MJ_WRITE']);
    });
  });

  it('"A dispatch routine handles one or more types of IRPs. (The type of an IRP is determined by its major function code.)": one routine registered for two majors gets both, another major goes elsewhere (ifs:writing-irp-dispatch-routines)', async () => {
    const log: [string, number][] = [];
    const scenario = testScenario({
      stack: ['t'],
      requests: [{ major: 'read', length: 512 }, { major: 'ioctl', length: 16, ioControlCode: 7 }, { major: 'write', length: 512 }],
      drivers: (k) => {
        async function ReadWriteDispatch(_d: TestDevice, irp: Irp): Promise<NtStatus> {
          log.push(['ReadWrite', k.IoGetCurrentIrpStackLocation(irp).MajorFunction]);
          return finish(k, irp);
        }
        async function ControlDispatch(_d: TestDevice, irp: Irp): Promise<NtStatus> {
          log.push(['Control', k.IoGetCurrentIrpStackLocation(irp).MajorFunction]);
          return finish(k, irp);
        }
        return [testDriver(k, 't', { dispatch: { [IRP_MJ_READ]: ReadWriteDispatch, [IRP_MJ_WRITE]: ReadWriteDispatch, [IRP_MJ_DEVICE_CONTROL]: ControlDispatch } })];
      },
    });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(log).toEqual([['ReadWrite', IRP_MJ_READ], ['Control', IRP_MJ_DEVICE_CONTROL], ['ReadWrite', IRP_MJ_WRITE]]);
  });

  it('"NTSTATUS (*PDRIVER_DISPATCH)(IN PDEVICE_OBJECT DeviceObject, IN PIRP Irp)": a dispatch routine gets the device the IRP was sent to and returns the NTSTATUS its caller\'s IoCallDriver returns (ifs:writing-irp-dispatch-routines)', () => {
    everyDemoRun((run) => {
      for (const a of activations(run.events, (e) => e.api === 'Dispatch')) {
        expect(a.returned).not.toBeNull();
        const back = run.events[a.returned!.seq + 1]!;
        expect(back.kind).toBe('IrpCallReturned');
        expect(back.irp).toBe(a.entered.irp);
        expect(back.status).toBe(a.returned!.status);
        const call = ofKind(run.events, 'IrpCalled', (e) => e.irp === a.entered.irp && e.seq < a.entered.seq).at(-1)!;
        expect(call.device).toBe(a.entered.device);
      }
    });
  });

  it('"File system filter driver dispatch routines are most often called at IRQL PASSIVE_LEVEL, in the context of the thread that originated the I/O request": the top driver\'s dispatch runs at PASSIVE_LEVEL in the requester\'s thread (ifs:writing-irp-dispatch-routines; k:dispatch-routines-and-irqls)', () => {
    everyDemoRun((run) => {
      const issuedBy = new Map(ofKind(run.events, 'RequestIssued').map((e) => [e.irp as number, e.thread]));
      const top = activations(run.events, (e) => e.api === 'Dispatch' && e.device === 'disk0.filter');
      expect(top).toHaveLength(DEMO_REQUESTS);
      for (const a of top) {
        expect(a.entered.irql).toBe(PASSIVE_LEVEL);
        expect(a.entered.thread).not.toBeNull();
        expect(a.entered.thread).toBe(issuedBy.get(a.entered.irp as number));
        expect(a.returned!.thread).toBe(a.entered.thread);
      }
    });
  });

  it('"it is not currently possible to prevent drivers in the filter chain from calling IoCallDriver at IRQL > PASSIVE_LEVEL": IoCallDriver at DISPATCH_LEVEL is not stopped, and the lower dispatch runs at DISPATCH_LEVEL (ifs:writing-irp-dispatch-routines)', async () => {
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => finish(k, irp)],
      ['t', async (k, d, irp) => {
        k.IoSkipCurrentIrpStackLocation(irp);
        const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
        const status = await k.IoCallDriver(d.DeviceExtension.Lower, irp);
        await k.KeLowerIrql(old);
        return status;
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const lower = activations(r.events, (e) => e.routine === 'BDispatchRead')[0]!;
    expect(lower.entered.irql).toBe(DISPATCH_LEVEL);
    expect(firstOf(r.events, 'IrpCalled', (e) => e.device === 'dev0.b').irql).toBe(DISPATCH_LEVEL);
  });

  it('"it is strongly recommended that filter dispatch routines always call IoCallDriver at the same IRQL at which they were called": every IoCallDriver made by a demo dispatch routine is at that routine\'s entry IRQL (ifs:writing-irp-dispatch-routines)', () => {
    everyDemoRun((run) => {
      let checked = 0;
      for (const call of ofKind(run.events, 'IrpCalled')) {
        const caller = run.activationOf(call);
        if (caller === null || caller.api !== 'Dispatch') continue;
        expect(call.irql).toBe(caller.irql);
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  });

  it('"page faults cause read and write dispatch routines to be called at IRQL APC_LEVEL": a paging read is sent and waited for at APC_LEVEL, every dispatch routine on the way runs there, and IoCompleteRequest finishes it in place (IOSB, event, IRP freed) with no completion APC, even from a DPC (ifs:writing-irp-dispatch-routines; k:dispatch-routines-and-irqls; ROS:irp.c#IofCompleteRequest "Handle a Close Operation or Sync Paging I/O")', async () => {
    const scenario = testScenario({
      stack: ['hw', 't'],
      requests: [{ major: 'read', length: 4096, paging: true }, { major: 'read', length: 4096 }],
      drivers: (k) => {
        async function TDispatchRead(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
          k.IoSkipCurrentIrpStackLocation(Irp);
          return k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
        }
        return [hardwareDriver(k, 'hw'), testDriver(k, 't', { dispatch: { [IRP_MJ_READ]: TDispatchRead } })];
      },
    });
    const r = await runScenario(scenario, { cpus: 2, seed: 3 });
    expect(r.summary.endReason).toBe('completed');
    const [paging, normal] = ofKind(r.events, 'RequestIssued').map((e) => e.irp as number) as [number, number];
    expect(parseDetail<{ flags: number }>(firstOf(r.events, 'IrpAllocated', (e) => e.irp === paging)).flags).toBe(IRP_PAGING_IO | IRP_NOCACHE | IRP_SYNCHRONOUS_PAGING_IO);
    const dispatchIrql = (irp: number) => ofKind(r.events, 'RoutineEntered', (e) => e.api === 'Dispatch' && e.irp === irp).map((e) => e.irql);
    expect(dispatchIrql(paging)).toEqual([APC_LEVEL, APC_LEVEL]);
    expect(dispatchIrql(normal)).toEqual([PASSIVE_LEVEL, PASSIVE_LEVEL]);
    // The paging read: finished by IoCompleteRequest in the DpcForIsr, at DISPATCH_LEVEL, before the thread wakes.
    const done = firstOf(r.events, 'RequestCompleted', (e) => e.irp === paging);
    const freed = firstOf(r.events, 'IrpFreed', (e) => e.irp === paging);
    expect([done.routine, done.irql]).toEqual(['HwDpcForIsr', DISPATCH_LEVEL]);
    expect(freed.api).toBe('IoManager');
    expect(freed.activation).toBe(done.activation);
    const woke = firstOf(r.events, 'WaitEnded', (e) => e.seq > done.seq);
    const lowered = firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeLowerIrql' && e.seq > woke.seq);
    expect([lowered.irql, lowered.newIrql, lowered.thread]).toEqual([APC_LEVEL, PASSIVE_LEVEL, woke.thread]);
    // The other read: the completion APC in the requester's thread, as always.
    expect(firstOf(r.events, 'RequestCompleted', (e) => e.irp === normal).irql).toBe(APC_LEVEL);
    expect(ofKind(r.events, 'IrqlRaised', (e) => e.api === 'Apc')).toHaveLength(1);
  });

});

describe('k:creating-irps-for-lower-level-drivers', () => {
  /** The filter over a probe that records what reaches it and completes it. */
  async function filterOverProbe(requests: Parameters<typeof testScenario>[0]['requests']) {
    const seen: { irp: number; api: string; major: number; length: number; offset: number }[] = [];
    const scenario = testScenario({
      stack: ['probe', 'filter'],
      ...(requests ? { requests } : {}),
      drivers: (k) => {
        async function ProbeDispatch(_d: TestDevice, irp: Irp): Promise<NtStatus> {
          const s = k.IoGetCurrentIrpStackLocation(irp);
          seen.push({ irp: irp.id, api: irp.api, major: s.MajorFunction, length: s.Parameters.Read.Length, offset: s.Parameters.Read.ByteOffset });
          irp.IoStatus.Information = s.Parameters.Read.Length;
          return finish(k, irp);
        }
        return [testDriver(k, 'probe', { dispatch: allMajors(ProbeDispatch) }), filterDriver(k)];
      },
    });
    const r = await runScenario(scenario, { cpus: 1 });
    return { r, seen };
  }

  describe('"the dispatch routine must set up the thread context in its newly allocated IRPs from the value at Tail.Overlay.Thread in the original IRP" and "IoSetHardErrorOrVerifyDevice ... references the pointer at Irp->Tail.Overlay.Thread" (k:creating-irps-for-lower-level-drivers; ddi:nf-ntddk-iosetharderrororverifydevice; ROS:util.c#IoSetHardErrorOrVerifyDevice)', () => {
    /** A removable-media driver that reports a changed medium on every read, at `irql`. */
    const removable = (irql: number): ReadDispatch => async (k, DeviceObject, Irp) => {
      const old = irql > PASSIVE_LEVEL ? await k.KeRaiseIrql(irql) : null;
      k.IoSetHardErrorOrVerifyDevice(Irp, DeviceObject);
      if (old !== null) await k.KeLowerIrql(old);
      return finish(k, Irp, STATUS_VERIFY_REQUIRED);
    };
    /** An upper driver that sends each read down in an IRP it allocates, copying the thread or not. */
    const allocating = (copyThread: boolean): ReadDispatch => async (k, DeviceObject, Irp) => {
      const lower = DeviceObject.DeviceExtension.Lower;
      const own = await k.IoAllocateIrp(lower.StackSize, false);
      if (copyThread) own.Tail.Overlay.Thread = Irp.Tail.Overlay.Thread;
      k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
      k.IoSetCompletionRoutine(own, async function UpperOwnIrpComplete(_d, done, original: Irp) {
        original.IoStatus = { ...done.IoStatus };
        await k.IoFreeIrp(done);
        await k.IoCompleteRequest(original, 0);
        return STATUS_MORE_PROCESSING_REQUIRED;
      }, Irp, true, true, true);
      k.IoMarkIrpPending(Irp);
      await k.IoCallDriver(lower, own);
      return STATUS_PENDING;
    };

    it('the I/O manager\'s IRP carries its thread: the device to verify is named, the request fails with STATUS_VERIFY_REQUIRED', async () => {
      const r = await runScenario(readStack([['media', removable(PASSIVE_LEVEL)]]));
      expect(r.summary.endReason).toBe('completed');
      expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_VERIFY_REQUIRED);
    });

    it('an allocated IRP given the original\'s thread works the same', async () => {
      const r = await runScenario(readStack([['media', removable(DISPATCH_LEVEL)], ['upper', allocating(true)]]));
      expect(r.summary.endReason).toBe('completed');
      expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_VERIFY_REQUIRED);
    });

    it.each([[PASSIVE_LEVEL, 'KMODE_EXCEPTION_NOT_HANDLED'], [DISPATCH_LEVEL, 'IRQL_NOT_LESS_OR_EQUAL']] as const)(
      'an allocated IRP without a thread: the call writes through NULL (IRQL %i: %s)', async (irql, bugcheck) => {
        const r = await runScenario(readStack([['media', removable(irql)], ['upper', allocating(false)]]));
        expect(r.summary.endReason).toBe('bugcheck');
        expect(r.summary.bugcheck?.name).toBe(bugcheck);
        expect(firstOf(r.events, 'Bugcheck').routine).toBe('MediaDispatchRead');
      });
  });

  it('"IoAllocateIrp ... allocates an IRP and a number of zero-initialized I/O stack locations" and "To allocate an IRP for an asynchronous request, which will be processed in an arbitrary thread context": no thread, StackSize zeroed locations (k:creating-irps-for-lower-level-drivers)', async () => {
    const seen: unknown[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const own = await k.IoAllocateIrp(4, false);
      seen.push(own.Tail.Overlay.Thread, own.stack.slice(0, 4).every((l) => l.MajorFunction === 0 && l.Control === 0 && l.CompletionRoutine === null && l.Parameters.Read.Length === 0 && l.DeviceObject === null));
      await k.IoFreeIrp(own);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toEqual([null, true]);
  });

  it('"The dispatch routine must set up the next-lower driver\'s I/O stack location for the newly allocated IRP, usually by copying (possibly modified) information from its own stack location": the demo filter\'s allocated IRP reaches the lower driver with the original\'s major, length and offset (k:creating-irps-for-lower-level-drivers)', async () => {
    const { r, seen } = await filterOverProbe([{ major: 'read', length: 8192, offset: 4096 }]);
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toEqual([{ irp: expect.any(Number), api: 'IoAllocateIrp', major: IRP_MJ_READ, length: 8192, offset: 4096 }]);
    expect(firstOf(r.events, 'RequestCompleted').result).toBe(8192);
  });

  it('"it is immaterial to the underlying device driver whether a given request comes from an intermediate driver or originates from any other source": the lower driver sees the same request in a filter-allocated IRP (read) as in the I/O manager\'s own (write, passed through) (k:creating-irps-for-lower-level-drivers)', async () => {
    const { r, seen } = await filterOverProbe([{ major: 'read', length: 4096, offset: 512 }, { major: 'write', length: 4096, offset: 512 }]);
    expect(r.summary.endReason).toBe('completed');
    expect(seen.map((s) => s.api)).toEqual(['IoAllocateIrp', 'IoManager']);
    expect(seen.map(({ length, offset }) => [length, offset])).toEqual([[4096, 512], [4096, 512]]);
    expect(seen.map((s) => s.major)).toEqual([IRP_MJ_READ, IRP_MJ_WRITE]);
  });

  it('"Highest-level drivers can call IoMakeAssociatedIrp to allocate IRPs and set them up for a chain of lower drivers": the demo filter splits a long read into associated IRPs that cover it exactly (k:creating-irps-for-lower-level-drivers)', async () => {
    const { r, seen } = await filterOverProbe([{ major: 'read', length: 200 * 1024, offset: 1 << 20 }]);
    expect(r.summary.endReason).toBe('completed');
    expect(seen.every((s) => s.api === 'IoMakeAssociatedIrp' && s.major === IRP_MJ_READ)).toBe(true);
    expect(seen.map((s) => [s.offset - (1 << 20), s.length])).toEqual([[0, 65536], [65536, 65536], [131072, 65536], [196608, 8192]]);
    expect(firstOf(r.events, 'RequestCompleted').result).toBe(200 * 1024);
  });

  it('"IoBuildAsynchronousFsdRequest ... sets up the next-lower driver\'s I/O stack location ... for IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_FLUSH_BUFFERS, and IRP_MJ_SHUTDOWN requests", and IRP_MJ_PNP (the DDI\'s list); another major is not refused, as in ReactOS, and IrpAllocated records it (k:creating-irps-for-lower-level-drivers; ddi:nf-wdm-iobuildasynchronousfsdrequest; ROS:irp.c#IoBuildAsynchronousFsdRequest)', async () => {
    const seen: [number, number | null][] = [];
    const majors = [IRP_MJ_READ, IRP_MJ_WRITE, IRP_MJ_FLUSH_BUFFERS, IRP_MJ_SHUTDOWN, IRP_MJ_PNP, IRP_MJ_CREATE];
    const r = await runDispatch(async (k, d, irp) => {
      for (const major of majors) {
        const own = await k.IoBuildAsynchronousFsdRequest(major, d.DeviceExtension.Lower, null, 512, 0, null);
        seen.push([major, own === null ? null : k.IoGetNextIrpStackLocation(own).MajorFunction]);
        if (own !== null) await k.IoFreeIrp(own);
      }
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toEqual(majors.map((major) => [major, major]));
    expect(ofKind(r.events, 'IrpAllocated', (e) => e.api === 'IoBuildAsynchronousFsdRequest').map((e) => e.major))
      .toEqual(['IRP_MJ_READ', 'IRP_MJ_WRITE', 'IRP_MJ_FLUSH_BUFFERS', 'IRP_MJ_SHUTDOWN', 'IRP_MJ_PNP', 'IRP_MJ_CREATE']);
  });


  it('"Intermediate drivers cannot call IoMakeAssociatedIrp": in the demo it is only called by the top driver, for an IRP the I/O manager sent it directly (k:creating-irps-for-lower-level-drivers)', () => {
    everyDemoRun((run) => {
      for (const alloc of ofKind(run.events, 'IrpAllocated', (e) => e.api === 'IoMakeAssociatedIrp')) {
        const caller = run.activationOf(alloc)!;
        expect(caller.api).toBe('Dispatch');
        expect(caller.device).toBe('disk0.filter');
        expect(caller.irp).toBe(alloc.master);
        const call = ofKind(run.events, 'IrpCalled', (e) => e.irp === alloc.master && e.seq < caller.seq).at(-1)!;
        expect([call.activation, call.device]).toEqual([null, 'disk0.filter']);
      }
    });
  });

  it('"can return control to the I/O manager after sending its associated IRPs on and calling IoMarkIrpPending for the original, master IRP": the splitting dispatch marks the master pending and returns STATUS_PENDING after its last IoCallDriver (k:creating-irps-for-lower-level-drivers)', () => {
    everyDemoRun((run) => {
      const masters = new Set(ofKind(run.events, 'IrpAllocated', (e) => e.api === 'IoMakeAssociatedIrp').map((e) => e.master));
      const splitters = activations(run.events, (e) => e.api === 'Dispatch' && masters.has(e.irp));
      expect(splitters.length).toBe(masters.size);
      for (const a of splitters) {
        const body = run.events.slice(a.entered.seq + 1, a.returned!.seq).filter((e) => e.activation === a.entered.seq);
        const marked = body.find((e) => e.kind === 'IrpMarkedPending' && e.irp === a.entered.irp);
        const calls = body.filter((e) => e.kind === 'IrpCalled');
        expect(marked).toBeDefined();
        expect(calls.length).toBeGreaterThan(0);
        expect(marked!.seq).toBeLessThan(calls[0]!.seq);
        expect(a.returned!.status).toBe(STATUS_PENDING);
      }
    });
  });

  it('"A highest-level driver can rely on the I/O manager to complete the master IRP when all associated IRPs have been completed by lower drivers" / "The I/O manager automatically completes the original IRP when all its associated IRPs have been completed": each master is completed once, by the I/O manager, right after its last associated IRP is freed (k:creating-irps-for-lower-level-drivers)', () => {
    everyDemoRun((run) => {
      const byMaster = new Map<number, number[]>();
      for (const e of ofKind(run.events, 'IrpAllocated', (x) => x.api === 'IoMakeAssociatedIrp')) {
        byMaster.set(e.master!, [...(byMaster.get(e.master!) ?? []), e.irp]);
      }
      expect(byMaster.size).toBeGreaterThan(0);
      for (const [master, parts] of byMaster) {
        const completions = ofKind(run.events, 'IrpCompletionRequested', (e) => e.irp === master);
        expect(completions).toHaveLength(1);
        const c = completions[0]!;
        const frees = parts.map((p) => firstOf(run.events, 'IrpFreed', (e) => e.irp === p));
        expect(frees.every((f) => f.api === 'IoManager' && f.seq < c.seq)).toBe(true);
        expect(run.events[c.seq - 1]!.kind).toBe('IrpFreed');
        expect(run.events[c.seq - 2]!.kind).toBe('MasterIrpCountChanged');
        expect(run.events[c.seq - 2]!.result).toBe(0);
        // Not the highest-level driver's own call: it happens in the lower driver's completion path.
        expect(run.activationOf(c)?.driver).toBe('disk');
        expect(ofKind(run.events, 'RequestCompleted', (e) => e.irp === master)).toHaveLength(1);
      }
    });
  });

  it('"The dispatch routine must call IoMarkIrpPending with the original IRP, but not with any driver-allocated IRPs": the demo filter marks only I/O-manager IRPs pending (k:creating-irps-for-lower-level-drivers)', () => {
    everyDemoRun((run) => {
      const marks = ofKind(run.events, 'IrpMarkedPending', (e) => e.api === 'IoMarkIrpPending' && run.activationOf(e)?.driver === 'filter');
      expect(marks.length).toBeGreaterThan(0);
      for (const m of marks) expect(run.allocated.get(m.irp)?.api).toBe('IoManager');
    });
  });

  it('"Dispatch routines must return STATUS_PENDING after sending all driver-allocated IRPs on to lower drivers": every demo dispatch that sent a driver-allocated IRP returns STATUS_PENDING after its last such IoCallDriver (k:creating-irps-for-lower-level-drivers)', () => {
    everyDemoRun((run) => {
      let checked = 0;
      for (const a of activations(run.events, (e) => e.api === 'Dispatch')) {
        const sent = run.events.slice(a.entered.seq + 1, a.returned!.seq)
          .filter((e) => e.kind === 'IrpCalled' && e.activation === a.entered.seq && run.allocated.get(e.irp!)?.api !== 'IoManager');
        if (sent.length === 0) continue;
        checked++;
        expect(a.returned!.status).toBe(STATUS_PENDING);
        expect(sent.at(-1)!.seq).toBeLessThan(a.returned!.seq);
      }
      expect(checked).toBeGreaterThan(0);
    });
  });

  it('"A driver\'s IoCompletion routine should free all driver-allocated IRPs with IoFreeIrp before it calls IoCompleteRequest for the original IRP. When it completes the original IRP, the IoCompletion routine must free all driver-allocated IRPs before it returns control" (k:creating-irps-for-lower-level-drivers)', () => {
    everyDemoRun((run) => {
      const routines: Activation[] = activations(run.events, (e) => e.api === 'Completion' && run.allocated.get(e.irp!)?.api === 'IoAllocateIrp');
      expect(routines.length).toBeGreaterThan(0);
      for (const a of routines) {
        const own = a.entered.irp!;
        const body = run.events.slice(a.entered.seq + 1, a.returned!.seq).filter((e) => e.activation === a.entered.seq);
        const freed = body.find((e) => e.kind === 'IrpFreed' && e.irp === own);
        const completesOriginal = body.find((e) => e.kind === 'IrpCompletionRequested' && e.irp !== own);
        expect(freed, `IoFreeIrp(${own}) inside its completion routine`).toBeDefined();
        expect(completesOriginal).toBeDefined();
        expect(freed!.seq).toBeLessThan(completesOriginal!.seq);
        expect(a.returned!.status).toBe(0xc0000016);
      }
    });
  });

  it('"Highest-level drivers must not, however, allocate associated IRPs for any IRP that requests a buffered I/O operation": no demo master has IRP_BUFFERED_IO (k:creating-irps-for-lower-level-drivers)', () => {
    everyDemoRun((run) => {
      for (const alloc of ofKind(run.events, 'IrpAllocated', (e) => e.api === 'IoMakeAssociatedIrp')) {
        const master = run.allocated.get(alloc.master!)!;
        expect(parseDetail<{ flags: number }>(master).flags & IRP_BUFFERED_IO).toBe(0);
      }
    });
  });

  it('"Any IRP an intermediate driver receives might already be an associated IRP, and a driver cannot associate another IRP with such an IRP": no demo master is itself an associated IRP (k:creating-irps-for-lower-level-drivers)', () => {
    everyDemoRun((run) => {
      for (const alloc of ofKind(run.events, 'IrpAllocated', (e) => e.api === 'IoMakeAssociatedIrp')) {
        expect(run.allocated.get(alloc.master!)!.api).toBe('IoManager');
        expect(run.allocated.get(alloc.master!)!.master).toBeNull();
      }
    });
  });

  it('"the dispatch routine must set up the thread context in its newly allocated IRPs from the value at Tail.Overlay.Thread in the original IRP": IoMakeAssociatedIrp gives the associated IRP its master\'s thread (k:creating-irps-for-lower-level-drivers; ROS:irp.c#IoMakeAssociatedIrp)', async () => {
    const seen: boolean[] = [];
    const r = await runDispatch(async (k, d, irp) => {
      const original = irp.Tail.Overlay.Thread;
      const assoc = await k.IoMakeAssociatedIrp(irp, d.DeviceExtension.Lower.StackSize);
      seen.push(original !== null, assoc.Tail.Overlay.Thread === original);
      await k.IoFreeIrp(assoc);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toEqual([true, true]);
  });

  it('"the dispatch routine must set up the thread context in its newly allocated IRPs from the value at Tail.Overlay.Thread in the original IRP": a driver can set it in an IoAllocateIrp IRP (k:creating-irps-for-lower-level-drivers)', async () => {
    const seen: boolean[] = [];
    await runDispatch(async (k, d, irp) => {
      const original = irp.Tail.Overlay.Thread;
      const own = await k.IoAllocateIrp(d.DeviceExtension.Lower.StackSize, false);
      own.Tail.Overlay.Thread = original;
      seen.push(original !== null && own.Tail.Overlay.Thread === original);
      await k.IoFreeIrp(own);
      return finish(k, irp);
    });
    expect(seen).toEqual([true]);
  });

  it('"the IoCompletion routine has no local context storage for itself in the IRP" (IoBuildAsynchronousFsdRequest IRP): the routine runs past the last location with DeviceObject NULL; what it writes through IoGetCurrentIrpStackLocation is not there on the retry, and each use is recorded as IrpAccessed past the end (k:creating-irps-for-lower-level-drivers; ROS:irp.c#IofCompleteRequest; windows-semantics §3.2 "CSL = &stack[StackCount] (one past the end)")', async () => {
    const seen: unknown[] = [];
    let ownId = -1;
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => finish(k, irp)],
      ['t', async (k, d, irp) => {
        const own = (await k.IoBuildAsynchronousFsdRequest(IRP_MJ_READ, d.DeviceExtension.Lower, null, 512, 0, null))!;
        ownId = own.id;
        let tries = 0;
        async function NoContext(DeviceObject: TestDevice | null, Irp: Irp): Promise<NtStatus> {
          seen.push(DeviceObject, Irp.CurrentLocation === Irp.StackCount + 1);
          // A driver trying to keep its retry count in "its own" location: it has none.
          const mine = k.IoGetCurrentIrpStackLocation(Irp);
          seen.push(mine.Context);
          mine.Context = { tries: ++tries };
          if (tries === 1) {
            // Retry: set the next location up again and resend (the doc's "retry the request").
            const next = k.IoGetNextIrpStackLocation(Irp);
            next.MajorFunction = IRP_MJ_READ;
            k.IoSetCompletionRoutine(Irp, NoContext, null, true, true, true);
            await k.IoCallDriver(d.DeviceExtension.Lower, Irp);
            return STATUS_MORE_PROCESSING_REQUIRED;
          }
          await k.IoFreeIrp(Irp);
          return STATUS_MORE_PROCESSING_REQUIRED;
        }
        k.IoSetCompletionRoutine(own, NoContext, null, true, true, true);
        await k.IoCallDriver(d.DeviceExtension.Lower, own);
        return finish(k, irp);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    // Both runs: no DeviceObject, past the last location, and nothing kept from the first run.
    expect(seen).toEqual([null, true, null, null, true, null]);
    const outside = ofKind(r.events, 'IrpAccessed', (e) => e.irp === ownId);
    expect(outside).toHaveLength(2);
    for (const e of outside) {
      expect(e.api).toBe('IoGetCurrentIrpStackLocation');
      expect(e.routine).toBe('NoContext');
      expect(JSON.parse(e.detail!)).toEqual({ location: 'past the end' });
    }
  });

});
