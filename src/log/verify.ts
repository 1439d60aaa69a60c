// `tributary log verify`: reads a data directory without changing a byte and
// reports every batch that fails its checks (length, magic, offsets, CRC32C)
// and every index entry that points anywhere but a batch start.

import * as fs from "node:fs";
import * as path from "node:path";
import { Segment } from "./segment.js";
import { nextIntactBatch } from "./segment-walk.js";
import { CLEAN_SHUTDOWN_FILE } from "./checkpoint-file.js";
import { isPartitionDirectoryName } from "./fs-util.js";
import { parseRecords } from "../protocol/record-batch-codec.js";
import { ATTRIBUTES, COMPRESSION_MASK, HEADER_SIZE, RECORD_COUNT } from "../protocol/record-batch-header.js";

/** What the catalog (the metadata topic) says of one topic. */
interface CatalogTopic {
  partitions: number;
  compacted: boolean;
}

const METADATA_PARTITION = "__tributary_metadata-0";

export interface Problem {
  file: string;
  position: number;
  reason: string;
}

export interface VerifyReport {
  partitions: number;
  segments: number;
  batches: number;
  bytes: number;
  problems: Problem[];
  /**
   * After a crash (no clean-shutdown mark), the newest segment of a partition
   * may end in a torn write: never acknowledged, and cut by recovery at the
   * next start. Reported, but no problem.
   */
  tornTails: Problem[];
}

interface BatchAt {
  baseOffset: number;
  maxTimestamp: number;
}

// Index entries past the first damaged batch, or past the end of the log, cannot be
// checked against anything: they are skipped (recovery drops them).
function indexMissing(file: string, problems: Problem[], active: boolean): boolean {
  if (fs.existsSync(file)) return false;
  // A crash while rolling leaves the newest segment without its index files yet: start-up
  // creates them, as it does for any active segment. A closed segment had them.
  if (!active) problems.push({ file, position: 0, reason: "index file is missing (the broker rebuilds it, reading the whole segment)" });
  return true;
}

function verifyOffsetIndex(file: string, baseOffset: number, batches: Map<number, BatchAt>, verifiedBytes: number, problems: Problem[], active: boolean): void {
  if (indexMissing(file, problems, active)) return;
  const buf = fs.readFileSync(file);
  if (buf.length % 8 !== 0) problems.push({ file, position: buf.length - (buf.length % 8), reason: `size ${buf.length} is not a multiple of 8` });
  let previous = -1;
  for (let pos = 0; pos + 8 <= buf.length; pos += 8) {
    const rel = buf.readInt32BE(pos);
    const position = buf.readInt32BE(pos + 4);
    const batch = batches.get(position);
    if (position >= verifiedBytes) break;
    if (rel <= previous) problems.push({ file, position: pos, reason: `entry offset ${baseOffset + rel} does not increase` });
    else if (!batch) problems.push({ file, position: pos, reason: `entry points to byte ${position}, which is not a batch start` });
    else if (batch.baseOffset !== baseOffset + rel) {
      problems.push({ file, position: pos, reason: `entry says offset ${baseOffset + rel} but the batch at byte ${position} starts at ${batch.baseOffset}` });
    }
    previous = rel;
  }
}

function verifyTimeIndex(file: string, baseOffset: number, byOffset: Map<number, BatchAt>, verifiedOffsets: number, problems: Problem[], active: boolean): void {
  if (indexMissing(file, problems, active)) return;
  const buf = fs.readFileSync(file);
  if (buf.length % 12 !== 0) problems.push({ file, position: buf.length - (buf.length % 12), reason: `size ${buf.length} is not a multiple of 12` });
  let previous = -Infinity;
  for (let pos = 0; pos + 12 <= buf.length; pos += 12) {
    const timestamp = Number(buf.readBigInt64BE(pos));
    const offset = baseOffset + buf.readInt32BE(pos + 8);
    const batch = byOffset.get(offset);
    if (offset >= verifiedOffsets) break;
    if (timestamp <= previous) problems.push({ file, position: pos, reason: `timestamp ${timestamp} does not increase` });
    else if (!batch) problems.push({ file, position: pos, reason: `entry names offset ${offset}, where no batch starts` });
    else if (batch.maxTimestamp !== timestamp) problems.push({ file, position: pos, reason: `entry says ${timestamp} but the batch at offset ${offset} has max timestamp ${batch.maxTimestamp}` });
    previous = timestamp;
  }
}

/** The topics the metadata topic names, read without changing a byte (its batches are never compressed). */
function readCatalog(dataDir: string): Map<string, CatalogTopic> {
  const topics = new Map<string, CatalogTopic>();
  const dir = path.join(dataDir, METADATA_PARTITION);
  if (!fs.existsSync(dir)) return topics;
  const bases = fs.readdirSync(dir).filter((n) => /^\d{20}\.log$/.test(n)).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
  for (const base of bases) {
    const segment = Segment.openReadOnly(dir, base);
    try {
      for (const batch of segment.walk(0, segment.size, true)) {
        const bytes = batch.bytes!;
        if ((bytes.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK) !== 0) continue;
        for (const r of parseRecords(bytes.subarray(HEADER_SIZE), bytes.readInt32BE(RECORD_COUNT))) {
          const key = r.key?.toString("utf8") ?? "";
          if (!key.startsWith("topic/")) continue;
          if (r.value === null) topics.delete(key.slice(6));
          else {
            const record = JSON.parse(r.value.toString("utf8")) as { partitions: number; configs: Record<string, string> };
            topics.set(key.slice(6), { partitions: record.partitions, compacted: (record.configs["cleanup.policy"] ?? "").includes("compact") });
          }
        }
      }
    } finally {
      segment.close();
    }
  }
  return topics;
}

function verifyPartition(dir: string, report: VerifyReport, compacted: boolean, crashed: boolean): void {
  const bases = fs.readdirSync(dir).filter((n) => /^\d{20}\.log$/.test(n)).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
  let expectedNext = -1;
  for (const [i, base] of bases.entries()) {
    const active = i === bases.length - 1;
    const segment = Segment.openReadOnly(dir, base);
    report.segments++;
    report.bytes += segment.size;
    const byPosition = new Map<number, BatchAt>();
    const byOffset = new Map<number, BatchAt>();
    let verifiedBytes = segment.size;
    if (base < expectedNext) report.problems.push({ file: segment.logPath, position: 0, reason: `segment starts at ${base}, inside the previous segment (ends at ${expectedNext})` });
    // Only compaction may leave offsets out between segments; anywhere else a gap is lost data.
    if (expectedNext >= 0 && base > expectedNext && !compacted) {
      report.problems.push({ file: segment.logPath, position: 0, reason: `offsets ${expectedNext} to ${base - 1} are missing between this segment and the previous one` });
    }
    try {
      const walker = segment.walk(0, segment.size, true);
      for (let step = walker.next(); ; step = walker.next()) {
        if (step.done) {
          if (step.value) {
            // Only a tail that runs to the end of the newest segment is torn; damage with intact batches after it is damage.
            const torn = crashed && active && !hasIntactBatchAfter(segment, step.value.position);
            (torn ? report.tornTails : report.problems).push({ file: segment.logPath, ...step.value });
            verifiedBytes = step.value.position;
          }
          break;
        }
        const b = step.value;
        report.batches++;
        byPosition.set(b.position, { baseOffset: b.baseOffset, maxTimestamp: b.maxTimestamp });
        byOffset.set(b.baseOffset, { baseOffset: b.baseOffset, maxTimestamp: b.maxTimestamp });
        expectedNext = b.lastOffset + 1;
      }
    } finally {
      segment.close();
    }
    const stem = path.join(dir, String(base).padStart(20, "0"));
    verifyOffsetIndex(`${stem}.index`, base, byPosition, verifiedBytes, report.problems, active);
    // Entries past the last intact batch (an index written ahead of its data before a crash) are dropped by recovery, not damage.
    verifyTimeIndex(`${stem}.timeindex`, base, byOffset, expectedNext, report.problems, active);
  }
}

/** True when an intact batch (whole, CRC matching) starts anywhere after `position`. */
function hasIntactBatchAfter(segment: Segment, position: number): boolean {
  return nextIntactBatch((at, length) => segment.readAt(at, length), position + 1, segment.size, 0) >= 0;
}

export function verifyDataDir(dataDir: string): VerifyReport {
  const report: VerifyReport = { partitions: 0, segments: 0, batches: 0, bytes: 0, problems: [], tornTails: [] };
  const crashed = !fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE));
  const catalog = readCatalog(dataDir);
  for (const [name, topic] of catalog) {
    for (let p = 0; p < topic.partitions; p++) {
      const dir = path.join(dataDir, `${name}-${p}`);
      if (!fs.existsSync(dir)) report.problems.push({ file: dir, position: 0, reason: `partition directory is missing, though the catalog names partition ${p} of '${name}'` });
    }
  }
  for (const entry of fs.readdirSync(dataDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || !isPartitionDirectoryName(entry.name)) continue;
    report.partitions++;
    const topic = catalog.get(entry.name.slice(0, entry.name.lastIndexOf("-")));
    // The internal topics are compacted; a directory the catalog does not know is checked as if it were.
    verifyPartition(path.join(dataDir, entry.name), report, topic?.compacted ?? true, crashed);
  }
  return report;
}
