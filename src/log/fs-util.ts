import * as fs from "node:fs";
import * as path from "node:path";

/** Makes a directory's entries (new, renamed or removed files) durable. */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces `file` atomically and durably: write a temp file, fsync it, rename, fsync the directory. */
export function writeFileDurably(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDirectory(path.dirname(file));
}

/** True for a directory name of the form `<topic>-<partition>`. */
export function isPartitionDirectoryName(name: string): boolean {
  return /-\d+$/.test(name);
}
