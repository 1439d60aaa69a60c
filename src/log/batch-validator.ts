// Checks a producer's RecordBatch before a byte of it is written: lengths,
// magic, CRC, record count and offset deltas, timestamps, and the topic's own
// rules. A bad batch raises a typed LogError that maps to a Kafka error code.

import {
  ATTRIBUTES, BATCH_LENGTH, COMPRESSION_MASK, CONTROL_BIT, CURRENT_MAGIC, HEADER_SIZE, LOG_OVERHEAD,
  MAX_TIMESTAMP, NO_TIMESTAMP, TIMESTAMP_TYPE_BIT, batchCrcMatches, readBatchHeader, rewriteBatchCrc, writeInt64,
  type RecordBatchHeader,
} from "../protocol/record-batch-header.js";
import { COMPRESSION_NAMES, Compression, compress } from "../protocol/compression.js";
import type { CompressionType, TopicConfig } from "./topic-config.js";
import type { AppendOptions } from "./store.js";
import { recordsSection } from "../protocol/record-batch-codec.js";
import { readZigzag, VarintError, type Decoded } from "../protocol/varint.js";
import { CorruptBatchError, InvalidRecordError, InvalidTimestampError, MessageTooLargeError, decompressionRefusal } from "./errors.js";


export interface BatchRules {
  maxMessageBytes: number;
  /** Compacted topics need a key on every record. */
  requireKeys: boolean;
  logAppendTime: boolean;
  /** The codec batches are stored with; undefined keeps the producer's (compression.type=producer). */
  compression?: Compression;
  /** CreateTime records outside [now - before, now + after] are refused (INVALID_TIMESTAMP). */
  timestampBeforeMaxMs?: number;
  timestampAfterMaxMs?: number;
  /** Internal writers (coordinators) may write control batches; producers may not. */
  allowControl?: boolean;
  /** Offset deltas may skip (a producer's batch with records taken out); see AppendOptions.sparse. */
  sparse?: boolean;
}

export interface ValidatedBatch {
  /** The batch to write: the producer's buffer, or a new one when the topic recompresses. */
  batch: Buffer;
  header: RecordBatchHeader;
  size: number;
  /** The maxTimestamp stored once the batch is appended. */
  maxTimestamp: number;
}

interface RecordScan {
  minTimestampDelta: number;
  maxTimestampDelta: number;
  hasNullKey: boolean;
}

function skipBytesField(buf: Buffer, d: Decoded, end: number, what: string, i: number): boolean {
  readZigzag(buf, d.next, end, d);
  if (d.value === -1) return true;
  if (d.value < 0 || d.next + d.value > end) throw new InvalidRecordError(`record ${i}: ${what} length ${d.value} runs past the record`);
  d.next += d.value;
  return false;
}

/**
 * Walks the records section without allocating per record (this is the
 * append hot path): every byte must belong to exactly `count` records whose
 * offset deltas run 0..count-1 (sparse: rise, up to lastOffsetDelta).
 */
function scanRecords(buf: Buffer, count: number, lastOffsetDelta: number, sparse: boolean): RecordScan {
  const d: Decoded = { value: 0, next: 0 };
  const scan: RecordScan = { minTimestampDelta: Infinity, maxTimestampDelta: -Infinity, hasNullKey: false };
  let previousDelta = -1;
  try {
    for (let i = 0; i < count; i++) {
      readZigzag(buf, d.next, buf.length, d);
      const end = d.next + d.value;
      if (d.value < 1 || end > buf.length) throw new InvalidRecordError(`record ${i}: length ${d.value} runs past the batch`);
      d.next += 1;
      readZigzag(buf, d.next, end, d);
      scan.minTimestampDelta = Math.min(scan.minTimestampDelta, d.value);
      scan.maxTimestampDelta = Math.max(scan.maxTimestampDelta, d.value);
      readZigzag(buf, d.next, end, d);
      if (sparse ? d.value <= previousDelta || d.value > lastOffsetDelta : d.value !== i) {
        throw new InvalidRecordError(`record ${i}: offset delta ${d.value}, expected ${sparse ? `above ${previousDelta} and at most ${lastOffsetDelta}` : i}`);
      }
      previousDelta = d.value;
      if (skipBytesField(buf, d, end, "key", i)) scan.hasNullKey = true;
      skipBytesField(buf, d, end, "value", i);
      readZigzag(buf, d.next, end, d);
      const headers = d.value;
      if (headers < 0 || headers > end - d.next) throw new InvalidRecordError(`record ${i}: header count ${headers} is invalid`);
      for (let h = 0; h < headers; h++) {
        if (skipBytesField(buf, d, end, "header key", i)) throw new InvalidRecordError(`record ${i}: header ${h} has a null key`);
        skipBytesField(buf, d, end, "header value", i);
      }
      if (d.next !== end) throw new InvalidRecordError(`record ${i}: ${end - d.next} bytes past its fields`);
    }
  } catch (err) {
    if (err instanceof VarintError) throw new InvalidRecordError(`malformed record: ${err.message}`);
    throw err;
  }
  if (d.next !== buf.length) throw new InvalidRecordError(`${buf.length - d.next} bytes after the last of ${count} records`);
  return scan;
}

/**
 * Validates the single batch in `batch` (exactly one whole batch). May rewrite
 * maxTimestamp (and then the CRC), as Kafka does, when the producer's value is
 * not the batch's true maximum or the topic uses LogAppendTime.
 */
export async function validateBatch(batch: Buffer, rules: BatchRules, now: number, decompressedRecords?: Buffer): Promise<ValidatedBatch> {
  if (batch.length < HEADER_SIZE) throw new CorruptBatchError(`batch of ${batch.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  const size = LOG_OVERHEAD + batch.readInt32BE(BATCH_LENGTH);
  if (size !== batch.length) throw new CorruptBatchError(`batchLength says ${size} bytes but ${batch.length} were given`);
  if (size > rules.maxMessageBytes) throw new MessageTooLargeError(`batch of ${size} bytes exceeds max.message.bytes=${rules.maxMessageBytes}`);
  const header = readBatchHeader(batch, 0);
  if (header.magic !== CURRENT_MAGIC) throw new CorruptBatchError(`magic ${header.magic} is not supported (only 2)`);
  if (!batchCrcMatches(batch, 0, size)) throw new CorruptBatchError("CRC32C does not match the batch bytes");
  if ((header.attributes & CONTROL_BIT) !== 0 && !rules.allowControl) throw new InvalidRecordError("producers may not write control batches");
  const codec = header.attributes & COMPRESSION_MASK;
  if (codec > 4) throw new InvalidRecordError(`unknown compression codec ${codec}`);
  if (rules.sparse) {
    // Every record may have been taken out: the empty batch still carries the producer's sequence numbers.
    if (header.recordCount < 0 || header.lastOffsetDelta < header.recordCount - 1) {
      throw new InvalidRecordError(`lastOffsetDelta ${header.lastOffsetDelta} is below ${header.recordCount} records`);
    }
  } else {
    if (header.recordCount < 1) throw new InvalidRecordError(`record count ${header.recordCount}; a batch needs at least one record`);
    if (header.lastOffsetDelta !== header.recordCount - 1) {
      throw new InvalidRecordError(`lastOffsetDelta ${header.lastOffsetDelta} does not match ${header.recordCount} records`);
    }
  }
  let records: Buffer;
  if (decompressedRecords && codec !== Compression.None) {
    records = decompressedRecords;
  } else {
    try {
      // A compressed batch may expand to no more than the topic's max.message.bytes:
      // one small request must not be able to claim gigabytes.
      records = await recordsSection(batch, header, rules.maxMessageBytes);
    } catch (err) {
      throw decompressionRefusal(err);
    }
  }
  const scan = scanRecords(records, header.recordCount, header.lastOffsetDelta, rules.sparse === true);
  if (header.recordCount === 0) return { batch, header, size, maxTimestamp: header.maxTimestamp };
  if (rules.requireKeys && scan.hasNullKey) throw new InvalidRecordError("compacted topics need a key on every record");
  let maxTimestamp = header.baseTimestamp + scan.maxTimestampDelta;
  if (header.baseTimestamp === NO_TIMESTAMP && scan.minTimestampDelta === 0 && scan.maxTimestampDelta === 0) maxTimestamp = NO_TIMESTAMP;
  else if (header.baseTimestamp + scan.minTimestampDelta < 0) throw new InvalidTimestampError("record timestamps must not be negative");
  let attributes = header.attributes;
  if (!rules.logAppendTime && (attributes & TIMESTAMP_TYPE_BIT) === 0 && maxTimestamp !== NO_TIMESTAMP) {
    checkTimestampWindow(header.baseTimestamp + scan.minTimestampDelta, header.baseTimestamp + scan.maxTimestampDelta, rules, now);
  }
  if (rules.logAppendTime) {
    attributes |= TIMESTAMP_TYPE_BIT;
    maxTimestamp = now;
  } else if ((attributes & TIMESTAMP_TYPE_BIT) !== 0) {
    // A producer-stamped LogAppendTime batch keeps the time the producer claims.
    maxTimestamp = header.maxTimestamp;
  }
  if (maxTimestamp !== header.maxTimestamp || attributes !== header.attributes) {
    batch.writeInt16BE(attributes, ATTRIBUTES);
    writeInt64(batch, MAX_TIMESTAMP, maxTimestamp);
    rewriteBatchCrc(batch, 0, size);
  }
  if (rules.compression !== undefined && codec !== rules.compression && (attributes & CONTROL_BIT) === 0) {
    const recompressed = await recompress(batch, records, rules.compression);
    if (recompressed.length > rules.maxMessageBytes) {
      throw new MessageTooLargeError(`batch of ${recompressed.length} bytes after recompression exceeds max.message.bytes=${rules.maxMessageBytes}`);
    }
    return { batch: recompressed, header: readBatchHeader(recompressed, 0), size: recompressed.length, maxTimestamp };
  }
  return { batch, header, size, maxTimestamp };
}

/** The rules a topic's config and an append's options set for its batches. */
export function batchRules(config: TopicConfig, options: AppendOptions): BatchRules {
  return {
    maxMessageBytes: config.maxMessageBytes,
    requireKeys: config.cleanupPolicy !== "delete",
    logAppendTime: config.logAppendTime,
    compression: storedCodec(config.compressionType),
    timestampBeforeMaxMs: config.timestampBeforeMaxMs,
    timestampAfterMaxMs: config.timestampAfterMaxMs,
    allowControl: options.allowControl,
    sparse: options.sparse,
  };
}

/** The codec compression.type stores batches with; undefined for "producer" (keep theirs). */
export function storedCodec(type: CompressionType): Compression | undefined {
  if (type === "producer") return undefined;
  return type === "uncompressed" ? Compression.None : COMPRESSION_NAMES[type];
}

/** Kafka's CreateTime window: every record within [now - before, now + after]. */
function checkTimestampWindow(oldest: number, newest: number, rules: BatchRules, now: number): void {
  const before = rules.timestampBeforeMaxMs ?? Infinity;
  const after = rules.timestampAfterMaxMs ?? Infinity;
  if (oldest < now - before) {
    throw new InvalidTimestampError(`record timestamp ${oldest} is more than message.timestamp.before.max.ms=${before} behind the broker's clock ${now}`);
  }
  if (newest > now + after) {
    throw new InvalidTimestampError(`record timestamp ${newest} is more than message.timestamp.after.max.ms=${after} ahead of the broker's clock ${now}`);
  }
}

/** The same batch with its records section compressed with `codec` (compression.type), header and CRC rewritten. */
async function recompress(batch: Buffer, records: Buffer, codec: Compression): Promise<Buffer> {
  const body = await compress(codec, records);
  const out = Buffer.allocUnsafe(HEADER_SIZE + body.length);
  batch.copy(out, 0, 0, HEADER_SIZE);
  body.copy(out, HEADER_SIZE);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES) & ~COMPRESSION_MASK) | codec, ATTRIBUTES);
  rewriteBatchCrc(out, 0, out.length);
  return out;
}
