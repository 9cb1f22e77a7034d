/**
 * Threads and waits: KeWaitForSingleObject blocks the waiting thread only; synchronous IRPs built
 * by a driver and waited on; waits at DISPATCH_LEVEL (k:managing-hardware-priorities; C4:0x3B);
 * drivers' own system threads, and DriverUnload.
 */
import { describe, expect, it } from 'vitest';
import {
  BOOT_SYSTEM_TIME, DISPATCH_LEVEL, IRP_MJ_DEVICE_CONTROL, IRP_MJ_READ, KTHREAD, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS, STATUS_TIMEOUT,
  type IO_STATUS_BLOCK, type Irp, type KDPC, type KEVENT, type Kernel, type NtStatus, type PDRIVER_UNLOAD, type ScenarioDefinition,
} from '../../model/index.js';
import { findBuiltin } from '../../scenarios/index.js';
import {
  activations, allMajors, finish, firstOf, hardwareDriver, ofKind, parseDetail, runDispatch, runScenario, testDriver, testScenario,
  type TestDevice,
} from './helpers.js';

const objectIs = (name: string) => (e: { detail: string | null }) => parseDetail<{ object: string }>(e).object === name;

describe('KeWaitForSingleObject', () => {
  it('blocks only the waiting thread: on one CPU another requester runs, sets the event, and the waiter resumes (k:introduction-to-kernel-dispatcher-objects; windows-semantics §1.3)', async () => {
    let calls = 0;
    const scenario = testScenario({
      stack: ['t'],
      requesters: 2,
      requests: [{ major: 'read', length: 512 }, { major: 'read', length: 512 }],
      drivers: (k) => {
        const gate: KEVENT = k.KEVENT('Gate');
        k.KeInitializeEvent(gate, 'NotificationEvent', false);
        async function GateDispatch(_d: TestDevice, irp: Irp): Promise<NtStatus> {
          if (++calls === 1) await k.KeWaitForSingleObject(gate, 'Executive', 'KernelMode', false, null);
          else await k.KeSetEvent(gate, 0, false);
          return finish(k, irp);
        }
        return [testDriver(k, 't', { dispatch: allMajors(GateDispatch) })];
      },
    });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const started = firstOf(r.events, 'WaitStarted', objectIs('Gate'));
    const ended = firstOf(r.events, 'WaitEnded', objectIs('Gate'));
    const signaled = firstOf(r.events, 'EventSignaled', objectIs('Gate'));
    expect(ended.thread).toBe(started.thread);
    expect(ended.result).toBe(STATUS_SUCCESS);
    expect(signaled.thread).not.toBe(started.thread);
    expect(started.seq).toBeLessThan(signaled.seq);
    expect(signaled.seq).toBeLessThan(ended.seq);
    // The other thread's dispatch ran while the waiter was blocked, on the only CPU.
    const dispatches = activations(r.events, (e) => e.api === 'Dispatch');
    const other = dispatches.find((a) => a.entered.thread !== started.thread)!;
    expect(other.entered.seq).toBeGreaterThan(started.seq);
    expect(other.entered.seq).toBeLessThan(ended.seq);
    expect(new Set(r.events.filter((e) => e.cpu !== null).map((e) => e.cpu))).toEqual(new Set([0]));
    expect(ofKind(r.events, 'ContextSwitched', (e) => e.seq > started.seq && e.seq < other.entered.seq).length).toBeGreaterThan(0);
  });

  it('a wait with a relative timeout ends with STATUS_TIMEOUT after that much simulated time (ddi:nf-wdm-kewaitforsingleobject)', async () => {
    const results: number[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const e = k.KEVENT('Never');
      k.KeInitializeEvent(e, 'NotificationEvent', false);
      results.push(await k.KeWaitForSingleObject(e, 'Executive', 'KernelMode', false, -10_000)); // 1 ms
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(results).toEqual([STATUS_TIMEOUT]);
    const started = firstOf(r.events, 'WaitStarted', objectIs('Never'));
    const ended = firstOf(r.events, 'WaitEnded', objectIs('Never'));
    expect(ended.result).toBe(STATUS_TIMEOUT);
    expect(ended.timeNs - started.timeNs).toBeGreaterThanOrEqual(1_000_000 - 1000);
  });

  it('a positive timeout is an absolute system time: one already past polls, one 1 ms after boot time... waits until then (ddi:nf-wdm-kewaitforsingleobject "A positive value specifies an absolute time, relative to January 1, 1601")', async () => {
    const results: number[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const e = k.KEVENT('Never');
      k.KeInitializeEvent(e, 'NotificationEvent', false);
      results.push(await k.KeWaitForSingleObject(e, 'Executive', 'KernelMode', false, 10_000)); // 1 ms after 1601: long past
      results.push(await k.KeWaitForSingleObject(e, 'Executive', 'KernelMode', false, BOOT_SYSTEM_TIME + 20_000)); // 2 ms after boot
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(results).toEqual([STATUS_TIMEOUT, STATUS_TIMEOUT]);
    const waits = ofKind(r.events, 'WaitStarted', objectIs('Never'));
    expect(waits).toHaveLength(1);
    expect(firstOf(r.events, 'WaitEnded', objectIs('Never')).timeNs).toBeGreaterThanOrEqual(2_000_000);
  });

  it('a signalled SynchronizationEvent satisfies one wait and resets; a NotificationEvent stays signalled (ddi:nf-wdm-keinitializeevent)', async () => {
    const states: number[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const sync = k.KEVENT('S');
      const note = k.KEVENT('N');
      k.KeInitializeEvent(sync, 'SynchronizationEvent', true);
      k.KeInitializeEvent(note, 'NotificationEvent', true);
      await k.KeWaitForSingleObject(sync);
      await k.KeWaitForSingleObject(note);
      states.push(k.KeReadStateEvent(sync), k.KeReadStateEvent(note));
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(states).toEqual([0, 1]);
    expect(ofKind(r.events, 'WaitStarted')).toHaveLength(0);
  });

  it('waiting on an unsignalled object at DISPATCH_LEVEL bug-checks (k:managing-hardware-priorities; windows-semantics §4 rule 9; C4:0x3B)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const e = k.KEVENT('E');
      k.KeInitializeEvent(e, 'NotificationEvent', false);
      await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.KeWaitForSingleObject(e);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('bugcheck');
    expect(r.summary.bugcheck?.name).toBe('IRQL_NOT_LESS_OR_EQUAL');
    expect(ofKind(r.events, 'WaitStarted')).toHaveLength(0);
    expect(firstOf(r.events, 'Bugcheck').irql).toBe(DISPATCH_LEVEL);
  });

  it('waiting inside a DPC routine bug-checks ATTEMPTED_SWITCH_FROM_DPC (0xB8) (windows-semantics §5; k:guidelines-for-writing-dpc-routines)', async () => {
    const r = await runDispatch(async (k, _d, irp) => {
      const e = k.KEVENT('E');
      k.KeInitializeEvent(e, 'NotificationEvent', false);
      const dpc = k.KDPC('Waiter');
      async function WaitingDpc(_Dpc: KDPC): Promise<void> {
        await k.KeWaitForSingleObject(e);
      }
      k.KeInitializeDpc(dpc, WaitingDpc, null);
      await k.KeInsertQueueDpc(dpc, null, null);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('bugcheck');
    expect(r.summary.bugcheck?.name).toBe('ATTEMPTED_SWITCH_FROM_DPC');
    expect(r.summary.bugcheck?.code).toBe(0xb8);
    expect(firstOf(r.events, 'Bugcheck').routine).toBe('WaitingDpc');
  });

  it('a zero-timeout wait (a poll) at DISPATCH_LEVEL is allowed and returns STATUS_TIMEOUT (windows-semantics §4 rule 9: only non-zero or NULL timeouts)', async () => {
    const results: number[] = [];
    const r = await runDispatch(async (k, _d, irp) => {
      const e = k.KEVENT('E');
      k.KeInitializeEvent(e, 'NotificationEvent', false);
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      results.push(await k.KeWaitForSingleObject(e, 'Executive', 'KernelMode', false, 0));
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(r.summary.endReason).toBe('completed');
    expect(results).toEqual([STATUS_TIMEOUT]);
  });
});

describe('synchronous driver-built IRPs', () => {
  it('a driver that builds an IoBuildDeviceIoControlRequest IRP, sends it to an interrupt-driven lower driver and waits on its event gets the result (ddi:nf-wdm-iobuilddeviceiocontrolrequest; k:creating-irps-for-lower-level-drivers)', async () => {
    const seen: Record<string, unknown> = {};
    const scenario = testScenario({
      stack: ['hw', 't'],
      drivers: (k) => {
        async function IoctlThenWait(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
          const lower = DeviceObject.DeviceExtension.Lower;
          const event = k.KEVENT('IoctlEvent');
          k.KeInitializeEvent(event, 'NotificationEvent', false);
          const iosb: IO_STATUS_BLOCK = { Status: 0xffffffff, Information: 0 };
          const own = await k.IoBuildDeviceIoControlRequest(0x2d1400, lower, null, 0, null, 64, false, event, iosb);
          seen.own = own.id;
          const next = k.IoGetNextIrpStackLocation(own);
          seen.next = [next.MajorFunction, next.Parameters.DeviceIoControl.IoControlCode, next.Parameters.DeviceIoControl.OutputBufferLength];
          next.Parameters.Read.Length = 64; // what the hardware driver transfers
          const status = await k.IoCallDriver(lower, own);
          seen.status = status;
          if (status === STATUS_PENDING) await k.KeWaitForSingleObject(event);
          seen.iosb = { ...iosb };
          seen.irqlAfter = k.KeGetCurrentIrql();
          return finish(k, Irp, iosb.Status);
        }
        return [hardwareDriver(k, 'hw'), testDriver(k, 't', { dispatch: { [IRP_MJ_READ]: IoctlThenWait } })];
      },
    });
    const r = await runScenario(scenario, { cpus: 2, seed: 11 });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.next).toEqual([IRP_MJ_DEVICE_CONTROL, 0x2d1400, 64]);
    expect(seen.status).toBe(STATUS_PENDING);
    expect(seen.iosb).toEqual({ Status: STATUS_SUCCESS, Information: 64 });
    expect(seen.irqlAfter).toBe(0);
    const own = seen.own as number;
    const alloc = firstOf(r.events, 'IrpAllocated', (e) => e.irp === own);
    expect([alloc.api, alloc.major]).toEqual(['IoBuildDeviceIoControlRequest', 'IRP_MJ_DEVICE_CONTROL']);
    expect(ofKind(r.events, 'IrpFreed', (e) => e.irp === own).map((e) => e.api)).toEqual(['IoManager']);
    const started = firstOf(r.events, 'WaitStarted', objectIs('IoctlEvent'));
    const ended = firstOf(r.events, 'WaitEnded', objectIs('IoctlEvent'));
    expect(ended.thread).toBe(started.thread);
    expect(firstOf(r.events, 'IrpCompleted', (e) => e.irp === own).seq).toBeGreaterThan(started.seq);
    expect(firstOf(r.events, 'RequestCompleted').status).toBe(STATUS_SUCCESS);
  });
});

describe('PsCreateSystemThread, PsTerminateSystemThread and DriverUnload', () => {
  /**
   * One driver `t` whose AddDevice starts a system thread that waits on event `name` (never set by
   * anyone but `unload`, which gets the event), and whose reads complete at once.
   */
  function threadWaitingOn(name: string, unload: (k: Kernel, event: KEVENT) => PDRIVER_UNLOAD): ScenarioDefinition {
    return testScenario({
      stack: ['t'],
      drivers: (k) => {
        const event = k.KEVENT(name);
        k.KeInitializeEvent(event, 'NotificationEvent', false);
        async function WaitingThread(): Promise<void> {
          await k.KeWaitForSingleObject(event, 'Executive', 'KernelMode', false, null);
        }
        return [testDriver(k, 't', {
          dispatch: allMajors(async (_d, irp) => finish(k, irp)),
          async addDevice() { await k.PsCreateSystemThread(WaitingThread, null); },
          unload: unload(k, event),
        })];
      },
    });
  }

  it('the worker-thread stack builds its synchronous IRPs in its own thread, and DriverUnload waits until that thread has exited (k:creating-irps-for-lower-level-drivers "by a driver-created thread ... in a nonarbitrary thread context (its own)"; ddi:nf-wdm-pscreatesystemthread)', async () => {
    const r = await runScenario(findBuiltin('worker-thread')!, { seed: 3, cpus: 2, requests: 30 });
    expect(r.summary.endReason).toBe('completed');
    const [worker] = activations(r.events, (e) => e.api === 'SystemThread');
    expect(worker).toBeDefined();
    const entered = firstOf(r.events, 'RoutineEntered', (e) => e.seq === worker!.entered.seq);
    expect([entered.routine, entered.driver, entered.irql]).toEqual(['WorkerThread', 'worker', 0]);
    const requesters = new Set(ofKind(r.events, 'RequestIssued').map((e) => e.thread));
    expect(requesters.has(entered.thread)).toBe(false);
    const built = ofKind(r.events, 'IrpAllocated', (e) => e.api === 'IoBuildSynchronousFsdRequest');
    expect(built.length).toBeGreaterThan(0);
    for (const e of built) expect([e.thread, e.routine, e.irql]).toEqual([entered.thread, 'WorkerThread', 0]);
    // Unload runs after the last request, in the system thread; the worker exits while it waits.
    const unload = firstOf(r.events, 'RoutineEntered', (e) => e.api === 'Unload');
    const lastRequest = ofKind(r.events, 'RequestCompleted').at(-1)!;
    expect(unload.seq).toBeGreaterThan(lastRequest.seq);
    const waitOnThread = firstOf(r.events, 'WaitStarted', (e) => e.routine === 'WorkerUnload');
    const exited = firstOf(r.events, 'RoutineReturned', (e) => e.api === 'SystemThread');
    const waited = firstOf(r.events, 'WaitEnded', (e) => e.routine === 'WorkerUnload');
    const unloaded = firstOf(r.events, 'RoutineReturned', (e) => e.api === 'Unload');
    expect(parseDetail<{ object: string }>(waitOnThread).object).toBe(`Thread${entered.thread}`);
    expect([unload.seq < waitOnThread.seq, waitOnThread.seq < exited.seq, exited.seq < waited.seq, waited.seq < unloaded.seq]).toEqual([true, true, true, true]);
  });

  it('a thread the driver leaves waiting keeps the run from completing: it ends stalled, after DriverUnload ran (ddi:nf-wdm-psterminatesystemthread: a driver must terminate its threads)', async () => {
    let unloaded = 0;
    const scenario = threadWaitingOn('Never', () => () => { unloaded++; });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('stalled');
    expect(unloaded).toBe(1);
    expect(ofKind(r.events, 'RoutineReturned', (e) => e.api === 'SystemThread')).toHaveLength(0);
  });

  it('code of a driver that runs after its DriverUnload returned is bug check 0xCE: a thread told to stop but not waited for (windows-semantics.md bug checks; k:releasing-driver-allocated-resources "the thread itself can call PsTerminateSystemThread before the driver is unloaded")', async () => {
    const scenario = threadWaitingOn('Stop', (k, stop) => async function TellOnlyUnload() { await k.KeSetEvent(stop, 0, false); });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('bugcheck');
    expect(r.summary.bugcheck?.name).toBe('DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS');
    expect(r.summary.bugcheck?.code).toBe(0xce);
    const unloaded = firstOf(r.events, 'RoutineReturned', (e) => e.api === 'Unload');
    expect(firstOf(r.events, 'Bugcheck').seq).toBeGreaterThan(unloaded.seq);
  });

  it('a driver must not terminate threads the system or other drivers created: PsTerminateSystemThread in the System thread (DriverUnload) ends the run with an error saying so (ddi:nf-wdm-psterminatesystemthread)', async () => {
    const scenario = testScenario({
      stack: ['t'],
      drivers: (k) => [testDriver(k, 't', { dispatch: allMajors(async (_d, irp) => finish(k, irp)), unload: () => { k.PsTerminateSystemThread(STATUS_SUCCESS); } })],
    });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('error');
    expect(r.summary.error).toMatch(/PsTerminateSystemThread called by t in the System thread: a driver must not terminate threads that the system or other drivers created/);
  });

  it('PsCreateSystemThread at DISPATCH_LEVEL bug-checks; a StartRoutine that is not a function, or KeSetEvent on a thread object, ends the run with an error saying so (ddi:nf-wdm-pscreatesystemthread "IRQL PASSIVE_LEVEL")', async () => {
    const raised = await runDispatch(async (k, _d, irp) => {
      const old = await k.KeRaiseIrql(DISPATCH_LEVEL);
      await k.PsCreateSystemThread(async function Never() {}, null);
      await k.KeLowerIrql(old);
      return finish(k, irp);
    });
    expect(raised.summary.bugcheck?.name).toBe('IRQL_NOT_LESS_OR_EQUAL');
    expect(JSON.parse(firstOf(raised.events, 'Bugcheck').detail!)).toMatchObject({ api: 'PsCreateSystemThread', irql: DISPATCH_LEVEL });
    const notFunction = await runDispatch(async (k, _d, irp) => {
      await k.PsCreateSystemThread(42 as never, null);
      return finish(k, irp);
    });
    expect(notFunction.summary.error).toMatch(/StartRoutine must be a function \(got number\)/);
    const setThread = await runDispatch(async (k, _d, irp) => {
      const { Thread } = await k.PsCreateSystemThread(async function Short() {}, null);
      await k.KeSetEvent(Thread as never, 0, false);
      return finish(k, irp);
    });
    expect(setThread.summary.error).toMatch(/KeSetEvent takes an event \(KEVENT\), not a KTHREAD/);
    const notAnObject = await runDispatch(async (k, _d, irp) => {
      await k.KeWaitForSingleObject(undefined as never);
      return finish(k, irp);
    });
    expect(notAnObject.summary.error).toMatch(/KeWaitForSingleObject waits on an event or a thread object, not undefined: is an `await` missing where it was obtained\?/);
  });

  it('a thread object is not an event: KeSetEvent does not take one (types), and KeWaitForSingleObject does (ddi:nf-wdm-pscreatesystemthread)', () => {
    const thread = new KTHREAD('T');
    // @ts-expect-error a KTHREAD is not a KEVENT
    const asEvent: KEVENT = thread;
    expect(asEvent.Type).toBe('ThreadObject');
  });

  it('PsTerminateSystemThread ends the thread at once, from its StartRoutine; from a thread PsCreateSystemThread did not create it returns STATUS_INVALID_PARAMETER (ddi:nf-wdm-psterminatesystemthread; ROS:ps/kill.c#PsTerminateSystemThread)', async () => {
    const after: string[] = [];
    const fromRequester: NtStatus[] = [];
    const scenario = testScenario({
      stack: ['t'],
      drivers: (k) => {
        async function Short(): Promise<void> {
          after.push('before');
          k.PsTerminateSystemThread(STATUS_SUCCESS);
          after.push('after');
        }
        return [testDriver(k, 't', {
          dispatch: allMajors(async (_d, irp) => {
            fromRequester.push(k.PsTerminateSystemThread(STATUS_SUCCESS));
            return finish(k, irp);
          }),
          async addDevice() { await k.PsCreateSystemThread(Short, null); },
        })];
      },
    });
    const r = await runScenario(scenario, { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(after).toEqual(['before']);
    expect(fromRequester).toEqual([STATUS_INVALID_PARAMETER]);
    const thread = activations(r.events, (e) => e.api === 'SystemThread');
    expect(thread).toHaveLength(1);
    const ended = firstOf(r.events, 'RoutineReturned', (e) => e.api === 'SystemThread');
    expect(ended.activation).toBe(thread[0]!.entered.seq);
    expect(ended.status).toBe(STATUS_SUCCESS);
  });

  it('a thread\'s exit status is its RoutineReturned status: PsTerminateSystemThread\'s, or STATUS_SUCCESS when the StartRoutine returns (ROS:thread.c#PspSystemThreadStartup)', async () => {
    const scenario = testScenario({
      stack: ['t'],
      drivers: (k) => [testDriver(k, 't', {
        dispatch: allMajors(async (_d, irp) => finish(k, irp)),
        async addDevice() {
          await k.PsCreateSystemThread(async function Returns() {}, null);
          await k.PsCreateSystemThread(async function Terminates() { k.PsTerminateSystemThread(STATUS_INVALID_PARAMETER); }, null);
        },
      })],
    });
    const r = await runScenario(scenario, { cpus: 1 });
    const status = (routine: string) => firstOf(r.events, 'RoutineReturned', (e) => e.routine === routine).status;
    expect([status('Returns'), status('Terminates')]).toEqual([STATUS_SUCCESS, STATUS_INVALID_PARAMETER]);
  });
});
