import type { NtStatus } from '../../brands.js';
import { DISPATCH_LEVEL } from '../../constants/irql.js';
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../../constants/ntstatus.js';
import type { KTHREAD, PKSTART_ROUTINE } from '../../wdm/kthread.js';
import { ScenarioError } from '../errors.js';
import type { Machine } from '../machine.js';
import { callRoutine, routineName } from '../routine-call.js';
import { afterPoint } from './after-point.js';

/** Thrown by PsTerminateSystemThread, caught where the thread's StartRoutine was called: the call does not return. */
class SystemThreadTerminated {
  constructor(readonly exitStatus: NtStatus) {}
}

/**
 * PsCreateSystemThread(&ThreadHandle, …, StartRoutine, StartContext): a kernel thread of the
 * driver that calls it, ready to run StartRoutine(StartContext) at PASSIVE_LEVEL in its own
 * context (ddi:nf-wdm-pscreatesystemthread) — a "nonarbitrary thread context" that may wait, and
 * so may build synchronous IRPs (k:creating-irps-for-lower-level-drivers). Returns `{ status,
 * Thread }`: the thread object a driver would get from ObReferenceObjectByHandle on the handle,
 * which KeWaitForSingleObject waits on until the thread terminates. The thread ends when
 * StartRoutine returns or calls PsTerminateSystemThread; its StartRoutine is a routine of kind
 * SystemThread in the trace.
 */
export function PsCreateSystemThread(m: Machine, StartRoutine: PKSTART_ROUTINE, StartContext: unknown): { status: NtStatus; Thread: KTHREAD } | Promise<{ status: NtStatus; Thread: KTHREAD }> {
  const cpu = m.enter('PsCreateSystemThread');
  const creator = cpu.ctx.innermost;
  if (creator === undefined) throw new ScenarioError('PsCreateSystemThread is for driver code: call it from a driver routine');
  if (typeof StartRoutine !== 'function') throw new ScenarioError(`PsCreateSystemThread: StartRoutine must be a function (got ${typeof StartRoutine})`);
  // "IRQL PASSIVE_LEVEL" (ddi:nf-wdm-pscreatesystemthread): creating the thread object allocates and
  // waits, which the machine cannot do at DISPATCH_LEVEL or above.
  if (cpu.ctx.irql >= DISPATCH_LEVEL) m.bugcheck('IRQL_NOT_LESS_OR_EQUAL', { api: 'PsCreateSystemThread', irql: cpu.ctx.irql, cpu: cpu.id });
  const routine = routineName(StartRoutine);
  const thread = m.spawnThread(`${creator.driver}.${routine}`, async () => {
    // The thread's exit status is its RoutineReturned status: PsTerminateSystemThread's, or
    // STATUS_SUCCESS when the StartRoutine returns (ROS:thread.c#PspSystemThreadStartup).
    await callRoutine(m, 'SystemThread', routine, creator.driver, null, null, null, async () => {
      try {
        await StartRoutine(StartContext);
        return STATUS_SUCCESS;
      } catch (error) {
        if (error instanceof SystemThreadTerminated) return error.exitStatus;
        throw error;
      }
    });
  });
  thread.driver = creator.driver;
  thread.system = true;
  return afterPoint(m.point(m.cost('threadCreate')), { status: STATUS_SUCCESS, Thread: thread.object });
}

/**
 * PsTerminateSystemThread(ExitStatus): ends the calling system thread; it does not return
 * (ddi:nf-wdm-psterminatesystemthread). In a thread that is not a system thread (a requester: a
 * user thread) it returns STATUS_INVALID_PARAMETER, as ReactOS's does (ROS:kill.c#PsTerminateSystemThread).
 * "The driver must not terminate any threads that the system or other drivers created": called in
 * the System thread (DriverEntry, AddDevice, DriverUnload) or in another driver's thread, the run
 * ends with an error saying so. The model ends a thread only from its own StartRoutine (not from a
 * routine nested in it), and says so too.
 */
export function PsTerminateSystemThread(m: Machine, ExitStatus: NtStatus): NtStatus {
  const cpu = m.enter('PsTerminateSystemThread');
  const thread = cpu.ctx.thread;
  if (thread === null || !thread.system) return STATUS_INVALID_PARAMETER;
  const inner = cpu.ctx.innermost;
  const caller = inner?.driver ?? null;
  if (thread.driver === null || thread.driver !== caller) {
    throw new ScenarioError(`PsTerminateSystemThread called by ${caller ?? 'no driver'} in ${thread.driver === null ? 'the System thread' : `a thread of driver ${thread.driver}`}: a driver must not terminate threads that the system or other drivers created`);
  }
  // "IRQL PASSIVE_LEVEL" (ddi:nf-wdm-psterminatesystemthread; ROS:kill.c asserts it): a thread
  // cannot end with the processor raised to DISPATCH_LEVEL or above.
  if (cpu.ctx.irql >= DISPATCH_LEVEL) m.bugcheck('IRQL_NOT_LESS_OR_EQUAL', { api: 'PsTerminateSystemThread', irql: cpu.ctx.irql, cpu: cpu.id });
  if (inner?.kind !== 'SystemThread') {
    throw new ScenarioError(`PsTerminateSystemThread was called from ${inner?.routine ?? 'no routine'}, nested in the thread's StartRoutine: the model ends a thread only from its StartRoutine itself`);
  }
  throw new SystemThreadTerminated(ExitStatus);
}
