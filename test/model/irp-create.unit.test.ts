/**
 * IRPs that drivers create (windows-semantics §3.3, §3.7, §3.8; k:creating-irps-for-lower-level-drivers):
 * associated IRPs and their master, IoBuild*FsdRequest.
 */
import { describe, expect, it } from 'vitest';
import {
  IO_NO_INCREMENT, IRP_ASSOCIATED_IRP, IRP_BUFFERED_IO, IRP_DEALLOCATE_BUFFER, IRP_INPUT_OPERATION, IRP_MJ_READ, IRP_SYNCHRONOUS_API,
  METHOD_BUFFERED, METHOD_IN_DIRECT, METHOD_NEITHER, METHOD_OUT_DIRECT, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING,
  STATUS_SUCCESS, STATUS_UNSUCCESSFUL,
  type IO_STATUS_BLOCK, type Irp, type Kernel, type NtStatus, type Simulation,
} from '../../model/index.js';
import {
  activationNamed, finish, firstOf, hardwareDriver, ofKind, parseDetail, readStack, runDispatch, runScenario, testDriver, testScenario,
  type ReadDispatch, type TestDevice,
} from './helpers.js';

const completeBottom: ReadDispatch = async (k, _d, irp) => finish(k, irp, STATUS_SUCCESS);

/** A highest-level dispatch that splits the read into `parts` associated IRPs, with `routine` (if any) on each. */
function splitInto(parts: number, seen: Record<string, unknown>,
  routine?: (k: Kernel, master: Irp) => (DeviceObject: TestDevice | null, Irp: Irp, Context: unknown) => Promise<NtStatus>): ReadDispatch {
  return async (k, d, irp) => {
    const lower = d.DeviceExtension.Lower;
    seen.master = irp.id;
    k.IoMarkIrpPending(irp);
    const associated: Irp[] = [];
    for (let i = 0; i < parts; i++) {
      const part = await k.IoMakeAssociatedIrp(irp, lower.StackSize);
      k.IoGetNextIrpStackLocation(part).MajorFunction = IRP_MJ_READ;
      k.IoGetNextIrpStackLocation(part).Parameters.Read.Length = 512;
      if (routine) k.IoSetCompletionRoutine(part, routine(k, irp), null, true, true, true);
      associated.push(part);
    }
    seen.parts = associated.map((a) => a.id);
    seen.countAfterMake = irp.AssociatedIrp.IrpCount;
    seen.links = associated.map((a) => [a.AssociatedIrp.MasterIrp === irp, (a.Flags & IRP_ASSOCIATED_IRP) !== 0, a.Tail.Overlay.Thread === irp.Tail.Overlay.Thread && a.Tail.Overlay.Thread !== null]);
    irp.AssociatedIrp.IrpCount = parts;
    irp.IoStatus.Status = STATUS_SUCCESS;
    irp.IoStatus.Information = parts * 512;
    for (const part of associated) await k.IoCallDriver(lower, part);
    return STATUS_PENDING;
  };
}

describe('associated IRPs', () => {
  it('IoMakeAssociatedIrp links the new IRP to its master (MasterIrp, IRP_ASSOCIATED_IRP, master\'s thread) and does not touch the master\'s IrpCount (ddi:nf-ntddk-iomakeassociatedirp; ROS:irp.c#IoMakeAssociatedIrp)', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([['b', completeBottom], ['t', splitInto(3, seen)]]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.countAfterMake).toBe(0);
    expect(seen.links).toEqual([[true, true, true], [true, true, true], [true, true, true]]);
    const allocs = ofKind(r.events, 'IrpAllocated', (e) => e.api === 'IoMakeAssociatedIrp');
    expect(allocs.map((e) => [e.irp, e.master, parseDetail<{ flags: number }>(e).flags & IRP_ASSOCIATED_IRP, parseDetail<{ stackCount: number }>(e).stackCount]))
      .toEqual((seen.parts as number[]).map((id) => [id, seen.master, IRP_ASSOCIATED_IRP, 2]));
    // The first count change is the driver's own write, after all three allocations.
    const counts = ofKind(r.events, 'MasterIrpCountChanged');
    expect(counts[0]!.api).toBe('Set');
    expect(counts[0]!.seq).toBeGreaterThan(allocs[2]!.seq);
  });

  it('MasterIrpCountChanged is emitted on the explicit set and on each associated completion; at 0 the I/O manager completes the master, in the order decrement → IrpFreed(assoc, IoManager) → master IrpCompletionRequested (ROS:irp.c#IofCompleteRequest; windows-semantics §3.8 ordering invariant)', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([['b', completeBottom], ['t', splitInto(3, seen)]]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const master = seen.master as number;
    const parts = seen.parts as number[];
    const counts = ofKind(r.events, 'MasterIrpCountChanged');
    expect(counts.map((e) => [e.api, e.irp, e.master, e.result])).toEqual([
      ['Set', master, master, 3], ['IoCompleteRequest', master, master, 2], ['IoCompleteRequest', master, master, 1], ['IoCompleteRequest', master, master, 0],
    ]);
    // Each decrement follows that associated IRP's walk and precedes its free by the I/O manager.
    parts.forEach((id, i) => {
      const walked = firstOf(r.events, 'IrpCompleted', (e) => e.irp === id);
      const freed = firstOf(r.events, 'IrpFreed', (e) => e.irp === id);
      expect(freed.api).toBe('IoManager');
      expect(walked.seq).toBeLessThan(counts[i + 1]!.seq);
      expect(counts[i + 1]!.seq).toBeLessThan(freed.seq);
    });
    const masterCompletion = ofKind(r.events, 'IrpCompletionRequested', (e) => e.irp === master);
    expect(masterCompletion).toHaveLength(1);
    const lastFree = firstOf(r.events, 'IrpFreed', (e) => e.irp === parts[2]);
    expect(masterCompletion[0]!.seq).toBeGreaterThan(lastFree.seq);
    // Nothing else happens in between: decrement, free, complete.
    expect(r.events.slice(counts[3]!.seq, masterCompletion[0]!.seq + 1).map((e) => e.kind)).toEqual(['MasterIrpCountChanged', 'IrpFreed', 'IrpCompletionRequested']);
    // The master is not completed after the earlier associated completions.
    expect(masterCompletion[0]!.seq).toBeGreaterThan(counts[2]!.seq);
    const done = firstOf(r.events, 'RequestCompleted', (e) => e.irp === master);
    expect([done.status, done.result]).toEqual([STATUS_SUCCESS, 1536]);
  });

  it('when a completion routine on an associated IRP returns STATUS_MORE_PROCESSING_REQUIRED the master is not decremented; the routine must complete it (k:creating-irps-for-lower-level-drivers; ddi:nf-ntddk-iomakeassociatedirp)', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([
      ['b', completeBottom],
      ['t', splitInto(1, seen, (k, master) => async function AssocComplete(_DeviceObject, Irp) {
        await k.IoFreeIrp(Irp);
        master.IoStatus.Status = STATUS_SUCCESS;
        await k.IoCompleteRequest(master, IO_NO_INCREMENT);
        return STATUS_MORE_PROCESSING_REQUIRED;
      })],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const master = seen.master as number;
    const part = (seen.parts as number[])[0]!;
    expect(ofKind(r.events, 'MasterIrpCountChanged').map((e) => e.api)).toEqual(['Set']);
    expect(ofKind(r.events, 'IrpCompleted', (e) => e.irp === part)).toHaveLength(0);
    expect(firstOf(r.events, 'IrpFreed', (e) => e.irp === part).api).toBe('IoFreeIrp');
    const routine = activationNamed(r.events, 'AssocComplete');
    const masterCompletion = firstOf(r.events, 'IrpCompletionRequested', (e) => e.irp === master);
    expect(masterCompletion.activation).toBe(routine.entered.seq);
    expect(firstOf(r.events, 'RequestCompleted', (e) => e.irp === master).status).toBe(STATUS_SUCCESS);
  });

  it('"the I/O manager does not complete the master IRP if the driver returns STATUS_MORE_PROCESSING_REQUIRED": a routine that does not complete it leaves the request hanging (k:creating-irps-for-lower-level-drivers)', async () => {
    const seen: Record<string, unknown> = {};
    let sim: Simulation | null = null;
    const r = await runScenario(readStack([
      ['b', completeBottom],
      ['t', splitInto(2, seen, (k) => async function AssocFreeOnly(_DeviceObject, Irp) {
        await k.IoFreeIrp(Irp);
        return STATUS_MORE_PROCESSING_REQUIRED;
      })],
    ]), { cpus: 1 }, (s) => { sim = s; });
    const master = seen.master as number;
    expect(r.summary.endReason).toBe('stalled');
    expect(ofKind(r.events, 'IrpCompletionRequested', (e) => e.irp === master)).toHaveLength(0);
    expect(ofKind(r.events, 'RequestCompleted')).toHaveLength(0);
    expect(ofKind(r.events, 'MasterIrpCountChanged').map((e) => [e.api, e.result])).toEqual([['Set', 2]]);
    const live = sim!.snapshot().irps.get(master as never);
    expect(live?.irpCount).toBe(2);
    expect(live?.phase).toBe('dispatched');
  });
});

describe('IoBuildDeviceIoControlRequest', () => {
  it('buffers by the control code\'s transfer type: METHOD_BUFFERED with a length, or a direct method with an input buffer, gets IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER (and IRP_INPUT_OPERATION for METHOD_BUFFERED with an output buffer); METHOD_NEITHER never (ROS:irp.c#IoBuildDeviceIoControlRequest; ddi:nf-wdm-iobuilddeviceiocontrolrequest)', async () => {
    const ctl = (method: number): number => (0x22 << 16) | (0x800 << 2) | method;
    const builds: [code: number, input: unknown, inLength: number, output: unknown, outLength: number][] = [
      [ctl(METHOD_BUFFERED), {}, 16, {}, 64],
      [ctl(METHOD_BUFFERED), {}, 16, null, 0],
      [ctl(METHOD_BUFFERED), null, 0, null, 0],
      [ctl(METHOD_OUT_DIRECT), {}, 16, {}, 64],
      [ctl(METHOD_IN_DIRECT), null, 0, {}, 64],
      [ctl(METHOD_NEITHER), {}, 16, {}, 64],
    ];
    const ids: number[] = [];
    const r = await runDispatch(async (k, d, irp) => {
      const event = k.KEVENT('IoctlEvent');
      k.KeInitializeEvent(event, 'NotificationEvent', false);
      for (const [code, input, inLength, output, outLength] of builds) {
        const own = await k.IoBuildDeviceIoControlRequest(code, d.DeviceExtension.Lower, input, inLength, output, outLength, false, event, { Status: 0, Information: 0 });
        ids.push(own.id);
      }
      return finish(k, irp);
    });
    const flags = ids.map((id) => parseDetail<{ flags: number }>(firstOf(r.events, 'IrpAllocated', (e) => e.irp === id)).flags);
    const buffered = IRP_SYNCHRONOUS_API | IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
    expect(flags).toEqual([buffered | IRP_INPUT_OPERATION, buffered, IRP_SYNCHRONOUS_API, buffered, IRP_SYNCHRONOUS_API, IRP_SYNCHRONOUS_API]);
  });
});

describe('IoBuild*FsdRequest', () => {
  it('IoBuildAsynchronousFsdRequest sets up the next-lower location (major, length, offset) and leaves the caller none of its own (ddi:nf-wdm-iobuildasynchronousfsdrequest; k:creating-irps-for-lower-level-drivers)', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([
      ['b', completeBottom],
      ['t', async (k, d, irp) => {
        const lower = d.DeviceExtension.Lower;
        const own = (await k.IoBuildAsynchronousFsdRequest(IRP_MJ_READ, lower, null, 2048, 8192, null))!;
        const next = k.IoGetNextIrpStackLocation(own);
        seen.next = [next.MajorFunction, next.Parameters.Read.Length, next.Parameters.Read.ByteOffset];
        seen.cl = [own.CurrentLocation, own.StackCount];
        await k.IoFreeIrp(own);
        return finish(k, irp);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.next).toEqual([IRP_MJ_READ, 2048, 8192]);
    expect(seen.cl).toEqual([3, 2]);
    const alloc = firstOf(r.events, 'IrpAllocated', (e) => e.api === 'IoBuildAsynchronousFsdRequest');
    expect(alloc.major).toBe('IRP_MJ_READ');
  });

  it('an IoCompletion routine for an IoBuildAsynchronousFsdRequest IRP has no location of its own (DeviceObject NULL) and can set the next location up again and retry it (k:creating-irps-for-lower-level-drivers)', async () => {
    let attempts = 0;
    const seen: unknown[] = [];
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => finish(k, irp, ++attempts === 1 ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS)],
      ['t', async (k, d, irp) => {
        const lower = d.DeviceExtension.Lower;
        const own = (await k.IoBuildAsynchronousFsdRequest(IRP_MJ_READ, lower, null, 512, 0, null))!;
        let status: NtStatus = STATUS_UNSUCCESSFUL;
        async function RetryComplete(DeviceObject: TestDevice | null, Irp: Irp): Promise<NtStatus> {
          seen.push(DeviceObject, Irp.CurrentLocation);
          status = Irp.IoStatus.Status;
          return STATUS_MORE_PROCESSING_REQUIRED;
        }
        for (let i = 0; i < 2 && status !== STATUS_SUCCESS; i++) {
          const next = k.IoGetNextIrpStackLocation(own);
          next.MajorFunction = IRP_MJ_READ;
          next.Parameters.Read.Length = 512;
          k.IoSetCompletionRoutine(own, RetryComplete, null, true, true, true);
          await k.IoCallDriver(lower, own);
        }
        await k.IoFreeIrp(own);
        return finish(k, irp, status);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(attempts).toBe(2);
    expect(seen).toEqual([null, 3, null, 3]);
    const own = firstOf(r.events, 'IrpAllocated', (e) => e.api === 'IoBuildAsynchronousFsdRequest').irp;
    expect(ofKind(r.events, 'IrpCalled', (e) => e.irp === own).map((e) => e.loc)).toEqual([2, 2]);
    expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_SUCCESS);
  });

  it('an IoBuildSynchronousFsdRequest IRP is queued to the calling thread, completed to the top, and then freed by the I/O manager, which fills the IOSB and sets the event the caller waits on (ddi:nf-wdm-iobuildsynchronousfsdrequest; ROS:irp.c#IopCompleteRequest)', async () => {
    const seen: Record<string, unknown> = {};
    const scenario = testScenario({
      stack: ['hw', 't'],
      drivers: (k) => {
        async function SyncReadDispatch(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
          const lower = DeviceObject.DeviceExtension.Lower;
          const event = k.KEVENT('SyncReadEvent');
          k.KeInitializeEvent(event, 'NotificationEvent', false);
          const iosb: IO_STATUS_BLOCK = { Status: 0xffffffff, Information: 0 };
          const own = (await k.IoBuildSynchronousFsdRequest(IRP_MJ_READ, lower, null, 1024, 0, event, iosb))!;
          seen.own = own.id;
          seen.threadQueued = own.Tail.Overlay.Thread !== null;
          const status = await k.IoCallDriver(lower, own);
          seen.status = status;
          if (status === STATUS_PENDING) await k.KeWaitForSingleObject(event, 'Executive', 'KernelMode', false, null);
          seen.iosb = { ...iosb };
          return finish(k, Irp, iosb.Status);
        }
        return [hardwareDriver(k, 'hw'), testDriver(k, 't', { dispatch: { [IRP_MJ_READ]: SyncReadDispatch } })];
      },
    });
    const r = await runScenario(scenario, { cpus: 2, seed: 2 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.threadQueued).toBe(true);
    expect(seen.status).toBe(STATUS_PENDING);
    expect(seen.iosb).toEqual({ Status: STATUS_SUCCESS, Information: 1024 });
    const own = seen.own as number;
    expect(firstOf(r.events, 'IrpAllocated', (e) => e.irp === own).api).toBe('IoBuildSynchronousFsdRequest');
    const completed = firstOf(r.events, 'IrpCompleted', (e) => e.irp === own);
    const freed = ofKind(r.events, 'IrpFreed', (e) => e.irp === own);
    expect(freed.map((e) => e.api)).toEqual(['IoManager']);
    const signaled = firstOf(r.events, 'EventSignaled', (e) => parseDetail<{ object: string }>(e).object === 'SyncReadEvent');
    const waitEnded = firstOf(r.events, 'WaitEnded', (e) => parseDetail<{ object: string }>(e).object === 'SyncReadEvent');
    const waitStarted = firstOf(r.events, 'WaitStarted', (e) => parseDetail<{ object: string }>(e).object === 'SyncReadEvent');
    expect(completed.seq).toBeLessThan(signaled.seq);
    expect(signaled.seq).toBeLessThan(freed[0]!.seq);
    expect(freed[0]!.seq).toBeLessThan(waitEnded.seq);
    expect(waitStarted.seq).toBeLessThan(completed.seq);
    // The IOSB/event work runs in the waiting thread (the completion APC), not in the DPC that completed it.
    expect(signaled.thread).toBe(waitStarted.thread);
    expect(ofKind(r.events, 'RequestCompleted', (e) => e.irp === own)).toHaveLength(0);
  });
});

describe('reusing IRPs (k:reusing-irps; ddi:nf-wdm-ioreuseirp)', () => {
  it('IoReuseIrp reinitialises an IoAllocateIrp IRP as IoInitializeIrp leaves a new one — CurrentLocation StackCount+1, the locations and completion routines cleared — with IoStatus.Status = Iostatus (ddi:nf-wdm-ioreuseirp; ROS:irp.c#IoReuseIrp)', async () => {
    const seen: Record<string, unknown> = {};
    let attempts = 0;
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => finish(k, irp, ++attempts === 1 ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS)],
      ['t', async (k, d, irp) => {
        const lower = d.DeviceExtension.Lower;
        const own = await k.IoAllocateIrp(lower.StackSize, false);
        seen.stackCount = own.StackCount;
        async function OwnComplete(): Promise<NtStatus> { return STATUS_MORE_PROCESSING_REQUIRED; }
        const send = async (): Promise<void> => {
          const next = k.IoGetNextIrpStackLocation(own);
          next.MajorFunction = IRP_MJ_READ;
          next.Parameters.Read.Length = 512;
          k.IoSetCompletionRoutine(own, OwnComplete, null, true, true, true);
          await k.IoCallDriver(lower, own);
        };
        await send();
        seen.before = { location: own.CurrentLocation, status: own.IoStatus.Status, routine: k.IoGetNextIrpStackLocation(own).CompletionRoutine !== null };
        // A pointer to the location taken before the reuse points at the same, zeroed, memory afterwards (as in C).
        const held = k.IoGetNextIrpStackLocation(own);
        held.Parameters.Read.Length = 512;
        // The completion routine returned STATUS_MORE_PROCESSING_REQUIRED: the IRP is the driver's again.
        await k.IoReuseIrp(own, STATUS_PENDING);
        seen.held = [held.MajorFunction, held.Parameters.Read.Length, held.CompletionRoutine];
        const next = k.IoGetNextIrpStackLocation(own);
        seen.after = {
          location: own.CurrentLocation, status: own.IoStatus.Status, information: own.IoStatus.Information,
          major: next.MajorFunction, length: next.Parameters.Read.Length, routine: next.CompletionRoutine, pending: own.PendingReturned,
        };
        await send();
        seen.second = own.IoStatus.Status;
        await k.IoFreeIrp(own);
        return finish(k, irp, STATUS_SUCCESS);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    // OwnComplete ran at the top (CurrentLocation = StackCount + 1) and its location was cleared by the walk.
    const top = (seen.stackCount as number) + 1;
    expect(seen.before).toEqual({ location: top, status: STATUS_UNSUCCESSFUL, routine: false });
    expect(seen.after).toEqual({ location: top, status: STATUS_PENDING, information: 0, major: 0, length: 0, routine: null, pending: false });
    expect(seen.held).toEqual([0, 0, null]);
    expect(seen.second).toBe(STATUS_SUCCESS);
    const own = firstOf(r.events, 'IrpAllocated', (e) => e.api === 'IoAllocateIrp').irp;
    const reused = ofKind(r.events, 'IrpReused', (e) => e.irp === own);
    expect(reused.map((e) => [e.loc, e.status, e.api, e.routine])).toEqual([[top, STATUS_PENDING, 'IoReuseIrp', 'TDispatchRead']]);
    const calls = ofKind(r.events, 'IrpCalled', (e) => e.irp === own);
    expect(calls.map((e) => e.loc)).toEqual([top - 1, top - 1]);
    expect(calls[0]!.seq).toBeLessThan(reused[0]!.seq);
    expect(reused[0]!.seq).toBeLessThan(calls[1]!.seq);
  });

  it('IoReuseIrp zeroes what IoMakeAssociatedIrp set up (MasterIrp, IRP_ASSOCIATED_IRP, the thread): the reason the docs forbid it on associated IRPs (ddi:nf-wdm-ioreuseirp; ROS:irp.c#IoInitializeIrp)', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([
      ['b', completeBottom],
      ['t', async (k, d, irp) => {
        const part = await k.IoMakeAssociatedIrp(irp, d.DeviceExtension.Lower.StackSize);
        seen.before = [part.AssociatedIrp.MasterIrp === irp, (part.Flags & IRP_ASSOCIATED_IRP) !== 0, part.Tail.Overlay.Thread !== null];
        await k.IoReuseIrp(part, STATUS_SUCCESS);
        seen.after = [part.AssociatedIrp.MasterIrp, part.Flags, part.Tail.Overlay.Thread];
        await k.IoFreeIrp(part);
        return finish(k, irp, STATUS_SUCCESS);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.before).toEqual([true, true, true]);
    expect(seen.after).toEqual([null, 0, null]);
  });

  it('IoReuseIrp on a freed IRP does not bring it back: the write to freed pool is recorded (IrpAccessed), and no IrpReused (windows-semantics §3.10: Freed → any operation is UseAfterRelease)', async () => {
    const r = await runScenario(readStack([
      ['t', async (k, _d, irp) => {
        const own = await k.IoAllocateIrp(1, false);
        await k.IoFreeIrp(own);
        await k.IoReuseIrp(own, STATUS_SUCCESS);
        return finish(k, irp, STATUS_SUCCESS);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(ofKind(r.events, 'IrpReused')).toHaveLength(0);
    const own = firstOf(r.events, 'IrpAllocated', (e) => e.api === 'IoAllocateIrp').irp;
    expect(ofKind(r.events, 'IrpAccessed', (e) => e.irp === own).map((e) => e.api)).toEqual(['IoReuseIrp']);
  });
});
