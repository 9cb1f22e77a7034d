import * as fs from 'node:fs';

/**
 * The file operations the Arrow sink uses: node:fs by default; tests inject failures (ENOSPC)
 * through it.
 */
export interface FileIo {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
}

export const NODE_FILE_IO: FileIo = Object.freeze({
  openSync: (path: string, flags: string) => fs.openSync(path, flags),
  writeSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => fs.writeSync(fd, buffer, offset, length),
  fsyncSync: (fd: number) => fs.fsyncSync(fd),
  closeSync: (fd: number) => fs.closeSync(fd),
  renameSync: (from: string, to: string) => fs.renameSync(from, to),
});

/** Writes all of `bytes`, however many calls the kernel needs. */
export function writeAll(io: FileIo, fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += io.writeSync(fd, bytes, offset, bytes.length - offset);
}
