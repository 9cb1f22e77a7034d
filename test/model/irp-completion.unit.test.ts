/**
 * IoCompleteRequest's walk (windows-semantics §3.6; ROS:irp.c#IofCompleteRequest), IRPs touched
 * after completion, and cancellation (§3.9; ROS:irp.c#IoCancelIrp).
 */
import { describe, expect, it } from 'vitest';
import {
  DISPATCH_LEVEL, IO_NO_INCREMENT, IRP_MJ_READ, STATUS_BUFFER_OVERFLOW, STATUS_CANCELLED, STATUS_CONTINUE_COMPLETION,
  STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS, STATUS_UNSUCCESSFUL,
  type Irp, type Kernel, type NtStatus, type PDRIVER_CANCEL, type PIO_COMPLETION_ROUTINE, type Simulation,
} from '../../model/index.js';
import {
  activationNamed, activations, finish, firstOf, ofKind, pendUntilCancelled, readStack, runScenario, type ReadDispatch, type TestDevice,
} from './helpers.js';

type Flags = readonly [onSuccess: boolean, onError: boolean, onCancel: boolean];

/** A completion routine named `name` that logs (name, DeviceObject name, PendingReturned) and returns `result`. */
function logRoutine(k: Kernel, name: string, log: unknown[][], options: { result?: NtStatus; propagate?: boolean; setStatus?: NtStatus } = {}): PIO_COMPLETION_ROUTINE {
  const fn = {
    [name]: async (DeviceObject: TestDevice | null, Irp: Irp): Promise<NtStatus> => {
      log.push([name, DeviceObject === null ? null : DeviceObject.Name, Irp.PendingReturned, Irp.IoStatus.Status, k.KeGetCurrentIrql()]);
      if (options.propagate && Irp.PendingReturned) k.IoMarkIrpPending(Irp);
      if (options.setStatus !== undefined) Irp.IoStatus.Status = options.setStatus;
      return options.result ?? STATUS_CONTINUE_COMPLETION;
    },
  }[name]!;
  return fn as PIO_COMPLETION_ROUTINE;
}

/** A dispatch that copies its location down, sets `routine` with `flags` (unless null), and calls the lower driver. */
function forwardWith(routine: (k: Kernel) => PIO_COMPLETION_ROUTINE | null, flags: Flags = [true, true, true]): ReadDispatch {
  return async (k, d, irp) => {
    k.IoCopyCurrentIrpStackLocationToNext(irp);
    const r = routine(k);
    if (r !== null) k.IoSetCompletionRoutine(irp, r, null, ...flags);
    return k.IoCallDriver(d.DeviceExtension.Lower, irp);
  };
}

function completeWithStatus(status: NtStatus, before?: (k: Kernel, irp: Irp) => Promise<void>): ReadDispatch {
  return async (k, _d, irp) => {
    if (before) await before(k, irp);
    return finish(k, irp, status);
  };
}

describe('the completion walk', () => {
  it('completion routines run bottom-up, each with its registrant\'s DeviceObject, at the IoCompleteRequest caller\'s IRQL (ROS:irp.c#IofCompleteRequest; k:implementing-an-iocompletion-routine; ddi:nc-wdm-io_completion_routine)', async () => {
    const log: unknown[][] = [];
    const r = await runScenario(readStack([
      ['b', completeWithStatus(STATUS_SUCCESS)],
      ['m', forwardWith((k) => logRoutine(k, 'CompleteM', log))],
      ['t', forwardWith((k) => logRoutine(k, 'CompleteT', log))],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(log.map((l) => [l[0], l[1], l[4]])).toEqual([['CompleteM', 'dev0.m', 0], ['CompleteT', 'dev0.t', 0]]);
    const cm = activationNamed(r.events, 'CompleteM');
    const ct = activationNamed(r.events, 'CompleteT');
    expect(cm.entered.api).toBe('Completion');
    expect(cm.entered.driver).toBe('m');
    expect(ct.entered.driver).toBe('t');
    // StackCount 4 (t, m, b, PDO): CompleteM sits in b's location 2 and runs with CurrentLocation 3 (m's); CompleteT with 4.
    expect([cm.entered.loc, ct.entered.loc]).toEqual([3, 4]);
    expect(cm.returned!.seq).toBeLessThan(ct.entered.seq);
    const done = firstOf(r.events, 'IrpCompleted');
    expect(done.seq).toBeGreaterThan(ct.returned!.seq);
    expect(done.loc).toBe(6); // StackCount + 2: the walk is over
    expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_SUCCESS);
  });

  const flagCases: [string, NtStatus, Flags, boolean][] = [
    ['success, InvokeOnSuccess', STATUS_SUCCESS, [true, false, false], true],
    ['success, InvokeOnError only', STATUS_SUCCESS, [false, true, false], false],
    ['error, InvokeOnError', STATUS_UNSUCCESSFUL, [false, true, false], true],
    ['error, InvokeOnSuccess only', STATUS_UNSUCCESSFUL, [true, false, false], false],
    ['warning 0x80000005 (NT_SUCCESS false), InvokeOnError', STATUS_BUFFER_OVERFLOW, [false, true, false], true],
    ['warning 0x80000005 (NT_SUCCESS false), InvokeOnSuccess only', STATUS_BUFFER_OVERFLOW, [true, false, false], false],
    ['success, InvokeOnCancel only, not cancelled', STATUS_SUCCESS, [false, false, true], false],
  ];
  for (const [label, status, flags, invoked] of flagCases) {
    it(`InvokeOnSuccess/Error/Cancel are honoured: ${label} → ${invoked ? 'invoked' : 'skipped'} (ROS:irp.c#IofCompleteRequest; ddi:nf-wdm-iosetcompletionroutine; windows-semantics §5 NT_SUCCESS)`, async () => {
      const log: unknown[][] = [];
      const r = await runScenario(readStack([
        ['b', completeWithStatus(status)],
        ['m', forwardWith((k) => logRoutine(k, 'CompleteM', log), flags)],
        ['t', forwardWith((k) => logRoutine(k, 'CompleteT', log))],
      ]), { cpus: 1 });
      expect(r.summary.endReason).toBe('completed');
      expect(log.map((l) => l[0])).toEqual(invoked ? ['CompleteM', 'CompleteT'] : ['CompleteT']);
      expect(firstOf(r.events, 'RequestCompleted').status).toBe(status);
    });
  }

  it('InvokeOnCancel runs the routine for a cancelled IRP whatever its status (ROS:irp.c#IofCompleteRequest "Irp->Cancel && SL_INVOKE_ON_CANCEL")', async () => {
    const log: unknown[][] = [];
    const cancelled: boolean[] = [];
    const r = await runScenario(readStack([
      ['b', completeWithStatus(STATUS_SUCCESS, async (k, irp) => { cancelled.push(await k.IoCancelIrp(irp), irp.Cancel); })],
      ['m', forwardWith((k) => logRoutine(k, 'CompleteM', log), [false, false, true])],
      ['t', forwardWith((k) => logRoutine(k, 'CompleteT', log))],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(cancelled).toEqual([false, true]);
    expect(log.map((l) => l[0])).toEqual(['CompleteM', 'CompleteT']);
  });

  it('the status is re-read at every level: a routine that turns success into an error skips an InvokeOnSuccess-only routine above it (windows-semantics §3.6 step 1c)', async () => {
    const log: unknown[][] = [];
    const r = await runScenario(readStack([
      ['b', completeWithStatus(STATUS_SUCCESS)],
      ['m', forwardWith((k) => logRoutine(k, 'CompleteM', log, { setStatus: STATUS_UNSUCCESSFUL }))],
      ['t', forwardWith((k) => logRoutine(k, 'CompleteT', log), [true, false, false])],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(log.map((l) => l[0])).toEqual(['CompleteM']);
    expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_UNSUCCESSFUL);
    expect(firstOf(r.events, 'IrpCompleted').status).toBe(STATUS_UNSUCCESSFUL);
  });

  it('STATUS_MORE_PROCESSING_REQUIRED stops the walk; the registrant owns the IRP again, and its later IoCompleteRequest resumes with the routine immediately above (k:implementing-an-iocompletion-routine; ROS:irp.c#IofCompleteRequest)', async () => {
    const log: unknown[][] = [];
    let sim: Simulation | null = null;
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([
      ['b', completeWithStatus(STATUS_SUCCESS)],
      ['m', async (k, d, irp) => {
        k.IoCopyCurrentIrpStackLocationToNext(irp);
        k.IoSetCompletionRoutine(irp, logRoutine(k, 'CompleteM', log, { result: STATUS_MORE_PROCESSING_REQUIRED }), null, true, true, true);
        await k.IoCallDriver(d.DeviceExtension.Lower, irp);
        // Ours again: CurrentLocation is our own location, the walk has stopped.
        seen.cl = irp.CurrentLocation;
        seen.phase = sim!.snapshot().irps.get(irp.id)?.phase;
        log.push(['m resumes']);
        irp.IoStatus.Status = STATUS_SUCCESS;
        await k.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
      }],
      ['t', forwardWith((k) => logRoutine(k, 'CompleteT', log))],
    ]), { cpus: 1 }, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(log.map((l) => l[0])).toEqual(['CompleteM', 'm resumes', 'CompleteT']);
    expect(seen.cl).toBe(3);
    expect(seen.phase).toBe('reclaimed');
    const requests = ofKind(r.events, 'IrpCompletionRequested');
    expect(requests.map((e) => [e.routine, e.loc])).toEqual([['BDispatchRead', 2], ['MDispatchRead', 3]]);
    const cm = activationNamed(r.events, 'CompleteM');
    expect(cm.returned!.status).toBe(STATUS_MORE_PROCESSING_REQUIRED);
    // Nothing of the walk happened between the MPR return and m's own IoCompleteRequest.
    const between = r.events.slice(cm.returned!.seq + 1, requests[1]!.seq);
    expect(between.filter((e) => e.kind === 'IrpCompleted' || e.kind === 'RoutineEntered' || e.kind === 'RequestCompleted')).toEqual([]);
    expect(activationNamed(r.events, 'CompleteT').entered.seq).toBeGreaterThan(requests[1]!.seq);
    expect(ofKind(r.events, 'IrpCompleted')).toHaveLength(1);
  });

  it('with no completion routine the walk propagates the pending bit upward itself: IrpMarkedPending api IoCompleteRequest at each location above (ROS:irp.c#IofCompleteRequest; ddi:ns-wdm-_irp PendingReturned)', async () => {
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => {
        k.IoMarkIrpPending(irp);
        await finish(k, irp);
        return STATUS_PENDING;
      }],
      ['m', forwardWith(() => null)],
      ['t', forwardWith(() => null)],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const marks = ofKind(r.events, 'IrpMarkedPending');
    expect(marks.map((e) => [e.api, e.loc])).toEqual([['IoMarkIrpPending', 2], ['IoCompleteRequest', 3], ['IoCompleteRequest', 4]]);
    const completed = firstOf(r.events, 'IrpCompleted');
    expect(marks[2]!.seq).toBeLessThan(completed.seq);
    expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_SUCCESS);
  });

  it('when a routine is invoked the walk does not propagate the pending bit: the routine sees PendingReturned and must mark the IRP pending itself (ddi:ns-wdm-_irp; ifs:checking-the-pendingreturned-flag; windows-semantics §3.6 step 1d)', async () => {
    for (const propagate of [false, true]) {
      const log: unknown[][] = [];
      const r = await runScenario(readStack([
        ['b', async (k, _d, irp) => {
          k.IoMarkIrpPending(irp);
          await finish(k, irp);
          return STATUS_PENDING;
        }],
        ['m', forwardWith((k) => logRoutine(k, 'CompleteM', log, { propagate }))],
        ['t', forwardWith((k) => logRoutine(k, 'CompleteT', log))],
      ]), { cpus: 1 });
      expect(r.summary.endReason).toBe('completed');
      // CompleteM sees b's bit; CompleteT sees m's bit, which only CompleteM could have set.
      expect(log.map((l) => [l[0], l[2]])).toEqual([['CompleteM', true], ['CompleteT', propagate]]);
      expect(ofKind(r.events, 'IrpMarkedPending', (e) => e.api === 'IoCompleteRequest').map((e) => e.loc)).toEqual([]);
      const marks = ofKind(r.events, 'IrpMarkedPending', (e) => e.api === 'IoMarkIrpPending').map((e) => [e.routine, e.loc]);
      expect(marks).toEqual(propagate ? [['BDispatchRead', 2], ['CompleteM', 3]] : [['BDispatchRead', 2]]);
    }
  });

  it('completion routines run at DISPATCH_LEVEL when the IRP is completed from a DPC (ddi:nc-wdm-io_completion_routine "IRQL <= DISPATCH_LEVEL"; windows-semantics §1.3)', async () => {
    const log: unknown[][] = [];
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => {
        k.IoMarkIrpPending(irp);
        const dpc = k.KDPC('CompleteLater');
        async function CompleteLaterDpc(_Dpc: unknown, _Ctx: unknown, Irp: unknown): Promise<void> {
          await finish(k, Irp as Irp);
        }
        k.KeInitializeDpc(dpc, CompleteLaterDpc, null);
        await k.KeInsertQueueDpc(dpc, irp, null);
        return STATUS_PENDING;
      }],
      ['t', forwardWith((k) => logRoutine(k, 'CompleteT', log, { propagate: true }))],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(log.map((l) => [l[0], l[2], l[4]])).toEqual([['CompleteT', true, DISPATCH_LEVEL]]);
    const ct = activationNamed(r.events, 'CompleteT');
    // The completion routine runs nested inside the DPC activation.
    const dpc = activations(r.events, (e) => e.api === 'Dpc')[0]!;
    expect(ct.entered.seq).toBeGreaterThan(dpc.entered.seq);
    expect(ct.returned!.seq).toBeLessThan(dpc.returned!.seq);
  });

  it('completing an IRP whose walk has finished bug-checks MULTIPLE_IRP_COMPLETE_REQUESTS (0x44) (ROS:irp.c#IofCompleteRequest; SDV:DoubleCompletion; windows-semantics §4 rule 14)', async () => {
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => {
        await k.IoCompleteRequest(irp, IO_NO_INCREMENT);
        await k.IoCompleteRequest(irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('bugcheck');
    expect(r.summary.bugcheck?.name).toBe('MULTIPLE_IRP_COMPLETE_REQUESTS');
    expect(r.summary.bugcheck?.code).toBe(0x44);
    const requests = ofKind(r.events, 'IrpCompletionRequested');
    expect(requests).toHaveLength(2);
    const bug = firstOf(r.events, 'Bugcheck');
    expect(bug.seq).toBe(requests[1]!.seq + 1);
    expect(bug.status).toBe(0x44);
  });

  it('completing a driver-allocated IRP twice (never freed) also bug-checks 0x44 (ROS:irp.c#IofCompleteRequest: CurrentLocation > StackCount + 1)', async () => {
    const r = await runScenario(readStack([
      ['b', completeWithStatus(STATUS_SUCCESS)],
      ['t', async (k, d, irp) => {
        const own = await k.IoAllocateIrp(d.DeviceExtension.Lower.StackSize, false);
        k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
        await k.IoCallDriver(d.DeviceExtension.Lower, own);
        await k.IoCompleteRequest(own, IO_NO_INCREMENT);
        return finish(k, irp);
      }],
    ]), { cpus: 1 });
    expect(r.summary.bugcheck?.name).toBe('MULTIPLE_IRP_COMPLETE_REQUESTS');
  });
});

describe('after completion', () => {
  it('an IoAllocateIrp IRP completed to the top is not freed by anyone: IrpCompleted, no IrpFreed, still live at the end (ddi:nf-wdm-ioallocateirp; SDV:IoAllocateComplete; windows-semantics §3.6 step 4)', async () => {
    let ownId = -1;
    let sim: Simulation | null = null;
    const r = await runScenario(readStack([
      ['b', completeWithStatus(STATUS_SUCCESS)],
      ['t', async (k, d, irp) => {
        const own = await k.IoAllocateIrp(d.DeviceExtension.Lower.StackSize, false);
        ownId = own.id;
        k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
        await k.IoCallDriver(d.DeviceExtension.Lower, own);
        return finish(k, irp);
      }],
    ]), { cpus: 1 }, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(ofKind(r.events, 'IrpCompleted', (e) => e.irp === ownId)).toHaveLength(1);
    expect(ofKind(r.events, 'IrpFreed', (e) => e.irp === ownId)).toHaveLength(0);
    expect(ofKind(r.events, 'RequestCompleted', (e) => e.irp === ownId)).toHaveLength(0);
    const live = sim!.snapshot().irps;
    expect([...live.keys()]).toEqual([ownId]);
    expect(live.get(ownId as never)?.phase).toBe('completed');
    expect(JSON.parse(r.events.at(-1)!.detail!)).toMatchObject({ liveIrps: 1 });
  });

  it('the I/O manager\'s own IRP is freed by the completion APC in the requester\'s thread after RequestCompleted (ROS:irp.c#IopCompleteRequest; windows-semantics §3.6 step 4)', async () => {
    const r = await runScenario(readStack([['b', completeWithStatus(STATUS_SUCCESS, async (k, irp) => { irp.IoStatus.Information = 99; void k; })]]), { cpus: 1 });
    const issued = firstOf(r.events, 'RequestIssued');
    const completed = firstOf(r.events, 'IrpCompleted');
    const requestDone = firstOf(r.events, 'RequestCompleted');
    const freed = firstOf(r.events, 'IrpFreed', (e) => e.irp === issued.irp);
    expect(requestDone.irp).toBe(issued.irp);
    expect(requestDone.result).toBe(99);
    expect(freed.api).toBe('IoManager');
    expect(completed.seq).toBeLessThan(requestDone.seq);
    expect(requestDone.seq).toBeLessThan(freed.seq);
    expect(requestDone.thread).toBe(issued.thread);
    // Delivered as a kernel APC: at APC_LEVEL.
    expect(requestDone.irql).toBe(1);
    expect(firstOf(r.events, 'IrqlRaised', (e) => e.api === 'Apc' && e.seq < requestDone.seq).newIrql).toBe(1);
  });

  it('driver code touching an IRP after its walk finished or after it was freed emits IrpAccessed (field in api), and not before (k:implementing-an-iocompletion-routine; ddi:nf-wdm-iofcalldriver; windows-semantics §4 rule 18)', async () => {
    let ownId = -1;
    let originalId = -1;
    const r = await runScenario(readStack([
      ['b', completeWithStatus(STATUS_SUCCESS)],
      ['t', async (k, d, irp) => {
        originalId = irp.id;
        const own = await k.IoAllocateIrp(d.DeviceExtension.Lower.StackSize, false);
        ownId = own.id;
        k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
        void own.IoStatus.Status; // fine: not yet sent
        await k.IoCallDriver(d.DeviceExtension.Lower, own);
        void own.IoStatus.Status; // completed to the top: released
        k.IoGetCurrentIrpStackLocation(own);
        await k.IoFreeIrp(own);
        void own.PendingReturned; // freed
        await finish(k, irp);
        void irp.IoStatus; // the original, completed (and, at PASSIVE in its thread, already freed)
        return STATUS_SUCCESS;
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const accessed = ofKind(r.events, 'IrpAccessed');
    expect(accessed.map((e) => [e.irp, e.api, e.routine])).toEqual([
      [ownId, 'IoStatus', 'TDispatchRead'],
      [ownId, 'IoGetCurrentIrpStackLocation', 'TDispatchRead'],
      [ownId, 'PendingReturned', 'TDispatchRead'],
      [originalId, 'IoStatus', 'TDispatchRead'],
    ]);
    // The first access comes after the walk of `own` completed.
    expect(accessed[0]!.seq).toBeGreaterThan(firstOf(r.events, 'IrpCompleted', (e) => e.irp === ownId).seq);
  });
});

describe('a cancelled IRP that no thread owns', () => {
  it('is freed by the I/O manager when its walk reaches the top (IopCleanupIrp); one that is not cancelled stays allocated (ROS:irp.c#IofCompleteRequest "Nothing left for us to do, kill it"; windows-semantics §3.6 step 3)', async () => {
    const own: number[] = [];
    const r = await runScenario(readStack([
      // The second IRP is pended with a cancel routine; the first is completed at once.
      ['b', async (k, _d, irp) => (own.length === 1 ? finish(k, irp) : pendUntilCancelled(k, irp))],
      ['t', async (k, d, irp) => {
        // Two IRPs of its own, no thread, no completion routine: each one's walk reaches the top.
        for (const cancel of [false, true]) {
          const mine = await k.IoAllocateIrp(d.DeviceExtension.Lower.StackSize, false);
          own.push(mine.id);
          k.IoGetNextIrpStackLocation(mine).MajorFunction = IRP_MJ_READ;
          await k.IoCallDriver(d.DeviceExtension.Lower, mine);
          if (cancel) await k.IoCancelIrp(mine);
        }
        return finish(k, irp);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const [kept, cancelled] = own as [number, number];
    expect(ofKind(r.events, 'IrpCompleted', (e) => e.irp === kept)).toHaveLength(1);
    expect(ofKind(r.events, 'IrpFreed', (e) => e.irp === kept)).toHaveLength(0);
    const completed = firstOf(r.events, 'IrpCompleted', (e) => e.irp === cancelled);
    expect(completed.status).toBe(STATUS_CANCELLED);
    const freed = ofKind(r.events, 'IrpFreed', (e) => e.irp === cancelled);
    expect(freed.map((e) => e.api)).toEqual(['IoManager']);
    expect(freed[0]!.seq).toBeGreaterThan(completed.seq);
    expect(JSON.parse(r.events.at(-1)!.detail!)).toMatchObject({ liveIrps: 1 });
  });
});

describe('a completion routine that frees the IRP and lets the walk go on', () => {
  it('the walk then touches freed memory (IrpAccessed api IoCompleteRequest) and the I/O manager\'s own free is a second one: BAD_POOL_CALLER (0xC2) (k:implementing-an-iocompletion-routine "must return STATUS_MORE_PROCESSING_REQUIRED" for an IRP it frees; ROS:irp.c#IopCompleteRequest frees the IRP; ddi:nf-wdm-iofreeirp)', async () => {
    let originalId = -1;
    const freeing = (k: Kernel): PIO_COMPLETION_ROUTINE => async function FreesAndContinues(_d, irp) {
      await k.IoFreeIrp(irp);
      return STATUS_CONTINUE_COMPLETION;
    };
    const r = await runScenario(readStack([
      ['b', completeWithStatus(STATUS_SUCCESS)],
      ['t', async (k, d, irp) => { originalId = irp.id; return forwardWith(freeing)(k, d, irp); }],
    ]), { cpus: 1 });
    expect(r.summary.bugcheck?.name).toBe('BAD_POOL_CALLER');
    const freed = ofKind(r.events, 'IrpFreed', (e) => e.irp === originalId);
    expect(freed.map((e) => e.api)).toEqual(['IoFreeIrp']);
    const touched = firstOf(r.events, 'IrpAccessed', (e) => e.irp === originalId && e.api === 'IoCompleteRequest');
    expect(touched.seq).toBeGreaterThan(freed[0]!.seq);
    expect(touched.seq).toBeLessThan(firstOf(r.events, 'IrpCompleted', (e) => e.irp === originalId).seq);
    const bugcheck = r.events.at(-2)!;
    expect(bugcheck.kind).toBe('Bugcheck');
    expect(JSON.parse(bugcheck.detail!)).toMatchObject({ irp: originalId, reason: 'IRP freed twice' });
  });
});

describe('IoCancelIrp', () => {
  it('calls the cancel routine with the cancel spin lock held at DISPATCH_LEVEL, Cancel set, CancelIrql = the old IRQL and CancelRoutine already cleared; returns TRUE (ROS:irp.c#IoCancelIrp; ddi:nc-wdm-driver_cancel)', async () => {
    let sim: Simulation | null = null;
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => {
        async function BCancel(DeviceObject: TestDevice, Irp: Irp): Promise<void> {
          const snap = sim!.snapshot();
          seen.inside = {
            irql: k.KeGetCurrentIrql(), locks: [...snap.locks], cancel: Irp.Cancel, cancelIrql: Irp.CancelIrql,
            cancelRoutine: Irp.CancelRoutine, device: DeviceObject.Name, snapRoutine: snap.irps.get(Irp.id)?.cancelRoutine,
          };
          await k.IoReleaseCancelSpinLock(Irp.CancelIrql);
          seen.afterRelease = [k.KeGetCurrentIrql(), [...sim!.snapshot().locks]];
          Irp.IoStatus.Status = STATUS_CANCELLED;
          Irp.IoStatus.Information = 0;
          await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
        }
        k.IoMarkIrpPending(irp);
        seen.previous = k.IoSetCancelRoutine(irp, BCancel as PDRIVER_CANCEL);
        return STATUS_PENDING;
      }],
      ['t', async (k, d, irp) => {
        k.IoSkipCurrentIrpStackLocation(irp);
        const status = await k.IoCallDriver(d.DeviceExtension.Lower, irp);
        const old = await k.KeRaiseIrql(1); // so that CancelIrql (APC_LEVEL) differs from a default 0
        seen.result = await k.IoCancelIrp(irp);
        await k.KeLowerIrql(old);
        return status;
      }],
    ]), { cpus: 1 }, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.previous).toBeNull();
    expect(seen.result).toBe(true);
    expect(seen.inside).toEqual({ irql: DISPATCH_LEVEL, locks: [['IopCancelSpinLock', 0]], cancel: true, cancelIrql: 1, cancelRoutine: null, device: 'dev0.b', snapRoutine: null });
    expect(seen.afterRelease).toEqual([1, []]);
    const set = firstOf(r.events, 'CancelRoutineSet');
    expect(JSON.parse(set.detail)).toEqual({ routine: 'BCancel', previous: null });
    const cancelled = firstOf(r.events, 'IrpCancelled');
    expect([cancelled.result, cancelled.api, cancelled.routine]).toEqual([1, 'IoCancelIrp', 'TDispatchRead']);
    const acquired = firstOf(r.events, 'SpinLockAcquired', (e) => e.lock === 'IopCancelSpinLock');
    const cancelRoutine = activationNamed(r.events, 'BCancel');
    expect(cancelRoutine.entered.api).toBe('Cancel');
    expect(cancelRoutine.entered.irql).toBe(DISPATCH_LEVEL);
    expect(acquired.seq).toBeLessThan(cancelRoutine.entered.seq);
    const released = firstOf(r.events, 'SpinLockReleased', (e) => e.lock === 'IopCancelSpinLock');
    expect(released.activation).toBe(cancelRoutine.entered.seq);
    expect(released.api).toBe('IoReleaseCancelSpinLock');
    expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_CANCELLED);
  });

  it('IoCancelIrp on an IRP with no cancel routine sets Cancel, takes and drops the cancel lock, and returns FALSE (ROS:irp.c#IoCancelIrp; ddi:nf-wdm-iocancelirp)', async () => {
    const seen: unknown[] = [];
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => {
        seen.push(irp.Cancel);
        return finish(k, irp, irp.Cancel ? STATUS_CANCELLED : STATUS_SUCCESS);
      }],
      ['t', async (k, d, irp) => {
        seen.push(await k.IoCancelIrp(irp), k.KeGetCurrentIrql());
        k.IoSkipCurrentIrpStackLocation(irp);
        return k.IoCallDriver(d.DeviceExtension.Lower, irp);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen).toEqual([false, 0, true]);
    const cancelled = firstOf(r.events, 'IrpCancelled');
    expect(cancelled.result).toBe(0);
    const lockEvents = r.events.filter((e) => e.lock === 'IopCancelSpinLock').map((e) => [e.kind, e.newIrql]);
    expect(lockEvents).toEqual([['IrqlRaised', 2], ['SpinLockAcquired', null], ['SpinLockReleased', null], ['IrqlLowered', 0]]);
    expect(ofKind(r.events, 'RoutineEntered', (e) => e.api === 'Cancel')).toHaveLength(0);
    expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_CANCELLED);
  });

  it('IoCancelIrp finding a cancel routine on an IRP whose walk has finished bug-checks CANCEL_STATE_IN_COMPLETED_IRP (0x48) (ROS:irp.c#IoCancelIrp; windows-semantics §4 rule 49)', async () => {
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => {
        async function Stale(): Promise<void> { /* never runs */ }
        k.IoSetCancelRoutine(irp, Stale);
        return finish(k, irp);
      }],
      ['t', async (k, d, irp) => {
        const own = await k.IoAllocateIrp(d.DeviceExtension.Lower.StackSize, false);
        k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
        await k.IoCallDriver(d.DeviceExtension.Lower, own);
        await k.IoCancelIrp(own);
        return finish(k, irp);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('bugcheck');
    expect(r.summary.bugcheck?.name).toBe('CANCEL_STATE_IN_COMPLETED_IRP');
    expect(r.summary.bugcheck?.code).toBe(0x48);
    expect(ofKind(r.events, 'RoutineEntered', (e) => e.api === 'Cancel')).toHaveLength(0);
  });
});
