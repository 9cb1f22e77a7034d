import type { Irql } from '../../brands.js';
import { DIRQL_MAX, DIRQL_MIN } from '../../constants/irql.js';
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../../constants/ntstatus.js';
import type { NtStatus } from '../../brands.js';
import { DeviceObject } from '../../wdm/device.js';
import { KINTERRUPT, type KINTERRUPT_MODE, type PKSERVICE_ROUTINE, type PKSYNCHRONIZE_ROUTINE } from '../../wdm/interrupt.js';
import { KSPIN_LOCK } from '../../wdm/spin-lock.js';
import type { DeviceRegister } from '../hardware.js';
import { lowerIrql, raiseIrql } from '../irql-frames.js';
import type { Machine } from '../machine.js';
import { dropSpinLock, takeSpinLock } from '../spin.js';
import { afterPoint } from './after-point.js';

/**
 * IoConnectInterrupt(&InterruptObject, ServiceRoutine, ServiceContext, SpinLock, Vector, Irql,
 * SynchronizeIrql, InterruptMode, ShareVector, ProcessorEnableMask, FloatingSave), with the out
 * parameter returned: `{ status, InterruptObject }`. Irql must be a device level and SynchronizeIrql
 * at least Irql, or it fails with STATUS_INVALID_PARAMETER.
 */
export function IoConnectInterrupt(
  m: Machine, ServiceRoutine: PKSERVICE_ROUTINE, ServiceContext: unknown, SpinLock: KSPIN_LOCK | null, Vector: number,
  Irql: Irql, SynchronizeIrql: Irql, _InterruptMode: KINTERRUPT_MODE = 'LevelSensitive', _ShareVector = false,
  ProcessorEnableMask = -1, _FloatingSave = false,
): { status: NtStatus; InterruptObject: KINTERRUPT | null } {
  if (Irql < DIRQL_MIN || Irql > DIRQL_MAX || SynchronizeIrql < Irql || SynchronizeIrql > DIRQL_MAX) {
    return { status: STATUS_INVALID_PARAMETER, InterruptObject: null };
  }
  const device = ServiceContext instanceof DeviceObject ? ServiceContext.Name : `vector${Vector}`;
  const driver = m.em.current?.ctx.innermost?.driver ?? (ServiceContext instanceof DeviceObject ? ServiceContext.DriverObject.DriverName : null);
  const lock = SpinLock ?? new KSPIN_LOCK(`${device}.InterruptLock`);
  const interrupt = new KINTERRUPT(ServiceRoutine, ServiceContext, Vector, Irql, SynchronizeIrql, ProcessorEnableMask, lock, driver, device);
  const list = m.interruptsByVector.get(Vector) ?? [];
  list.push(interrupt);
  m.interruptsByVector.set(Vector, list);
  return { status: STATUS_SUCCESS, InterruptObject: interrupt };
}

/** IoDisconnectInterrupt(InterruptObject). */
export function IoDisconnectInterrupt(m: Machine, InterruptObject: KINTERRUPT): void {
  const list = m.interruptsByVector.get(InterruptObject.Vector);
  if (list) list.splice(list.indexOf(InterruptObject), 1);
}

/**
 * KeSynchronizeExecution(Interrupt, SynchronizeRoutine, SynchronizeContext): run the routine at the
 * interrupt's SynchronizeIrql holding its spin lock, so it cannot race the ISR.
 */
export async function KeSynchronizeExecution(m: Machine, Interrupt: KINTERRUPT, SynchronizeRoutine: PKSYNCHRONIZE_ROUTINE, SynchronizeContext: unknown): Promise<boolean> {
  const cpu = m.enter('KeSynchronizeExecution');
  const old = raiseIrql(m.em, cpu, Interrupt.SynchronizeIrql, 'KeSynchronizeExecution');
  const spinning = takeSpinLock(m, cpu, Interrupt.SpinLock, 'KeSynchronizeExecution');
  if (spinning !== undefined) await spinning;
  const result = await SynchronizeRoutine(SynchronizeContext);
  dropSpinLock(m, cpu, Interrupt.SpinLock, 'KeSynchronizeExecution');
  lowerIrql(m.em, cpu, old, 'KeSynchronizeExecution');
  const preempted = m.point(m.cost('spinLock'));
  if (preempted !== undefined) await preempted;
  return result;
}

/** READ_REGISTER_ULONG(Register). */
export function READ_REGISTER_ULONG(m: Machine, Register: DeviceRegister): number | Promise<number> {
  m.enter('READ_REGISTER_ULONG');
  const value = Register.hardware.read(Register);
  m.em.registerRead(Register.hardware.spec.name, Register.name, value);
  return afterPoint(m.point(m.cost('register')), value);
}

/** WRITE_REGISTER_ULONG(Register, Value): writing Command starts a transfer on the device. */
export function WRITE_REGISTER_ULONG(m: Machine, Register: DeviceRegister, Value: number): void | Promise<void> {
  const cpu = m.enter('WRITE_REGISTER_ULONG');
  m.em.registerWritten(Register.hardware.spec.name, Register.name, Value);
  Register.hardware.write(Register, Value, cpu.clock);
  return m.point(m.cost('register'));
}
