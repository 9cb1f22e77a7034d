/**
 * IRP stack-location arithmetic (windows-semantics §3.2, §3.4; ROS:sdk/include/xdk/iofuncs.h,
 * ROS:irp.c#IofCallDriver) and IoCallDriver's basics.
 */
import { describe, expect, it } from 'vitest';
import {
  IRP_MJ_READ, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS,
  type IO_STACK_LOCATION, type Irp, type Kernel, type NtStatus, type PIO_COMPLETION_ROUTINE,
} from '../../model/index.js';
import {
  activationNamed, finish, firstOf, ofKind, parseDetail, readStack, runDispatch, runScenario, type TestDevice,
} from './helpers.js';

const completeBottom = async (k: Kernel, _d: TestDevice, irp: Irp): Promise<NtStatus> => finish(k, irp, STATUS_SUCCESS);

describe('stack locations', () => {
  it('IoAllocateIrp gives StackSize zeroed locations and CurrentLocation = StackSize + 1, with no thread (ROS:irp.c#IoInitializeIrp; ddi:nf-wdm-ioallocateirp; k:creating-irps-for-lower-level-drivers "zero-initialized")', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runDispatch(async (k, _d, irp) => {
      const own = await k.IoAllocateIrp(3, false);
      seen.cl = own.CurrentLocation;
      seen.stackCount = own.StackCount;
      seen.thread = own.Tail.Overlay.Thread;
      seen.locations = own.stack.slice(0, 3).map((l: IO_STACK_LOCATION) => [l.MajorFunction, l.MinorFunction, l.Control, l.CompletionRoutine, l.Context, l.DeviceObject, l.Parameters.Read.Length]);
      seen.id = own.id;
      await k.IoFreeIrp(own);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.cl).toBe(4);
    expect(seen.stackCount).toBe(3);
    expect(seen.thread).toBeNull();
    expect(seen.locations).toEqual(Array.from({ length: 3 }, () => [0, 0, 0, null, null, null, 0]));
    const alloc = firstOf(r.events, 'IrpAllocated', (e) => e.irp === seen.id);
    expect(alloc.api).toBe('IoAllocateIrp');
    expect(alloc.loc).toBe(4);
    expect(parseDetail<{ stackCount: number }>(alloc).stackCount).toBe(3);
    expect(alloc.routine).toBe('TestDispatchRead');
    expect(firstOf(r.events, 'IrpFreed', (e) => e.irp === seen.id).api).toBe('IoFreeIrp');
  });

  it('the I/O manager\'s IRP has StackCount = the top device\'s StackSize and reaches the top driver at location StackCount (ROS:irp.c#IofCallDriver; k:i-o-stack-locations)', async () => {
    const seen: number[] = [];
    const r = await runScenario(readStack([
      ['b', completeBottom],
      ['t', async (k, d, irp) => { seen.push(irp.CurrentLocation, irp.StackCount, d.StackSize); k.IoSkipCurrentIrpStackLocation(irp); return k.IoCallDriver(d.DeviceExtension.Lower, irp); }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    // t over b over the PDO: StackSize 3.
    expect(seen).toEqual([3, 3, 3]);
    const issued = firstOf(r.events, 'RequestIssued');
    expect(issued.loc).toBe(4);
    expect(firstOf(r.events, 'IrpCalled', (e) => e.irp === issued.irp).loc).toBe(3);
  });

  it('IoCallDriver decrements CurrentLocation: the lower driver\'s current location is the caller\'s next location, and gets its DeviceObject (ROS:irp.c#IofCallDriver; ROS:iofuncs.h IoGetNextIrpStackLocation)', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([
      ['b', async (k, d, irp) => {
        seen.bCl = irp.CurrentLocation;
        const current = k.IoGetCurrentIrpStackLocation(irp);
        seen.same = current === seen.next;
        seen.deviceObject = current.DeviceObject === d;
        seen.length = current.Parameters.Read.Length;
        return finish(k, irp);
      }],
      ['t', async (k, d, irp) => {
        seen.tCl = irp.CurrentLocation;
        k.IoCopyCurrentIrpStackLocationToNext(irp);
        const next = k.IoGetNextIrpStackLocation(irp);
        next.Parameters.Read.Length = 777;
        seen.next = next;
        return k.IoCallDriver(d.DeviceExtension.Lower, irp);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.tCl).toBe(3);
    expect(seen.bCl).toBe(2);
    expect(seen.same).toBe(true);
    expect(seen.deviceObject).toBe(true);
    expect(seen.length).toBe(777);
    const calledB = firstOf(r.events, 'IrpCalled', (e) => e.device === 'dev0.b');
    expect(calledB.loc).toBe(2);
    expect(calledB.routine).toBe('TDispatchRead');
    expect(calledB.major).toBe('IRP_MJ_READ');
    expect(activationNamed(r.events, 'BDispatchRead').entered.loc).toBe(2);
  });

  it('IoCallDriver runs the lower dispatch synchronously at the caller\'s IRQL and thread, and returns what it returns (IrpCallReturned) (ddi:nf-wdm-iofcalldriver; ROS:irp.c#IofCallDriver)', async () => {
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => { await finish(k, irp, STATUS_SUCCESS); return 0x40000000 as NtStatus; }],
      ['t', async (k, d, irp) => {
        k.IoSkipCurrentIrpStackLocation(irp);
        const old = await k.KeRaiseIrql(1);
        const status = await k.IoCallDriver(d.DeviceExtension.Lower, irp);
        await k.KeLowerIrql(old);
        return status;
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const t = activationNamed(r.events, 'TDispatchRead');
    const b = activationNamed(r.events, 'BDispatchRead');
    expect(b.entered.seq).toBeGreaterThan(t.entered.seq);
    expect(b.returned!.seq).toBeLessThan(t.returned!.seq);
    expect(b.entered.irql).toBe(1);
    expect(b.entered.thread).toBe(t.entered.thread);
    expect(b.returned!.status).toBe(0x40000000);
    const ret = ofKind(r.events, 'IrpCallReturned', (e) => e.activation === t.entered.seq);
    expect(ret.map((e) => e.status)).toEqual([0x40000000]);
    expect(t.returned!.status).toBe(0x40000000);
  });

  it('IoSkipCurrentIrpStackLocation increments CurrentLocation so the lower driver reuses the caller\'s location (ROS:iofuncs.h; ddi:nf-wdm-ioskipcurrentirpstacklocation)', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([
      ['b', async (k, _d, irp) => {
        seen.bCl = irp.CurrentLocation;
        seen.same = k.IoGetCurrentIrpStackLocation(irp) === seen.mine;
        return finish(k, irp);
      }],
      ['t', async (k, d, irp) => {
        seen.mine = k.IoGetCurrentIrpStackLocation(irp);
        k.IoSkipCurrentIrpStackLocation(irp);
        seen.afterSkip = irp.CurrentLocation;
        return k.IoCallDriver(d.DeviceExtension.Lower, irp);
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.afterSkip).toBe(4);
    expect(seen.bCl).toBe(3);
    expect(seen.same).toBe(true);
    const skip = firstOf(r.events, 'IrpStackLocationChanged');
    expect([skip.api, skip.loc]).toEqual(['IoSkipCurrentIrpStackLocation', 4]);
    expect(firstOf(r.events, 'IrpCalled', (e) => e.device === 'dev0.b').loc).toBe(3);
  });

  it('IoCopyCurrentIrpStackLocationToNext copies the location up to (not including) CompletionRoutine and clears the next Control (ROS:iofuncs.h IoCopyCurrentIrpStackLocationToNext)', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runDispatch(async (k, _d, irp) => {
      const current = k.IoGetCurrentIrpStackLocation(irp);
      current.MinorFunction = 3;
      current.Parameters.Read.ByteOffset = 4096;
      const next = k.IoGetNextIrpStackLocation(irp);
      async function Leftover(): Promise<NtStatus> { return STATUS_SUCCESS; }
      next.Control = 0xe1;
      next.CompletionRoutine = Leftover;
      next.Context = 'ctx';
      const clBefore = irp.CurrentLocation;
      k.IoCopyCurrentIrpStackLocationToNext(irp);
      seen.cl = [clBefore, irp.CurrentLocation];
      seen.next = [next.MajorFunction, next.MinorFunction, next.Parameters.Read.Length, next.Parameters.Read.ByteOffset, next.Control];
      seen.current = [current.MajorFunction, current.MinorFunction, current.Parameters.Read.Length, current.Parameters.Read.ByteOffset];
      seen.keptRoutine = next.CompletionRoutine === Leftover && next.Context === 'ctx';
      // A copy, not an alias: changing the next location's parameters leaves ours alone.
      next.Parameters.Read.Length = 1;
      seen.independent = current.Parameters.Read.Length === 4096;
      next.CompletionRoutine = null;
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.cl).toEqual([2, 2]);
    expect(seen.next).toEqual([IRP_MJ_READ, 3, 4096, 4096, 0]);
    expect(seen.current).toEqual([IRP_MJ_READ, 3, 4096, 4096]);
    expect(seen.keptRoutine).toBe(true);
    expect(seen.independent).toBe(true);
    const changed = firstOf(r.events, 'IrpStackLocationChanged');
    expect([changed.api, changed.loc]).toEqual(['IoCopyCurrentIrpStackLocationToNext', 2]);
  });

  it('IoSetCompletionRoutine registers the routine in the next location and overwrites its Control with the InvokeOn* bits (ROS:iofuncs.h; ddi:nf-wdm-iosetcompletionroutine)', async () => {
    const seen: number[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const next = k.IoGetNextIrpStackLocation(irp);
      next.Control = 0x01; // a stale pending bit
      async function Cr(): Promise<NtStatus> { return STATUS_SUCCESS; }
      k.IoSetCompletionRoutine(irp, Cr, null, true, false, true);
      seen.push(next.Control);
      next.CompletionRoutine = null;
      next.Control = 0;
      return finish(k, irp);
    });
    expect(seen).toEqual([0x40 | 0x20]);
    const set = firstOf(r.events, 'CompletionRoutineSet');
    expect(parseDetail(set)).toEqual({ routine: 'Cr', onSuccess: true, onError: false, onCancel: true, at: 1 });
    expect(set.loc).toBe(2);
  });

  it('IoSetNextIrpStackLocation decrements CurrentLocation, giving the allocator a location of its own for completion context (ROS:iofuncs.h; k:creating-irps-for-lower-level-drivers "must call IoSetNextIrpStackLocation before it calls IoGetCurrentIrpStackLocation")', async () => {
    const seen: Record<string, unknown> = {};
    const r = await runScenario(readStack([
      ['b', completeBottom],
      ['t', async (k, d, irp) => {
        const lower = d.DeviceExtension.Lower;
        const own = await k.IoAllocateIrp(lower.StackSize + 1, false);
        seen.allocCl = own.CurrentLocation;
        k.IoSetNextIrpStackLocation(own);
        seen.setCl = own.CurrentLocation;
        const mine = k.IoGetCurrentIrpStackLocation(own);
        mine.Parameters.Read.Length = 4242; // per-request context
        k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
        const Original = irp;
        async function OwnComplete(DeviceObject: TestDevice | null, Irp: Irp): Promise<NtStatus> {
          seen.context = k.IoGetCurrentIrpStackLocation(Irp).Parameters.Read.Length;
          seen.routineCl = Irp.CurrentLocation;
          seen.deviceObject = DeviceObject;
          await k.IoFreeIrp(Irp);
          await finish(k, Original);
          return STATUS_MORE_PROCESSING_REQUIRED;
        }
        k.IoSetCompletionRoutine(own, OwnComplete as PIO_COMPLETION_ROUTINE, null, true, true, true);
        k.IoMarkIrpPending(irp);
        await k.IoCallDriver(lower, own);
        return STATUS_PENDING;
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    // b's StackSize is 2: the IRP has 3 locations, the third ours.
    expect(seen.allocCl).toBe(4);
    expect(seen.setCl).toBe(3);
    expect(seen.context).toBe(4242);
    expect(seen.routineCl).toBe(3);
    expect(seen.deviceObject).toBeNull(); // our own location's DeviceObject, never set
    const set = firstOf(r.events, 'IrpStackLocationChanged');
    expect([set.api, set.loc]).toEqual(['IoSetNextIrpStackLocation', 3]);
  });

  it('IoCallDriver with no stack location left bug-checks NO_MORE_IRP_STACK_LOCATIONS (0x35) (ROS:irp.c#IofCallDriver; windows-semantics §4 rule 28)', async () => {
    const r = await runScenario(readStack([
      ['b', async (k, d, irp) => {
        k.IoCopyCurrentIrpStackLocationToNext(irp);
        return k.IoCallDriver(d.DeviceExtension.Lower, irp); // to the PDO: no location left
      }],
      ['t', async (k, d, irp) => {
        const lower = d.DeviceExtension.Lower;
        const own = await k.IoAllocateIrp(lower.StackSize - 1, false); // one too few
        k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
        async function OwnComplete(): Promise<NtStatus> { return STATUS_MORE_PROCESSING_REQUIRED; }
        k.IoSetCompletionRoutine(own, OwnComplete, null, true, true, true);
        k.IoMarkIrpPending(irp);
        await k.IoCallDriver(lower, own);
        return STATUS_PENDING;
      }],
    ]), { cpus: 1 });
    expect(r.summary.endReason).toBe('bugcheck');
    expect(r.summary.bugcheck?.name).toBe('NO_MORE_IRP_STACK_LOCATIONS');
    expect(r.summary.bugcheck?.code).toBe(0x35);
    const bug = firstOf(r.events, 'Bugcheck');
    expect(bug.status).toBe(0x35);
    expect(bug.routine).toBe('BDispatchRead');
    // The call to the PDO never happened.
    expect(ofKind(r.events, 'IrpCalled', (e) => e.device === 'dev0')).toHaveLength(0);
  });

  it('an unregistered major function reaches the I/O manager\'s IopInvalidDeviceRequest, which fails it with STATUS_INVALID_DEVICE_REQUEST (k:writing-irp-dispatch-routines; ROS:driver.c IopInvalidDeviceRequest)', async () => {
    const r = await runScenario(readStack([['b', completeBottom]], { requests: [{ major: 'write', length: 512 }] }), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const dispatch = firstOf(r.events, 'RoutineReturned', (e) => e.api === 'Dispatch');
    expect(dispatch.routine).toBe('IopInvalidDeviceRequest');
    expect(dispatch.status).toBe(0xc0000010);
    expect(firstOf(r.events, 'RequestCompleted').status).toBe(0xc0000010);
  });
});
