import type { NtStatus } from '../../brands.js';
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../../constants/ntstatus.js';
import type { KTHREAD, PKSTART_ROUTINE } from '../../wdm/kthread.js';
import { ScenarioError } from '../errors.js';
import type { Machine } from '../machine.js';
import { callRoutine, routineName } from '../routine-call.js';
import { afterPoint } from './after-point.js';

/** Thrown by PsTerminateSystemThread, caught where the thread's StartRoutine was called: the call does not return. */
class SystemThreadTerminated {}

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
  const creator = cpu.ctx.routines[cpu.ctx.routines.length - 1];
  if (creator === undefined) throw new ScenarioError('PsCreateSystemThread is for driver code: call it from a driver routine');
  const routine = routineName(StartRoutine);
  const thread = m.spawnThread(`${creator.driver}.${routine}`, async () => {
    await callRoutine(m, 'SystemThread', routine, creator.driver, null, null, null, async () => {
      try {
        await StartRoutine(StartContext);
      } catch (error) {
        if (!(error instanceof SystemThreadTerminated)) throw error;
      }
    });
  });
  thread.driver = creator.driver;
  return afterPoint(m.point(m.cost('threadCreate')), { status: STATUS_SUCCESS, Thread: thread.object });
}

/**
 * PsTerminateSystemThread(ExitStatus): ends the calling system thread; it does not return
 * (ddi:nf-wdm-psterminatesystemthread). Called by a thread that PsCreateSystemThread did not
 * create, it returns STATUS_INVALID_PARAMETER, as ReactOS's does.
 */
export function PsTerminateSystemThread(m: Machine, _ExitStatus: NtStatus): NtStatus {
  const cpu = m.enter('PsTerminateSystemThread');
  const thread = cpu.ctx.thread;
  if (thread === null || thread.driver === null) return STATUS_INVALID_PARAMETER;
  const inner = cpu.ctx.routines[cpu.ctx.routines.length - 1];
  if (inner?.kind !== 'SystemThread') {
    throw new ScenarioError(`PsTerminateSystemThread was called from ${inner?.routine ?? 'no routine'}, not from the thread's StartRoutine: return to it first`);
  }
  throw new SystemThreadTerminated();
}
