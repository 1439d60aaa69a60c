// One process owns a data directory. Node has no flock(), so the lock is a
// file created with O_EXCL holding the owner's pid and process start time; a
// lock left by a dead process (SIGKILL, power loss) is taken over. The start
// time guards against a recycled pid.

import * as fs from "node:fs";
import { io } from "./file-io.js";
import * as path from "node:path";
import { DataDirLockedError } from "./errors.js";

export const LOCK_FILE = "tributary.lock";

const heldInThisProcess = new Set<string>();

function processStartTime(pid: number): string {
  try {
    // Field 22 of /proc/<pid>/stat, after the parenthesised command name.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

function isAlive(pid: number, startTime: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  const current = processStartTime(pid);
  return current === "" || startTime === "" || current === startTime;
}

export class DataDirLock {
  private constructor(readonly dir: string, private readonly file: string) {}

  static acquire(dir: string): DataDirLock {
    const real = io.realpathSync(dir);
    if (heldInThisProcess.has(real)) throw new DataDirLockedError(`data dir ${dir} is already open in this process`);
    const file = path.join(real, LOCK_FILE);
    const content = JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid), since: new Date().toISOString() });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        io.createFileSync(file, content, true);
        heldInThisProcess.add(real);
        return new DataDirLock(real, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      let owner: { pid?: number; startTime?: string; since?: string } = {};
      try {
        owner = JSON.parse(io.readFileSync(file).toString("utf8"));
      } catch {
        // Unreadable or half-written: its writer died between create and write.
      }
      const ownerIsUs = owner.pid === process.pid && owner.startTime === processStartTime(process.pid);
      if (typeof owner.pid === "number" && !ownerIsUs && isAlive(owner.pid, owner.startTime ?? "")) {
        throw new DataDirLockedError(
          `data dir ${dir} is in use by process ${owner.pid} (since ${owner.since ?? "?"}); stop it first, or use another --data-dir`,
        );
      }
      io.removeSync(file); // stale: its owner is gone
    }
    throw new DataDirLockedError(`could not take the lock ${file}: another process keeps racing for it`);
  }

  release(): void {
    io.removeSync(this.file);
    heldInThisProcess.delete(this.dir);
  }
}
