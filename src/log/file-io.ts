// Every file operation the storage engine makes, in one small interface, so
// that tests can put a simulated disk under the engine: one that keeps
// written-but-unsynced bytes apart and, on a simulated power cut, loses or
// tears them (test/sim/). The engine calls `io.*`; in production `io` is
// node:fs and nothing else.

import * as fs from "node:fs";

export interface FileStat {
  size: number;
  mtimeMs: number;
  birthtimeMs: number;
}

export interface DirectoryEntry {
  name: string;
  directory: boolean;
}

export interface FileIO {
  /** Flags as node:fs takes them: "r", "r+", "w", "wx", or O_* numbers (O_DSYNC honoured). */
  openSync(path: string, flags: string | number): number;
  closeSync(fd: number): void;
  readSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  writeSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number;
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number, done: (err: NodeJS.ErrnoException | null, bytesRead: number) => void): void;
  writev(fd: number, buffers: Buffer[], position: number, done: (err: NodeJS.ErrnoException | null, bytesWritten: number) => void): void;
  fdatasync(fd: number, done: (err: NodeJS.ErrnoException | null) => void): void;
  fdatasyncSync(fd: number): void;
  /** fsync of a file or a directory (a directory's fsync makes its entries durable). */
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  truncateSync(path: string, length: number): void;
  fstatSync(fd: number): FileStat;
  statSync(path: string): FileStat;
  existsSync(path: string): boolean;
  readdirSync(path: string): string[];
  listDirectory(path: string): DirectoryEntry[];
  mkdirSync(path: string): void;
  renameSync(from: string, to: string): void;
  /** Removes a file, or a directory with everything in it; a missing path is no error. */
  removeSync(path: string): void;
  readFileSync(path: string): Buffer;
  /** Creates `path` with `data`; `exclusive` fails with EEXIST when it exists. */
  createFileSync(path: string, data: string | Buffer, exclusive: boolean): void;
  realpathSync(path: string): string;
}

export const nodeFileIO: FileIO = {
  openSync: (path, flags) => fs.openSync(path, flags),
  closeSync: (fd) => fs.closeSync(fd),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  read: (fd, buffer, offset, length, position, done) => fs.read(fd, buffer, offset, length, position, done),
  writev: (fd, buffers, position, done) => fs.writev(fd, buffers, position, done),
  fdatasync: (fd, done) => fs.fdatasync(fd, done),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  truncateSync: (path, length) => fs.truncateSync(path, length),
  fstatSync: (fd) => fs.fstatSync(fd),
  statSync: (path) => fs.statSync(path),
  existsSync: (path) => fs.existsSync(path),
  readdirSync: (path) => fs.readdirSync(path),
  listDirectory: (path) => fs.readdirSync(path, { withFileTypes: true }).map((e) => ({ name: e.name, directory: e.isDirectory() })),
  mkdirSync: (path) => void fs.mkdirSync(path, { recursive: true }),
  renameSync: (from, to) => fs.renameSync(from, to),
  removeSync: (path) => fs.rmSync(path, { recursive: true, force: true }),
  readFileSync: (path) => fs.readFileSync(path),
  createFileSync: (path, data, exclusive) => fs.writeFileSync(path, data, { flag: exclusive ? "wx" : "w" }),
  realpathSync: (path) => fs.realpathSync(path),
};

/** The file operations the engine uses: node:fs, unless a test put a simulated disk in. */
export const io: FileIO = { ...nodeFileIO };

/** Puts `impl` under the engine (tests); `useFileIO(nodeFileIO)` restores the real one. */
export function useFileIO(impl: FileIO): void {
  Object.assign(io, impl);
}
