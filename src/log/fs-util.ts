import { io } from "./file-io.js";
import * as path from "node:path";

/** Makes a directory's entries (new, renamed or removed files) durable. */
export function fsyncDirectory(dir: string): void {
  const fd = io.openSync(dir, "r");
  try {
    io.fsyncSync(fd);
  } finally {
    io.closeSync(fd);
  }
}

/** Replaces `file` atomically and durably: write a temp file, fsync it, rename, fsync the directory. */
export function writeFileDurably(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`;
  const fd = io.openSync(tmp, "w");
  try {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    for (let done = 0; done < bytes.length;) done += io.writeSync(fd, bytes, done, bytes.length - done, done);
    io.fsyncSync(fd);
  } finally {
    io.closeSync(fd);
  }
  io.renameSync(tmp, file);
  fsyncDirectory(path.dirname(file));
}

/** True for a directory name of the form `<topic>-<partition>`. */
export function isPartitionDirectoryName(name: string): boolean {
  return /-\d+$/.test(name);
}
