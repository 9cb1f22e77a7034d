// Every rule of the pack fires, on exactly the planted events, in a scenario built to break it; the
// rules the built-in buggy scenarios plant are tested in builtin.int.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import {
  APC_LEVEL, DISPATCH_LEVEL, IO_NO_INCREMENT, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, PASSIVE_LEVEL,
  STATUS_CANCELLED, STATUS_CONTINUE_COMPLETION, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS, STATUS_UNSUCCESSFUL,
  type DeviceObject, type Irp, type Kernel, type NtStatus, type RunConfig, type ScenarioDefinition,
} from '../../model/index.js';
import { BUILTIN_SCENARIOS } from '../../scenarios/index.js';
import { loadRules } from '../../queries/index.js';
import { finish, readStack, testDriver, testScenario, type TestDevice } from '../model/helpers.js';
import { cleanTraces, hwDriver, lowerOf, traceOf } from './helpers.js';

afterAll(cleanTraces);

interface Case {
  readonly scenario: ScenarioDefinition;
  readonly config?: Partial<RunConfig>;
  /** The planted events, said with plain SQL over `events`. */
  readonly planted: string;
}

type Body = (k: Kernel, DeviceObject: TestDevice, Irp: Irp) => Promise<NtStatus>;

/** One driver `t`: its READ dispatch routine (TDispatchRead) is `body`. */
const one = (body: Body, extra: Parameters<typeof readStack>[1] = {}): ScenarioDefinition => readStack([['t', body]], extra);

/** `f` (FDispatchRead) over `t` (TDispatchRead). */
const two = (top: Body, bottom: Body): ScenarioDefinition => readStack([['t', bottom], ['f', top]]);

/** `f` (FDispatchRead) over the interrupt-driven `t` of helpers.ts (HwDispatch, HwIsr, HwDpcForIsr). */
function overHardware(top: Body, hw: Parameters<typeof hwDriver>[2] = {}, requests = 1): ScenarioDefinition {
  return testScenario({
    stack: ['t', 'f'],
    requests: Array.from({ length: requests }, () => ({ major: 'read' as const, length: 4096 })),
    requesters: requests,
    drivers: (k) => {
      const FDispatchRead = async (DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> => top(k, DeviceObject, Irp);
      return [hwDriver(k, 't', hw), testDriver(k, 'f', { dispatch: { [IRP_MJ_READ]: FDispatchRead } })];
    },
  });
}

/** Sends the IRP down in an IRP of its own (IoAllocateIrp) with `completion` on every outcome, as a highest-level driver does. */
async function forwardInOwnIrp(k: Kernel, DeviceObject: TestDevice, Irp: Irp,
  completion: (DeviceObject: DeviceObject | null, Own: Irp, Original: Irp) => Promise<NtStatus>, options: { setCompletion?: boolean } = {}): Promise<NtStatus> {
  const lower = lowerOf(DeviceObject);
  const own = await k.IoAllocateIrp(lower.StackSize, false);
  k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
  k.IoGetNextIrpStackLocation(own).Parameters.Read.Length = 512;
  if (options.setCompletion !== false) k.IoSetCompletionRoutine(own, completion, Irp, true, true, true);
  k.IoMarkIrpPending(Irp);
  await k.IoCallDriver(lower, own);
  return STATUS_PENDING;
}

const completeNow: Body = async (k, _d, Irp) => finish(k, Irp);

const ev = (where: string): string => `SELECT seq FROM events WHERE ${where}`;

const CASES: Readonly<Record<string, Case>> = {
  AllocatedIrpNotFreedOnReturn: {
    scenario: two((k, d, Irp) => forwardInOwnIrp(k, d, Irp, async function FComplete(_d, _own, Original) {
      await k.IoCompleteRequest(Original, IO_NO_INCREMENT);
      return STATUS_MORE_PROCESSING_REQUIRED; // never frees its IRP
    }), completeNow),
    planted: ev("kind = 'RoutineReturned' AND routine = 'FComplete'"),
  },
  DpcInsertCoalesced: {
    scenario: coalescingDpc(),
    planted: ev("kind = 'DpcQueued' AND result = 0"),
  },
  DpcCoalescedIrpLost: {
    scenario: coalescingDpc(),
    planted: ev("kind = 'DpcQueued' AND result = 0 AND irp = (SELECT max(irp) FROM events WHERE kind = 'IrpAllocated')"),
  },
  IsrTooLong: {
    scenario: overHardware(passDown, {
      isr: async (k, _i, DeviceObject) => {
        await k.KeStallExecutionProcessor(40);
        await k.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, null);
        return true;
      },
    }),
    planted: ev("kind = 'RoutineEntered' AND routine = 'HwIsr'"),
  },
  DpcTooLong: {
    scenario: overHardware(passDown, {
      dpcForIsr: async (k, _dpc, DeviceObject, Irp) => {
        await k.KeStallExecutionProcessor(150);
        await k.IoStartNextPacket(DeviceObject, false);
        await finish(k, Irp);
      },
    }),
    planted: ev("kind = 'RoutineEntered' AND routine = 'HwDpcForIsr'"),
  },
  IsrStateAfterRequestDpc: {
    scenario: overHardware(passDown, {
      isr: async (k, _i, DeviceObject) => {
        await k.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, null);
        await k.WRITE_REGISTER_ULONG(DeviceObject.DeviceExtension.Registers!.Status, 0);
        return true;
      },
    }),
    planted: `SELECT w.seq FROM events w WHERE w.kind = 'RegisterWritten' AND w.routine = 'HwIsr'
              AND w.seq > (SELECT d.seq FROM events d WHERE d.kind = 'DpcQueued' AND d.activation = w.activation)`,
  },
  RaiseToLowerIrql: {
    scenario: one(async (k, _d, Irp) => {
      await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeRaiseIrql(APC_LEVEL);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'Bugcheck'"),
  },
  LowerToHigherIrql: {
    scenario: one(async (k, _d, Irp) => {
      await k.KeLowerIrql(DISPATCH_LEVEL);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'Bugcheck'"),
  },
  UnpairedRaiseLower: {
    scenario: one(async (k, _d, Irp) => {
      await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeLowerIrql(APC_LEVEL);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'Bugcheck'"),
  },
  SpinLockReleaseMismatch: {
    scenario: one(async (k, _d, Irp) => {
      const lock = k.KeInitializeSpinLock('t.Lock');
      await k.KeAcquireSpinLock(lock);
      await k.KeReleaseSpinLock(lock, APC_LEVEL);
      // KeAcquireSpinLockForDpc below DISPATCH_LEVEL raises like KeAcquireSpinLock: a release with
      // the IRQL it returned is right, one with another value is the same bug (ddi:nf-wdm-kereleasespinlockfordpc).
      const right = await k.KeAcquireSpinLockForDpc(lock);
      await k.KeReleaseSpinLockForDpc(lock, right);
      await k.KeAcquireSpinLockForDpc(lock);
      await k.KeReleaseSpinLockForDpc(lock, PASSIVE_LEVEL);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'IrqlLowered' AND (api = 'KeReleaseSpinLock' OR (api = 'KeReleaseSpinLockForDpc' AND new_irql = 0))"),
  },
  SpinLockRecursiveAcquire: {
    scenario: one(async (k, _d, Irp) => {
      const lock = k.KeInitializeSpinLock('t.Lock');
      await k.KeAcquireSpinLock(lock);
      await k.KeAcquireSpinLockAtDpcLevel(lock);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'Bugcheck'"),
  },
  SpinLockApiWrongIrql: {
    scenario: one(async (k, _d, Irp) => {
      const lock = k.KeInitializeSpinLock('t.Lock');
      await k.KeAcquireSpinLockAtDpcLevel(lock);
      await k.KeReleaseSpinLockFromDpcLevel(lock);
      // KeAcquireSpinLockForDpc at DISPATCH_LEVEL takes the lock without raising: not a finding.
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeReleaseSpinLockForDpc(lock, await k.KeAcquireSpinLockForDpc(lock));
      await k.KeLowerIrql(old);
      // Above DISPATCH_LEVEL it is, as KeAcquireSpinLock's: the machine stops.
      await k.KeRaiseIrql(5);
      await k.KeAcquireSpinLockForDpc(lock);
      return finish(k, Irp);
    }),
    planted: ev("(kind = 'SpinLockAcquired' AND api = 'KeAcquireSpinLockAtDpcLevel') OR kind = 'Bugcheck'"),
  },
  WaitAtDispatchOrAbove: {
    scenario: one(async (k, _d, Irp) => {
      const event = k.KEVENT('t.Event');
      k.KeInitializeEvent(event, 'NotificationEvent', false);
      await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeWaitForSingleObject(event);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'Bugcheck'"),
  },
  SpinLockHeldAtReturn: {
    scenario: one(async (k, _d, Irp) => {
      const lock = k.KeInitializeSpinLock('t.Lock');
      await finish(k, Irp);
      await k.KeRaiseIrqlToDpcLevel();
      await k.KeAcquireSpinLockAtDpcLevel(lock);
      await k.KeLowerIrql(PASSIVE_LEVEL);
      return STATUS_SUCCESS;
    }),
    planted: ev("kind = 'RoutineReturned' AND routine = 'TDispatchRead'"),
  },
  CompleteWithPendingStatus: {
    scenario: one(async (k, _d, Irp) => {
      await finish(k, Irp, STATUS_PENDING);
      return STATUS_SUCCESS;
    }),
    planted: ev("kind = 'IrpCompletionRequested'"),
  },
  CompleteWithCancelRoutineSet: {
    scenario: one(async (k, _d, Irp) => {
      k.IoSetCancelRoutine(Irp, async function TCancel() {});
      return finish(k, Irp);
    }),
    planted: ev("kind = 'IrpCompletionRequested'"),
  },
  CompleteAtBadIrqlOrUnderLock: {
    scenario: one(async (k, _d, Irp) => {
      const lock = k.KeInitializeSpinLock('t.Lock');
      const old = await k.KeAcquireSpinLock(lock);
      Irp.IoStatus.Status = STATUS_SUCCESS;
      await k.IoCompleteRequest(Irp, IO_NO_INCREMENT);
      await k.KeReleaseSpinLock(lock, old);
      return STATUS_SUCCESS;
    }),
    planted: ev("kind = 'IrpCompletionRequested'"),
  },
  PendedCompletedRequest: {
    scenario: one(async (k, _d, Irp) => {
      await finish(k, Irp);
      return STATUS_PENDING;
    }),
    planted: ev("kind = 'RoutineReturned' AND routine = 'TDispatchRead'"),
  },
  DispatchLeftIrpDangling: {
    scenario: one(async () => STATUS_SUCCESS),
    planted: ev("kind = 'RoutineReturned' AND routine = 'TDispatchRead'"),
  },
  ReturnStatusMismatch: {
    scenario: one(async (k, _d, Irp) => {
      await finish(k, Irp, STATUS_SUCCESS);
      return STATUS_UNSUCCESSFUL;
    }),
    planted: ev("kind = 'RoutineReturned' AND routine = 'TDispatchRead'"),
  },
  PendingReturnedNotPropagated: {
    scenario: overHardware(async (k, DeviceObject, Irp) => {
      k.IoCopyCurrentIrpStackLocationToNext(Irp);
      k.IoSetCompletionRoutine(Irp, async function FComplete() {
        return STATUS_CONTINUE_COMPLETION; // no `if (Irp->PendingReturned) IoMarkIrpPending(Irp)`
      }, null, true, true, true);
      return k.IoCallDriver(lowerOf(DeviceObject), Irp);
    }),
    planted: ev("kind = 'RoutineReturned' AND routine = 'FComplete'"),
  },
  MarkPendingWithoutOwnLocation: {
    scenario: two((k, d, Irp) => forwardInOwnIrp(k, d, Irp, async function FComplete(_d, Own, Original) {
      k.IoMarkIrpPending(Own);
      await k.IoFreeIrp(Own);
      await k.IoCompleteRequest(Original, IO_NO_INCREMENT);
      return STATUS_MORE_PROCESSING_REQUIRED;
    }), completeNow),
    planted: ev("kind = 'IrpMarkedPending' AND routine = 'FComplete'"),
  },
  StackLocationOutsideIrp: {
    // Context set up in "its own" location of an IRP it allocated, without IoSetNextIrpStackLocation.
    scenario: two(async (k, d, Irp) => {
      const lower = lowerOf(d);
      const own = await k.IoAllocateIrp(lower.StackSize, false);
      k.IoGetCurrentIrpStackLocation(own).Context = Irp;
      k.IoGetNextIrpStackLocation(own).MajorFunction = IRP_MJ_READ;
      k.IoSetCompletionRoutine(own, async function FOwnDone(_d, Own) {
        await k.IoFreeIrp(Own);
        return STATUS_MORE_PROCESSING_REQUIRED;
      }, null, true, true, true);
      await k.IoCallDriver(lower, own);
      return finish(k, Irp);
    }, completeNow),
    planted: ev("kind = 'IrpAccessed' AND api = 'IoGetCurrentIrpStackLocation' AND routine = 'FDispatchRead'"),
  },
  MarkPendingAfterQueue: {
    scenario: testScenario({
      stack: ['t'],
      drivers: (k) => [hwDriver(k, 't', {
        dispatch: async (k, DeviceObject, Irp) => {
          await k.IoStartPacket(DeviceObject, Irp, null, null);
          k.IoMarkIrpPending(Irp);
          return STATUS_PENDING;
        },
      })],
    }),
    planted: ev("kind = 'IrpMarkedPending' AND routine = 'HwDispatch'"),
  },
  StackLocationOverrun: {
    // Passes the IRP to its own device again: the second time there is no location left.
    scenario: one(async (k, DeviceObject, Irp) => {
      k.IoCopyCurrentIrpStackLocationToNext(Irp);
      return k.IoCallDriver(DeviceObject, Irp);
    }),
    planted: ev("kind = 'Bugcheck'"),
  },
  SkipThenSetCompletion: {
    scenario: two(async (k, DeviceObject, Irp) => {
      k.IoSkipCurrentIrpStackLocation(Irp);
      k.IoSetCompletionRoutine(Irp, async function FComplete() { return STATUS_CONTINUE_COMPLETION; }, null, true, true, true);
      return k.IoCallDriver(lowerOf(DeviceObject), Irp);
    }, completeNow),
    planted: ev("kind = 'CompletionRoutineSet'"),
  },
  CompletionRoutineWithoutNextLocation: {
    // An IRP of one location, made the driver's own with IoSetNextIrpStackLocation: nothing below it.
    scenario: one(async (k, _d, Irp) => {
      const own = await k.IoAllocateIrp(1, false);
      k.IoSetNextIrpStackLocation(own);
      k.IoSetCompletionRoutine(own, async function TComplete() { return STATUS_CONTINUE_COMPLETION; }, null, true, true, true);
      await k.IoFreeIrp(own);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'CompletionRoutineSet'"),
  },
  DriverIrpCompletedToTop: {
    scenario: two((k, d, Irp) => forwardInOwnIrp(k, d, Irp, async function FComplete(_d, _own, Original) {
      await k.IoCompleteRequest(Original, IO_NO_INCREMENT);
      return STATUS_CONTINUE_COMPLETION; // neither frees its IRP nor stops the walk
    }), completeNow),
    planted: ev("kind = 'IrpCompleted' AND irp = (SELECT irp FROM events WHERE kind = 'IrpAllocated' AND api = 'IoAllocateIrp')"),
  },
  DriverIrpWithoutCompletionRoutine: {
    scenario: two(async (k, DeviceObject, Irp) => {
      await forwardInOwnIrp(k, DeviceObject, Irp, async () => STATUS_SUCCESS, { setCompletion: false });
      await finish(k, Irp);
      return STATUS_PENDING;
    }, completeNow),
    planted: ev("kind = 'IrpCalled' AND routine = 'FDispatchRead'"),
  },
  FreeWrongKind: {
    scenario: one(async (k, _d, Irp) => {
      await k.IoFreeIrp(Irp);
      return STATUS_SUCCESS;
    }),
    planted: ev("kind = 'IrpFreed' AND routine = 'TDispatchRead'"),
  },
  FreeWhileInUse: {
    scenario: one(async (k, DeviceObject, Irp) => {
      const own = await k.IoAllocateIrp(DeviceObject.StackSize, false);
      k.IoSetCancelRoutine(own, async function TCancel() {});
      await k.IoFreeIrp(own);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'IrpFreed' AND routine = 'TDispatchRead'"),
  },
  FreedIrpRoutineNotMpr: {
    scenario: two((k, d, Irp) => forwardInOwnIrp(k, d, Irp, async function FComplete(_d, Own, Original) {
      await k.IoFreeIrp(Own);
      await k.IoCompleteRequest(Original, IO_NO_INCREMENT);
      return STATUS_SUCCESS;
    }), completeNow),
    planted: ev("kind = 'RoutineReturned' AND routine = 'FComplete'"),
  },
  AssociatedFromNonHighestDriver: {
    scenario: two(passDown, async (k, _d, Irp) => {
      const part = await k.IoMakeAssociatedIrp(Irp, 1);
      await k.IoFreeIrp(part);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'IrpAllocated' AND api = 'IoMakeAssociatedIrp'"),
  },
  AssociatedForBufferedIo: {
    scenario: testScenario({
      stack: ['t'],
      requests: [{ major: 'ioctl', length: 64, ioControlCode: 0x2d1400 }],
      drivers: (k) => [testDriver(k, 't', {
        dispatch: {
          [IRP_MJ_DEVICE_CONTROL]: async function TDispatchDeviceControl(_d: TestDevice, Irp: Irp): Promise<NtStatus> {
            const part = await k.IoMakeAssociatedIrp(Irp, 1);
            await k.IoFreeIrp(part);
            return finish(k, Irp);
          },
        },
      })],
    }),
    planted: ev("kind = 'IrpAllocated' AND api = 'IoMakeAssociatedIrp'"),
  },
  AssociateToAssociated: {
    scenario: one(async (k, _d, Irp) => {
      const part = await k.IoMakeAssociatedIrp(Irp, 1);
      const sub = await k.IoMakeAssociatedIrp(part, 1);
      await k.IoFreeIrp(sub);
      await k.IoFreeIrp(part);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'IrpAllocated' AND api = 'IoMakeAssociatedIrp' AND master IN (SELECT irp FROM events WHERE kind = 'IrpAllocated' AND api = 'IoMakeAssociatedIrp')"),
  },
  MasterIrpCountMismatch: {
    scenario: one(async (k, _d, Irp) => {
      Irp.AssociatedIrp.IrpCount = 2;
      const part = await k.IoMakeAssociatedIrp(Irp, 1);
      await k.IoFreeIrp(part);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'MasterIrpCountChanged' AND api = 'Set'"),
  },
  ForwardedAtBadIrql: {
    scenario: two(async (k, DeviceObject, Irp) => {
      const old = await k.KeRaiseIrql(7);
      k.IoSkipCurrentIrpStackLocation(Irp);
      const status = await k.IoCallDriver(lowerOf(DeviceObject), Irp);
      await k.KeLowerIrql(old);
      return status;
    }, completeNow),
    planted: ev("kind = 'IrpCalled' AND routine = 'FDispatchRead'"),
  },
  CallDriverWithCancelRoutine: {
    scenario: two(async (k, DeviceObject, Irp) => {
      k.IoSetCancelRoutine(Irp, async function FCancel() {});
      k.IoSkipCurrentIrpStackLocation(Irp);
      return k.IoCallDriver(lowerOf(DeviceObject), Irp);
    }, async (k, _d, Irp) => {
      k.IoSetCancelRoutine(Irp, null);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'IrpCalled' AND routine = 'FDispatchRead'"),
  },
  SyncBuildInArbitraryContext: {
    scenario: one(async (k, DeviceObject, Irp) => {
      const event = k.KEVENT('t.Event');
      k.KeInitializeEvent(event, 'NotificationEvent', false);
      const old = await k.KeRaiseIrqlToDpcLevel();
      await k.IoBuildDeviceIoControlRequest(0x2d1400, DeviceObject, null, 0, null, 0, false, event, { Status: STATUS_SUCCESS, Information: 0 });
      await k.KeLowerIrql(old);
      return finish(k, Irp);
    }),
    planted: ev("kind = 'IrpAllocated' AND api = 'IoBuildDeviceIoControlRequest'"),
  },
  SyncIrpNotWaited: {
    scenario: overHardware(async (k, DeviceObject, Irp) => {
      const event = k.KEVENT('f.Event');
      k.KeInitializeEvent(event, 'NotificationEvent', false);
      const sync = await k.IoBuildSynchronousFsdRequest(IRP_MJ_READ, lowerOf(DeviceObject), null, 512, 0, event, { Status: STATUS_SUCCESS, Information: 0 });
      await k.IoCallDriver(lowerOf(DeviceObject), sync!); // returns STATUS_PENDING: no wait follows
      return finish(k, Irp);
    }),
    planted: ev("kind = 'RoutineReturned' AND routine = 'FDispatchRead'"),
  },
  CancelRoutineMisbehaves: {
    scenario: one(async (k, _d, Irp) => {
      k.IoSetCancelRoutine(Irp, async function TCancel(_DeviceObject: DeviceObject, Cancelled: Irp) {
        await k.IoReleaseCancelSpinLock(Cancelled.CancelIrql); // but leaves the IRP to the dispatch routine
      });
      await k.IoCancelIrp(Irp);
      return finish(k, Irp, STATUS_CANCELLED);
    }),
    planted: ev("kind = 'RoutineReturned' AND routine = 'TCancel'"),
  },
  CancelAfterComplete: {
    scenario: one(async (k, _d, Irp) => {
      k.IoSetCancelRoutine(Irp, async function TCancel() {});
      await finish(k, Irp);
      await k.IoCancelIrp(Irp);
      return STATUS_SUCCESS;
    }),
    planted: ev("kind = 'Bugcheck'"),
  },
  StartIoMisuse: {
    scenario: testScenario({
      stack: ['t'],
      requests: [{ major: 'read', length: 4096 }, { major: 'read', length: 4096 }],
      requesters: 2,
      drivers: (k) => [hwDriver(k, 't', {
        dispatch: async (k, DeviceObject, Irp) => {
          k.IoMarkIrpPending(Irp);
          await k.IoStartPacket(DeviceObject, Irp, null, null);
          if (DeviceObject.CurrentIrp !== Irp) await k.IoStartNextPacket(DeviceObject, false); // at PASSIVE_LEVEL
          return STATUS_PENDING;
        },
      })],
    }),
    planted: ev("kind = 'IrpDequeued' AND routine = 'HwDispatch'"),
  },
  ReuseIrpInUse: {
    // f reuses its own IRP right after sending it down, while the interrupt-driven t still has it;
    // the IRP f reuses inside its completion routine (then returning STATUS_MORE_PROCESSING_REQUIRED) is its own again.
    scenario: overHardware(async (k, DeviceObject, Irp) => {
      const lower = lowerOf(DeviceObject);
      const own = await k.IoAllocateIrp(lower.StackSize, false);
      let pieces = 0;
      async function FPieceComplete(_d: DeviceObject | null, Own: Irp): Promise<NtStatus> {
        if (++pieces < 2) {
          await k.IoReuseIrp(Own, STATUS_SUCCESS);
          await send(Own);
        }
        return STATUS_MORE_PROCESSING_REQUIRED;
      }
      async function send(Own: Irp): Promise<void> {
        k.IoGetNextIrpStackLocation(Own).MajorFunction = IRP_MJ_READ;
        k.IoGetNextIrpStackLocation(Own).Parameters.Read.Length = 512;
        k.IoSetCompletionRoutine(Own, FPieceComplete, null, true, true, true);
        await k.IoCallDriver(lower, Own);
      }
      await send(own);
      const late = await k.IoAllocateIrp(lower.StackSize, false);
      await send(late);
      await k.IoReuseIrp(late, STATUS_SUCCESS); // t still owns it
      return finish(k, Irp);
    }, {}, 1),
    planted: ev("kind = 'IrpReused' AND routine = 'FDispatchRead'"),
  },
  PendingIrpLeak: {
    scenario: one(async (k, _d, Irp) => {
      k.IoMarkIrpPending(Irp);
      return STATUS_PENDING; // and nothing ever completes it
    }),
    planted: ev("kind = 'IrpMarkedPending' AND routine = 'TDispatchRead'"),
  },
};

async function passDown(k: Kernel, DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
  k.IoSkipCurrentIrpStackLocation(Irp);
  return k.IoCallDriver(lowerOf(DeviceObject), Irp);
}

/**
 * A dispatch routine that queues its DPC at DISPATCH_LEVEL with the IRP, then again with an IRP of
 * its own while the first is still queued: the second call's argument is dropped, and that IRP is
 * never completed. The DPC routine completes the IRP it gets.
 */
function coalescingDpc(): ScenarioDefinition {
  return testScenario({
    stack: ['t'],
    drivers: (k) => {
      const dpc = k.KDPC('t.Dpc');
      async function TDpc(_Dpc: unknown, _Context: unknown, Irp: unknown): Promise<void> {
        await finish(k, Irp as Irp);
      }
      async function TDispatchRead(_d: TestDevice, Irp: Irp): Promise<NtStatus> {
        k.KeInitializeDpc(dpc, TDpc, null);
        k.IoMarkIrpPending(Irp);
        const old = await k.KeRaiseIrqlToDpcLevel();
        await k.KeInsertQueueDpc(dpc, Irp, null);
        const other = await k.IoAllocateIrp(1, false);
        await k.KeInsertQueueDpc(dpc, other, null);
        await k.KeLowerIrql(old);
        return STATUS_PENDING;
      }
      return [testDriver(k, 't', { dispatch: { [IRP_MJ_READ]: TDispatchRead } })];
    },
  });
}

/** `rule` fires on exactly the events `planted` selects (at least `count` of them) in a run of `scenario`. */
async function expectFiresOn(scenario: ScenarioDefinition, rule: string, planted: string, count?: number, config: Partial<RunConfig> = {}): Promise<void> {
  const t = await traceOf(scenario, config);
  try {
    const seqs = t.seqs(planted);
    if (count === undefined) expect(seqs.length, 'the scenario plants something').toBeGreaterThan(0);
    else expect(seqs).toHaveLength(count);
    expect(t.fired(rule)).toEqual(seqs);
  } finally {
    t.close();
  }
}

describe('each rule fires on exactly the planted events of a scenario built to break it', () => {
  for (const [id, c] of Object.entries(CASES)) {
    it(id, () => expectFiresOn(c.scenario, id, c.planted, undefined, c.config));
  }

  it('SyncBuildInArbitraryContext: a synchronous read built by an intermediate driver\'s dispatch routine (an arbitrary thread context) fires; the highest-level driver\'s, in the requester\'s thread, and a driver-created thread\'s do not (k:creating-irps-for-lower-level-drivers)', async () => {
    const buildRead = (name: string): Body => async (k, DeviceObject, Irp) => {
      const lower = DeviceObject.DeviceExtension.Lower;
      const done = k.KEVENT(`${name}.Done`);
      k.KeInitializeEvent(done, 'NotificationEvent', false);
      const own = await k.IoBuildSynchronousFsdRequest(IRP_MJ_READ, lower, {}, 512, 0, done, { Status: STATUS_SUCCESS, Information: 0 });
      if ((await k.IoCallDriver(lower, own!)) === STATUS_PENDING) await k.KeWaitForSingleObject(done);
      return finish(k, Irp);
    };
    const stack = readStack([['t', completeNow], ['m', buildRead('m')], ['h', buildRead('h')]]);
    await expectFiresOn(stack, 'SyncBuildInArbitraryContext', ev("kind = 'IrpAllocated' AND api = 'IoBuildSynchronousFsdRequest' AND routine = 'MDispatchRead'"), 1);
    const worker = await traceOf(BUILTIN_SCENARIOS.find((s) => s.name === 'worker-thread')!, { requests: 20 });
    try {
      expect(worker.seqs(ev("kind = 'IrpAllocated' AND api = 'IoBuildSynchronousFsdRequest'")).length).toBeGreaterThan(0);
      expect(worker.fired('SyncBuildInArbitraryContext')).toEqual([]);
    } finally {
      worker.close();
    }
  });

  it('WaitAtDispatchOrAbove also fires on a wait that could have blocked at DISPATCH_LEVEL but found its object signaled; a zero-timeout poll there does not (ddi:nf-wdm-kewaitforsingleobject "if Timeout = NULL or *Timeout != 0, the caller must be running at IRQL <= APC_LEVEL")', async () => {
    const scenario = one(async (k, _d, Irp) => {
      const event = k.KEVENT('t.Set');
      k.KeInitializeEvent(event, 'NotificationEvent', true);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeWaitForSingleObject(event, 'Executive', 'KernelMode', false, 0);
      await k.KeWaitForSingleObject(event);
      await k.KeLowerIrql(old);
      return finish(k, Irp);
    });
    await expectFiresOn(scenario, 'WaitAtDispatchOrAbove', ev("kind = 'WaitStarted'"), 1);
  });

  it('IrqlNotRestoredOnReturn also covers a system thread\'s start routine and DriverUnload (both called at PASSIVE_LEVEL)', async () => {
    const scenario = testScenario({
      stack: ['t'],
      drivers: (k) => [testDriver(k, 't', {
        dispatch: { [IRP_MJ_READ]: async (_d: TestDevice, Irp: Irp) => finish(k, Irp) },
        async addDevice() {
          await k.PsCreateSystemThread(async function RaisingThread() { await k.KeRaiseIrql(APC_LEVEL); }, null);
        },
        unload: async function RaisingUnload() { await k.KeRaiseIrql(APC_LEVEL); },
      })],
    });
    await expectFiresOn(scenario, 'IrqlNotRestoredOnReturn', ev("kind = 'RoutineReturned' AND routine IN ('RaisingThread', 'RaisingUnload')"), 2);
  });

  it('every rule of the pack has a test (here, or a built-in scenario that plants it)', () => {
    const planted = new Set(BUILTIN_SCENARIOS.flatMap((s) => s.plants ?? []));
    const untested = loadRules().map((r) => r.id).filter((id) => !(id in CASES) && !planted.has(id));
    expect(untested).toEqual([]);
  });
});
