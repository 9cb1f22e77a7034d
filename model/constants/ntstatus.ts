import type { NtStatus } from '../brands.js';

/** NTSTATUS values as unsigned 32-bit numbers (windows-semantics.md §5). */
export const STATUS_SUCCESS = 0x00000000 as NtStatus;
/** A completion routine's "continue the walk" return: the same value as STATUS_SUCCESS. */
export const STATUS_CONTINUE_COMPLETION = STATUS_SUCCESS;
export const STATUS_TIMEOUT = 0x00000102 as NtStatus;
export const STATUS_PENDING = 0x00000103 as NtStatus;
export const STATUS_REPARSE = 0x00000104 as NtStatus;
export const STATUS_BUFFER_OVERFLOW = 0x80000005 as NtStatus;
/** A removable medium may have changed: the file system verifies the volume (IoSetHardErrorOrVerifyDevice). */
export const STATUS_VERIFY_REQUIRED = 0x80000016 as NtStatus;
export const STATUS_UNSUCCESSFUL = 0xc0000001 as NtStatus;
export const STATUS_NOT_IMPLEMENTED = 0xc0000002 as NtStatus;
export const STATUS_INVALID_PARAMETER = 0xc000000d as NtStatus;
export const STATUS_NO_SUCH_DEVICE = 0xc000000e as NtStatus;
export const STATUS_INVALID_DEVICE_REQUEST = 0xc0000010 as NtStatus;
export const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016 as NtStatus;
export const STATUS_BUFFER_TOO_SMALL = 0xc0000023 as NtStatus;
export const STATUS_DELETE_PENDING = 0xc0000056 as NtStatus;
export const STATUS_INSUFFICIENT_RESOURCES = 0xc000009a as NtStatus;
export const STATUS_DEVICE_NOT_READY = 0xc00000a3 as NtStatus;
export const STATUS_IO_TIMEOUT = 0xc00000b5 as NtStatus;
export const STATUS_NOT_SUPPORTED = 0xc00000bb as NtStatus;
export const STATUS_CANCELLED = 0xc0000120 as NtStatus;
/** Sentinel for an uninitialised status. */
export const STATUS_INVALID_SENTINEL = 0xffffffff as NtStatus;

/** NT_SUCCESS(s): (LONG)s >= 0. False for warnings such as STATUS_BUFFER_OVERFLOW. */
export function NT_SUCCESS(status: NtStatus): boolean {
  return (status | 0) >= 0;
}

/** NT_ERROR(s): the top two bits are both set. */
export function NT_ERROR(status: NtStatus): boolean {
  return status >>> 30 === 3;
}

/** Normalises any JS number a driver returns to the unsigned 32-bit NTSTATUS form. */
export function toNtStatus(value: number): NtStatus {
  return (value >>> 0) as NtStatus;
}

const NAMES = new Map<number, string>([
  [STATUS_SUCCESS, 'STATUS_SUCCESS'], [STATUS_TIMEOUT, 'STATUS_TIMEOUT'], [STATUS_PENDING, 'STATUS_PENDING'],
  [STATUS_REPARSE, 'STATUS_REPARSE'], [STATUS_BUFFER_OVERFLOW, 'STATUS_BUFFER_OVERFLOW'], [STATUS_VERIFY_REQUIRED, 'STATUS_VERIFY_REQUIRED'],
  [STATUS_UNSUCCESSFUL, 'STATUS_UNSUCCESSFUL'], [STATUS_NOT_IMPLEMENTED, 'STATUS_NOT_IMPLEMENTED'],
  [STATUS_INVALID_PARAMETER, 'STATUS_INVALID_PARAMETER'], [STATUS_NO_SUCH_DEVICE, 'STATUS_NO_SUCH_DEVICE'],
  [STATUS_INVALID_DEVICE_REQUEST, 'STATUS_INVALID_DEVICE_REQUEST'],
  [STATUS_MORE_PROCESSING_REQUIRED, 'STATUS_MORE_PROCESSING_REQUIRED'],
  [STATUS_BUFFER_TOO_SMALL, 'STATUS_BUFFER_TOO_SMALL'], [STATUS_DELETE_PENDING, 'STATUS_DELETE_PENDING'],
  [STATUS_INSUFFICIENT_RESOURCES, 'STATUS_INSUFFICIENT_RESOURCES'], [STATUS_DEVICE_NOT_READY, 'STATUS_DEVICE_NOT_READY'],
  [STATUS_IO_TIMEOUT, 'STATUS_IO_TIMEOUT'], [STATUS_NOT_SUPPORTED, 'STATUS_NOT_SUPPORTED'],
  [STATUS_CANCELLED, 'STATUS_CANCELLED'],
]);

/** `STATUS_PENDING (0x00000103)`, or the hex value alone for codes without a name here. */
export function ntStatusName(status: NtStatus): string {
  const hex = `0x${(status >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  const name = NAMES.get(status >>> 0);
  return name ? `${name} (${hex})` : hex;
}
