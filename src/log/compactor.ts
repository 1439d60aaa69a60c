// Log compaction (cleanup.policy=compact): keep only the latest record for each
// key in the closed segments, and drop tombstones (null values) once they are
// older than delete.retention.ms. Offsets never change: a rewritten batch keeps
// its base offset and its records keep their offset deltas, with gaps where
// records were removed. The active segment is never touched.

import { io } from "./file-io.js";
import { decodeRecordBatch, encodeRecordBatch, type DecodedBatch } from "../protocol/record-batch-codec.js";
import { TIMESTAMP_TYPE_BIT } from "../protocol/record-batch-header.js";
import type { PartitionLog } from "./partition-log.js";
import type { Segment } from "./segment.js";
import { inAbortedTransaction } from "./store.js";

export interface CompactionResult {
  segmentsRewritten: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Earliest time at which a kept tombstone may be dropped (Infinity if none). */
  nextTombstoneExpiry: number;
}

async function* batchesOf(segment: Segment): AsyncGenerator<{ bytes: Buffer; decoded: DecodedBatch }> {
  segment.ensureLoaded();
  for (const batch of segment.walk(0, segment.size, true)) {
    yield { bytes: Buffer.from(batch.bytes!), decoded: await decodeRecordBatch(batch.bytes!) };
  }
}

/** Dirty share of the closed log: bytes not yet compacted over all closed bytes. */
export function dirtyRatio(log: PartitionLog): number {
  let total = 0;
  let dirty = 0;
  for (const s of log.closedSegments()) {
    total += s.size;
    if (s.baseOffset >= log.cleanedUpTo) dirty += s.size;
  }
  return total === 0 ? 0 : dirty / total;
}

export async function compactPartition(log: PartitionLog, now: number): Promise<CompactionResult> {
  const closed = log.closedSegments();
  const result: CompactionResult = { segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0, nextTombstoneExpiry: Infinity };
  if (closed.length === 0) return result;
  const latest = new Map<string, number>();
  // An aborted transaction's records never count as a key's latest value, and go (as Kafka's cleaner removes them); markers stay.
  const aborted = log.abortedTransactions(closed[0]!.baseOffset, closed[closed.length - 1]!.nextOffset);
  const isAborted = (decoded: DecodedBatch) => decoded.isTransactional && !decoded.isControl &&
    inAbortedTransaction(aborted, decoded.header.producerId, decoded.header.baseOffset);
  for (const segment of closed) {
    for await (const { decoded } of batchesOf(segment)) {
      if (decoded.isControl || isAborted(decoded)) continue;
      for (const r of decoded.records) if (r.key) latest.set(r.key.toString("latin1"), r.offset);
    }
  }
  const horizon = now - log.topicConfig.deleteRetentionMs;
  for (const segment of closed) {
    const kept: Buffer[] = [];
    let removed = 0;
    // A tombstone without a timestamp is as old as its segment's last write (as in Kafka), not infinitely old.
    const segmentTime = segment.retentionTimestamp;
    for await (const { bytes, decoded } of batchesOf(segment)) {
      if (decoded.isControl) {
        kept.push(bytes);
        continue;
      }
      const abortedBatch = isAborted(decoded);
      const keep = decoded.records.filter((r) => {
        if (abortedBatch || !r.key || latest.get(r.key.toString("latin1")) !== r.offset) return false;
        if (r.value !== null) return true;
        const written = r.timestamp >= 0 ? r.timestamp : segmentTime;
        if (written < horizon) return false;
        result.nextTombstoneExpiry = Math.min(result.nextTombstoneExpiry, written + log.topicConfig.deleteRetentionMs);
        return true;
      });
      removed += decoded.records.length - keep.length;
      if (keep.length === decoded.records.length) kept.push(bytes);
      else if (keep.length > 0) {
        const h = decoded.header;
        kept.push(await encodeRecordBatch(keep, {
          compression: decoded.compression,
          baseOffset: h.baseOffset,
          partitionLeaderEpoch: h.partitionLeaderEpoch,
          logAppendTime: (h.attributes & TIMESTAMP_TYPE_BIT) !== 0,
          producerId: h.producerId,
          producerEpoch: h.producerEpoch,
          baseSequence: h.baseSequence,
          transactional: decoded.isTransactional,
          offsetDeltas: keep.map((r) => r.offset - h.baseOffset),
          lastOffsetDelta: h.lastOffsetDelta,
        }));
      }
    }
    result.bytesBefore += segment.size;
    if (removed === 0) {
      result.bytesAfter += segment.size;
      continue;
    }
    const cleanedPath = `${segment.logPath}.cleaned`;
    const fd = io.openSync(cleanedPath, "w");
    try {
      let position = 0;
      for (const b of kept) position += io.writeSync(fd, b, 0, b.length, position);
      io.fdatasyncSync(fd);
    } finally {
      io.closeSync(fd);
    }
    log.replaceSegment(segment, cleanedPath, kept.length === 0);
    result.segmentsRewritten++;
    result.recordsRemoved += removed;
    result.bytesAfter += kept.reduce((n, b) => n + b.length, 0);
  }
  log.cleanedUpTo = closed[closed.length - 1]!.nextOffset;
  return result;
}
