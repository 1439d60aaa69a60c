// The data directory's checkpoint: per partition, the recovery point (where a
// crash recovery starts scanning), the log start offset and how far compaction
// got. Written atomically (temp file, fsync, rename), so it is always either
// the old or the new version.

import { io } from "./file-io.js";
import * as path from "node:path";
import type { PartitionCheckpoint } from "./partition-recovery.js";
import { writeFileDurably } from "./fs-util.js";
import { opsLog } from "../ops/ops-log.js";

export const CHECKPOINT_FILE = "checkpoint.json";
export const CLEAN_SHUTDOWN_FILE = ".clean-shutdown";

export type Checkpoints = Record<string, PartitionCheckpoint>;

export function readCheckpoints(dataDir: string): Checkpoints {
  const file = path.join(dataDir, CHECKPOINT_FILE);
  if (!io.existsSync(file)) return {};
  try {
    const parsed = JSON.parse(io.readFileSync(file).toString("utf8")) as { version: number; partitions: Checkpoints };
    return parsed.version === 1 ? parsed.partitions : {};
  } catch {
    // A damaged checkpoint only costs a longer recovery: every segment is then verified.
    opsLog("log").warn({ file }, `${file} is unreadable; recovering every partition from its first segment`);
    return {};
  }
}

export function writeCheckpoints(dataDir: string, partitions: Checkpoints): void {
  writeFileDurably(path.join(dataDir, CHECKPOINT_FILE), JSON.stringify({ version: 1, partitions }));
}
