/** IRP major function codes (windows-semantics.md §5). */
export const IRP_MJ_CREATE = 0x00;
export const IRP_MJ_CLOSE = 0x02;
export const IRP_MJ_READ = 0x03;
export const IRP_MJ_WRITE = 0x04;
export const IRP_MJ_FLUSH_BUFFERS = 0x09;
export const IRP_MJ_DEVICE_CONTROL = 0x0e;
export const IRP_MJ_INTERNAL_DEVICE_CONTROL = 0x0f;
export const IRP_MJ_SHUTDOWN = 0x10;
export const IRP_MJ_CLEANUP = 0x12;
export const IRP_MJ_POWER = 0x16;
export const IRP_MJ_SYSTEM_CONTROL = 0x17;
export const IRP_MJ_PNP = 0x1b;
export const IRP_MJ_MAXIMUM_FUNCTION = 0x1b;

/** The trace's `major` column spells the code's name. */
export const MAJOR_NAMES: readonly string[] = [
  'IRP_MJ_CREATE', 'IRP_MJ_CREATE_NAMED_PIPE', 'IRP_MJ_CLOSE', 'IRP_MJ_READ', 'IRP_MJ_WRITE',
  'IRP_MJ_QUERY_INFORMATION', 'IRP_MJ_SET_INFORMATION', 'IRP_MJ_QUERY_EA', 'IRP_MJ_SET_EA',
  'IRP_MJ_FLUSH_BUFFERS', 'IRP_MJ_QUERY_VOLUME_INFORMATION', 'IRP_MJ_SET_VOLUME_INFORMATION',
  'IRP_MJ_DIRECTORY_CONTROL', 'IRP_MJ_FILE_SYSTEM_CONTROL', 'IRP_MJ_DEVICE_CONTROL',
  'IRP_MJ_INTERNAL_DEVICE_CONTROL', 'IRP_MJ_SHUTDOWN', 'IRP_MJ_LOCK_CONTROL', 'IRP_MJ_CLEANUP',
  'IRP_MJ_CREATE_MAILSLOT', 'IRP_MJ_QUERY_SECURITY', 'IRP_MJ_SET_SECURITY', 'IRP_MJ_POWER',
  'IRP_MJ_SYSTEM_CONTROL', 'IRP_MJ_DEVICE_CHANGE', 'IRP_MJ_QUERY_QUOTA', 'IRP_MJ_SET_QUOTA', 'IRP_MJ_PNP',
];

export function majorName(major: number): string {
  return MAJOR_NAMES[major] ?? `IRP_MJ_0x${major.toString(16)}`;
}

/** IO_STACK_LOCATION.Control bits. */
export const SL_PENDING_RETURNED = 0x01;
export const SL_ERROR_RETURNED = 0x02;
export const SL_INVOKE_ON_CANCEL = 0x20;
export const SL_INVOKE_ON_SUCCESS = 0x40;
export const SL_INVOKE_ON_ERROR = 0x80;

/** The transfer type of an I/O control code (its low two bits, METHOD_FROM_CTL_CODE). */
export const METHOD_BUFFERED = 0;
export const METHOD_IN_DIRECT = 1;
export const METHOD_OUT_DIRECT = 2;
export const METHOD_NEITHER = 3;

/** IRP.Flags bits. */
export const IRP_NOCACHE = 0x1;
export const IRP_PAGING_IO = 0x2;
export const IRP_SYNCHRONOUS_API = 0x4;
export const IRP_ASSOCIATED_IRP = 0x8;
export const IRP_BUFFERED_IO = 0x10;
export const IRP_DEALLOCATE_BUFFER = 0x20;
export const IRP_INPUT_OPERATION = 0x40;
/** The same bit as IRP_INPUT_OPERATION: paging I/O never buffers, so wdm.h reuses it. */
export const IRP_SYNCHRONOUS_PAGING_IO = 0x40;
export const IRP_CREATE_OPERATION = 0x80;
export const IRP_READ_OPERATION = 0x100;
export const IRP_WRITE_OPERATION = 0x200;
export const IRP_CLOSE_OPERATION = 0x400;
export const IRP_DEFER_IO_COMPLETION = 0x800;

/** DEVICE_OBJECT.Flags bits that matter to the model. */
export const DO_BUFFERED_IO = 0x4;
export const DO_DIRECT_IO = 0x10;
export const DO_DEVICE_INITIALIZING = 0x80;

/** Priority boosts passed to IoCompleteRequest (recorded, not simulated). */
export const IO_NO_INCREMENT = 0;
export const IO_DISK_INCREMENT = 1;

/** Bug check codes the model emits (windows-semantics.md §5). */
export const BUGCHECK = {
  IRQL_NOT_LESS_OR_EQUAL: 0x0a,
  IRQL_NOT_GREATER_OR_EQUAL: 0x09,
  SPIN_LOCK_ALREADY_OWNED: 0x0f,
  SPIN_LOCK_NOT_OWNED: 0x10,
  KMODE_EXCEPTION_NOT_HANDLED: 0x1e,
  NO_MORE_IRP_STACK_LOCATIONS: 0x35,
  MULTIPLE_IRP_COMPLETE_REQUESTS: 0x44,
  IRQL_GT_ZERO_AT_SYSTEM_SERVICE: 0x4a,
  CANCEL_STATE_IN_COMPLETED_IRP: 0x48,
  ATTEMPTED_SWITCH_FROM_DPC: 0xb8,
  BAD_POOL_CALLER: 0xc2,
  DRIVER_VERIFIER_DETECTED_VIOLATION: 0xc4,
  IRQL_UNEXPECTED_VALUE: 0xc8,
  DRIVER_VERIFIER_IOMANAGER_VIOLATION: 0xc9,
  DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS: 0xce,
  DRIVER_IRQL_NOT_LESS_OR_EQUAL: 0xd1,
  DPC_WATCHDOG_VIOLATION: 0x133,
} as const;
export type BugcheckName = keyof typeof BUGCHECK;
