// Opening a partition's directory after a clean stop or a crash: its segments
// listed and checked from the last recovery point, a torn tail cut (it was
// never acknowledged), and what the partition persists between starts.

import { io } from "./file-io.js";
import * as path from "node:path";
import { StorageError } from "./errors.js";
import { fsyncDirectory } from "./fs-util.js";
import type { RecoveryPoint } from "./group-commit.js";
import type { ProducerEntry } from "./producer-state.js";
import { Segment } from "./segment.js";
import type { Damage } from "./segment-walk.js";
import type { TransactionSnapshot } from "./transaction-index.js";

/** What a partition persists in the data directory's checkpoint file. */
export interface PartitionCheckpoint {
  recoveryPoint?: RecoveryPoint;
  logStartOffset: number;
  /** Compaction has cleaned every closed segment below this offset. */
  cleanedUpTo: number;
  /** Idempotent producers as of `offset` (the log end when the checkpoint was taken). */
  producers?: { offset: number; entries: [number, ProducerEntry][] };
  /** Open and aborted transactions as of `offset`. */
  transactions?: { offset: number } & TransactionSnapshot;
}

export interface OpenReport {
  /** Bytes cut from a torn or corrupt tail. */
  truncatedBytes: number;
  damage?: Damage & { file: string };
  segmentsScanned: number;
}

/**
 * The partition's segments, oldest first, never none (an empty directory
 * gets its first segment). Left-overs of interrupted deletions and
 * compactions are removed first.
 */
export function recoverSegments(dir: string, indexIntervalBytes: number, checkpoint: PartitionCheckpoint | undefined, clean: boolean, report: OpenReport): Segment[] {
  if (!io.existsSync(dir)) {
    io.mkdirSync(dir);
    fsyncDirectory(path.dirname(dir));
  }
  for (const name of io.readdirSync(dir)) {
    if (name.endsWith(".deleted") || name.endsWith(".cleaned")) io.removeSync(path.join(dir, name));
  }
  const bases = io.readdirSync(dir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
  const segments = bases.map((base) => Segment.open(dir, base, indexIntervalBytes));
  recover(segments, checkpoint, clean, report);
  if (segments.length === 0) {
    const start = Math.max(checkpoint?.logStartOffset ?? 0, checkpoint?.recoveryPoint?.offset ?? 0);
    segments.push(Segment.create(dir, start, indexIntervalBytes));
    fsyncDirectory(dir);
  }
  return segments;
}

/**
 * Data before the recovery point is durable: damage there is a damaged
 * disk, kept and stepped over (see Segment.rebuild). Data after it may be
 * torn, and pipelined rounds may even have landed out of order (a later
 * round's bytes after an earlier round's hole, in the active segment or in
 * one rolled while a write was in flight): none of it was acknowledged, so
 * it is cut at the first damage, later segments included.
 */
function recover(segments: Segment[], checkpoint: PartitionCheckpoint | undefined, clean: boolean, report: OpenReport): void {
  const rp = checkpoint?.recoveryPoint;
  const last = segments.length - 1;
  for (let i = 0; i <= last; i++) {
    const segment = segments[i]!;
    let result;
    if (clean && i < last) continue; // closed and intact: loaded on first use
    if (clean || (rp && segment.baseOffset < rp.segment)) {
      if (i < last) continue;
      result = segment.loadTrusted();
    } else if (rp && segment.baseOffset === rp.segment && rp.position <= segment.size) {
      result = segment.recover(rp.position, rp.offset);
    } else {
      result = segment.recover(0);
    }
    report.segmentsScanned++;
    if (result.truncatedBytes > 0) {
      report.truncatedBytes += result.truncatedBytes;
      report.damage ??= result.damage && { ...result.damage, file: segment.logPath };
      // Nothing after damage is trusted: later segments would leave a hole in the offsets.
      for (const later of segments.splice(i + 1)) {
        report.truncatedBytes += later.size;
        later.delete();
      }
      break;
    }
    const next = segments[i + 1];
    if (next && next.baseOffset < segment.nextOffset) {
      throw new StorageError(`${next.logPath} starts at ${next.baseOffset}, inside the previous segment (ends at ${segment.nextOffset})`);
    }
  }
}
