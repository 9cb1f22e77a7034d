import { describe, expect, it } from 'vitest';
import { HIGH_LEVEL, IRP_MJ_READ, STATUS_PENDING, type Simulation } from '../../model/index.js';
import {
  activations, firstOf, hardwareDriver, ofKind, runScenario, testDriver, testScenario, type TestDevice,
} from './helpers.js';
import type { Irp, Kernel, NtStatus } from '../../model/index.js';

/** hw (interrupt-driven, DIRQL 7) under an optional top driver `t` whose READ dispatch is `top`. */
function hwScenario(options: {
  synchronizeIrql?: number;
  top?: (k: Kernel, DeviceObject: TestDevice, Irp: Irp) => Promise<NtStatus>;
  isrProbe?: (k: Kernel) => void;
  latencyNs?: readonly [number, number];
}) {
  return testScenario({
    stack: options.top ? ['hw', 't'] : ['hw'],
    irql: 7,
    ...(options.latencyNs ? { latencyNs: options.latencyNs } : {}),
    drivers: (k) => {
      const hw = hardwareDriver(k, 'hw', {
        ...(options.synchronizeIrql !== undefined ? { synchronizeIrql: options.synchronizeIrql } : {}),
        async isr(k2, _Interrupt, DeviceObject) {
          options.isrProbe?.(k2);
          await k2.IoRequestDpc(DeviceObject, DeviceObject.CurrentIrp, null);
          return true;
        },
      });
      if (!options.top) return [hw];
      const top = options.top;
      async function TopDispatchRead(DeviceObject: TestDevice, Irp: Irp): Promise<NtStatus> {
        return top(k, DeviceObject, Irp);
      }
      return [hw, testDriver(k, 't', { dispatch: { [IRP_MJ_READ]: TopDispatchRead } })];
    },
  });
}

describe('interrupt dispatch', () => {
  it('the ISR runs at the device DIRQL (SynchronizeIrql) holding the interrupt spin lock (ddi:nc-wdm-kservice_routine; ROS:ntoskrnl/ke/i386/irqobj.c#KiInterruptDispatch)', async () => {
    let sim: Simulation | null = null;
    const probes: { irql: number; locks: [string, number][] }[] = [];
    const r = await runScenario(hwScenario({
      isrProbe: (k) => probes.push({ irql: k.KeGetCurrentIrql(), locks: [...sim!.snapshot().locks] }),
    }), { cpus: 1 }, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    const isr = activations(r.events, (e) => e.api === 'Isr');
    expect(isr).toHaveLength(1);
    const entered = isr[0]!.entered;
    const returned = isr[0]!.returned!;
    expect(entered.irql).toBe(7);
    expect(returned.status).toBe(1); // the ISR's TRUE
    const cpu = entered.cpu;
    const around = r.events.filter((e) => e.cpu === cpu && (e.api === 'Interrupt' || e.activation === entered.seq) && e.seq >= entered.seq - 2 && e.seq <= returned.seq + 2);
    const lockName = firstOf(r.events, 'SpinLockAcquired', (e) => e.api === 'Interrupt').lock;
    expect(lockName).toMatch(/InterruptLock$/);
    expect(around.map((e) => [e.kind, e.api, e.irql, e.newIrql])).toEqual([
      ['IrqlRaised', 'Interrupt', 0, 7],
      ['SpinLockAcquired', 'Interrupt', 7, null],
      ['RoutineEntered', 'Isr', 7, null],
      ...around.slice(3, -3).map((e) => [e.kind, e.api, e.irql, e.newIrql]),
      ['RoutineReturned', 'Isr', 7, null],
      ['SpinLockReleased', 'Interrupt', 7, null],
      ['IrqlLowered', 'Interrupt', 7, 0],
    ]);
    // Inside the ISR: at DIRQL, and the interrupt lock is held by this processor.
    expect(probes).toEqual([{ irql: 7, locks: [[lockName, cpu]] }]);
    // The interrupt was requested before it was taken, and routed to that processor.
    const requested = firstOf(r.events, 'InterruptRequested');
    expect(requested.seq).toBeLessThan(entered.seq);
    expect(requested.cpu).toBe(cpu);
    expect(requested.device).toBe('dev0.hw');
  });

  it('with SynchronizeIrql above the interrupt\'s Irql the ISR runs at SynchronizeIrql (ddi:nf-wdm-ioconnectinterrupt; windows-semantics §1.3 "DIRQL = SynchronizeIrql")', async () => {
    const irqls: number[] = [];
    const r = await runScenario(hwScenario({ synchronizeIrql: 9, isrProbe: (k) => irqls.push(k.KeGetCurrentIrql()) }), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    expect(irqls).toEqual([9]);
    expect(firstOf(r.events, 'RoutineEntered', (e) => e.api === 'Isr').irql).toBe(9);
    expect(firstOf(r.events, 'IrqlRaised', (e) => e.api === 'Interrupt').newIrql).toBe(9);
  });

  it('KeSynchronizeExecution runs its routine at the interrupt\'s SynchronizeIrql holding the interrupt spin lock, then restores the IRQL (windows-semantics §1.2; ROS:ntoskrnl/ke/i386/irqobj.c; ddi:nf-wdm-kesynchronizeexecution)', async () => {
    let sim: Simulation | null = null;
    const seen: Record<string, unknown> = {};
    const r = await runScenario(hwScenario({
      synchronizeIrql: 8,
      async top(k, DeviceObject, Irp) {
        const interrupt = (DeviceObject.DeviceExtension.Lower as TestDevice).DeviceExtension.Interrupt!;
        seen.result = await k.KeSynchronizeExecution(interrupt, async function SynchCritSection(Context: unknown) {
          seen.inside = { irql: k.KeGetCurrentIrql(), locks: [...sim!.snapshot().locks].map(([name]) => name), context: Context };
          return true;
        }, 'ctx');
        seen.after = k.KeGetCurrentIrql();
        k.IoSkipCurrentIrpStackLocation(Irp);
        return k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
      },
    }), { cpus: 1 }, (s) => { sim = s; });
    expect(r.summary.endReason).toBe('completed');
    expect(seen.result).toBe(true);
    expect(seen.inside).toEqual({ irql: 8, locks: ['dev0.hw.InterruptLock'], context: 'ctx' });
    expect(seen.after).toBe(0);
    const sync = r.events.filter((e) => e.api === 'KeSynchronizeExecution').map((e) => [e.kind, e.irql, e.newIrql, e.lock]);
    expect(sync).toEqual([
      ['IrqlRaised', 0, 8, null],
      ['SpinLockAcquired', 8, null, 'dev0.hw.InterruptLock'],
      ['SpinLockReleased', 8, null, 'dev0.hw.InterruptLock'],
      ['IrqlLowered', 8, 0, null],
    ]);
    // The ISR takes the same lock.
    expect(firstOf(r.events, 'SpinLockAcquired', (e) => e.api === 'Interrupt').lock).toBe('dev0.hw.InterruptLock');
  });

  for (const level of [7, HIGH_LEVEL]) {
    it(`the interrupt is not taken while the CPU's IRQL (${level}) is >= DIRQL 7; it is taken when the IRQL drops (k:managing-hardware-priorities; windows-semantics §1.1)`, async () => {
      const r = await runScenario(hwScenario({
        latencyNs: [1000, 1000],
        async top(k, DeviceObject, Irp) {
          k.IoSkipCurrentIrpStackLocation(Irp);
          const status = await k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp); // starts the transfer
          const old = await k.KeRaiseIrql(level);
          await k.KeStallExecutionProcessor(50); // the device finishes meanwhile
          await k.KeLowerIrql(old);
          return status;
        },
      }), { cpus: 1 });
      expect(r.summary.endReason).toBe('completed');
      const raise = firstOf(r.events, 'IrqlRaised', (e) => e.api === 'KeRaiseIrql');
      const lower = firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeLowerIrql');
      const requested = firstOf(r.events, 'InterruptRequested');
      const isr = firstOf(r.events, 'RoutineEntered', (e) => e.api === 'Isr');
      expect(requested.seq).toBeGreaterThan(raise.seq);
      expect(requested.seq).toBeLessThan(lower.seq);
      expect(isr.seq).toBeGreaterThan(lower.seq);
      expect(isr.timeNs).toBeGreaterThanOrEqual(lower.timeNs);
    });
  }

  it('an interrupt does preempt code running below DIRQL (here DISPATCH_LEVEL) at its next preemption point (k:managing-hardware-priorities)', async () => {
    const r = await runScenario(hwScenario({
      latencyNs: [1000, 1000],
      async top(k, DeviceObject, Irp) {
        k.IoSkipCurrentIrpStackLocation(Irp);
        const status = await k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
        const old = await k.KeRaiseIrql(6);
        await k.KeStallExecutionProcessor(50);
        await k.KeLowerIrql(old);
        return status;
      },
    }), { cpus: 1 });
    expect(r.summary.endReason).toBe('completed');
    const raise = firstOf(r.events, 'IrqlRaised', (e) => e.api === 'KeRaiseIrql');
    const lower = firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeLowerIrql');
    const isr = activations(r.events, (e) => e.api === 'Isr')[0]!;
    expect(isr.entered.seq).toBeGreaterThan(raise.seq);
    expect(isr.returned!.seq).toBeLessThan(lower.seq);
    // Interrupt entry saved IRQL 6 and exit restored it.
    expect(firstOf(r.events, 'IrqlRaised', (e) => e.api === 'Interrupt').irql).toBe(6);
    expect(firstOf(r.events, 'IrqlLowered', (e) => e.api === 'Interrupt').newIrql).toBe(6);
    // The DpcForIsr waits for the IRQL to fall below DISPATCH_LEVEL.
    const dpc = firstOf(r.events, 'RoutineEntered', (e) => e.api === 'Dpc');
    expect(dpc.seq).toBeGreaterThan(lower.seq);
  });

  it('an interrupt is routed to a processor below its IRQL when there is one (2 CPUs, one held at HIGH_LEVEL)', async () => {
    const r = await runScenario(hwScenario({
      latencyNs: [1000, 1000],
      async top(k, DeviceObject, Irp) {
        k.IoSkipCurrentIrpStackLocation(Irp);
        const status = await k.IoCallDriver(DeviceObject.DeviceExtension.Lower, Irp);
        const old = await k.KeRaiseIrql(HIGH_LEVEL);
        await k.KeStallExecutionProcessor(50);
        await k.KeLowerIrql(old);
        return status;
      },
    }), { cpus: 2, seed: 5 });
    expect(r.summary.endReason).toBe('completed');
    const raise = firstOf(r.events, 'IrqlRaised', (e) => e.api === 'KeRaiseIrql');
    const lower = firstOf(r.events, 'IrqlLowered', (e) => e.api === 'KeLowerIrql');
    const isr = firstOf(r.events, 'RoutineEntered', (e) => e.api === 'Isr');
    expect(firstOf(r.events, 'InterruptRequested').cpu).not.toBe(raise.cpu);
    expect(isr.cpu).not.toBe(raise.cpu);
    expect(isr.seq).toBeLessThan(lower.seq);
    expect(ofKind(r.events, 'RoutineReturned', (e) => e.api === 'Dispatch' && e.routine === 'TopDispatchRead')[0]!.status).toBe(STATUS_PENDING);
  });
});
