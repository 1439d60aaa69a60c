// Encoding and decoding of RecordBatch v2 for callers that hold plain records
// (HTTP, CLI, warehouse, internal topics). Record layout inside a batch:
//
//   length: varint  attributes: int8  timestampDelta: varlong  offsetDelta: varint
//   keyLength: varint  key: bytes  valueLength: varint  value: bytes
//   headersCount: varint  [headerKeyLength: varint  headerKey: utf8
//                          headerValueLength: varint  headerValue: bytes]*
//
// A length of -1 stands for null.

import {
  ATTRIBUTES, BASE_OFFSET, BASE_SEQUENCE, BASE_TIMESTAMP, BATCH_LENGTH, COMPRESSION_MASK,
  CONTROL_BIT, CURRENT_MAGIC, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC, MAX_TIMESTAMP,
  NO_PRODUCER_ID, NO_SEQUENCE, PARTITION_LEADER_EPOCH, PRODUCER_EPOCH, PRODUCER_ID, RECORD_COUNT,
  RECORDS, TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT, readBatchHeader, rewriteBatchCrc, writeInt64,
  type RecordBatchHeader,
} from "./record-batch-header.js";
import { Compression, compress, decompress } from "./compression.js";
import { readZigzag, writeZigzag, zigzagSize, type Decoded } from "./varint.js";

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A record as a producer hands it over. */
export interface PlainRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number;
}

/** A record read back from a batch, with its absolute offset. */
export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface EncodeOptions {
  compression?: Compression;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  logAppendTime?: boolean;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** A control batch (transaction markers; a coordinator's, never a producer's). */
  control?: boolean;
  /**
   * Offset delta of each record; defaults to 0..n-1. A compacted batch keeps the
   * original deltas (with gaps) and its original lastOffsetDelta.
   */
  offsetDeltas?: number[];
  lastOffsetDelta?: number;
}

export class RecordDecodeError extends Error {}

function bytesSize(b: Buffer | null): number {
  return b === null ? zigzagSize(-1) : zigzagSize(b.length) + b.length;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null): number {
  if (b === null) return writeZigzag(buf, pos, -1);
  pos = writeZigzag(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

function encodeRecords(records: PlainRecord[], baseTimestamp: number, offsetDeltas: number[]): Buffer {
  const bodies: { size: number; keyHeaders: Buffer[] }[] = [];
  let total = 0;
  records.forEach((r, i) => {
    const headerKeys = (r.headers ?? []).map((h) => Buffer.from(h.key, "utf8"));
    let size = 1 + zigzagSize((r.timestamp ?? baseTimestamp) - baseTimestamp) + zigzagSize(offsetDeltas[i]!);
    size += bytesSize(r.key) + bytesSize(r.value) + zigzagSize(headerKeys.length);
    (r.headers ?? []).forEach((h, j) => (size += bytesSize(headerKeys[j]!) + bytesSize(h.value)));
    bodies.push({ size, keyHeaders: headerKeys });
    total += zigzagSize(size) + size;
  });
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  records.forEach((r, i) => {
    const { size, keyHeaders } = bodies[i]!;
    pos = writeZigzag(buf, pos, size);
    buf[pos++] = 0;
    pos = writeZigzag(buf, pos, (r.timestamp ?? baseTimestamp) - baseTimestamp);
    pos = writeZigzag(buf, pos, offsetDeltas[i]!);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    pos = writeZigzag(buf, pos, keyHeaders.length);
    (r.headers ?? []).forEach((h, j) => {
      pos = writeBytes(buf, pos, keyHeaders[j]!);
      pos = writeBytes(buf, pos, h.value);
    });
  });
  return buf;
}

/**
 * Encodes `records` as one RecordBatch v2: at least one, unless
 * `lastOffsetDelta` is given (a batch whose records were all taken out still
 * carries its offsets and producer sequence numbers, as after compaction).
 */
export async function encodeRecordBatch(records: PlainRecord[], options: EncodeOptions = {}): Promise<Buffer> {
  if (records.length === 0 && options.lastOffsetDelta === undefined) throw new RangeError("a record batch needs at least one record");
  const now = Date.now();
  const stamped = records.map((r) => ({ ...r, timestamp: r.timestamp ?? now }));
  const baseTimestamp = stamped.length ? Math.min(...stamped.map((r) => r.timestamp)) : now;
  const maxTimestamp = stamped.length ? Math.max(...stamped.map((r) => r.timestamp)) : now;
  const offsetDeltas = options.offsetDeltas ?? stamped.map((_, i) => i);
  const codec = options.compression ?? Compression.None;
  const payload = await compress(codec, encodeRecords(stamped, baseTimestamp, offsetDeltas));
  const buf = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  writeInt64(buf, BASE_OFFSET, options.baseOffset ?? 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH);
  buf.writeInt8(CURRENT_MAGIC, MAGIC);
  let attributes = codec;
  if (options.logAppendTime) attributes |= TIMESTAMP_TYPE_BIT;
  if (options.transactional) attributes |= TRANSACTIONAL_BIT;
  if (options.control) attributes |= CONTROL_BIT;
  buf.writeInt16BE(attributes, ATTRIBUTES);
  buf.writeInt32BE(options.lastOffsetDelta ?? offsetDeltas[offsetDeltas.length - 1]!, LAST_OFFSET_DELTA);
  writeInt64(buf, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP, maxTimestamp);
  writeInt64(buf, PRODUCER_ID, options.producerId ?? NO_PRODUCER_ID);
  buf.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH);
  buf.writeInt32BE(options.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE);
  buf.writeInt32BE(records.length, RECORD_COUNT);
  payload.copy(buf, RECORDS);
  rewriteBatchCrc(buf, 0, buf.length);
  return buf;
}

function readBytes(buf: Buffer, d: Decoded, end: number, what: string): Buffer | null {
  readZigzag(buf, d.next, end, d);
  const length = d.value;
  if (length === -1) return null;
  if (length < 0 || d.next + length > end) throw new RecordDecodeError(`${what} length ${length} runs past its record`);
  const out = buf.subarray(d.next, d.next + length);
  d.next += length;
  return out;
}

/** A record as it lies in the batch, before timestamps and offsets are made absolute. */
export interface RawRecord {
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/**
 * Parses the uncompressed records section; every byte must belong to exactly
 * `count` records. Throws RecordDecodeError on anything malformed.
 */
export function parseRecords(buf: Buffer, count: number): RawRecord[] {
  const out: RawRecord[] = [];
  const d: Decoded = { value: 0, next: 0 };
  for (let i = 0; i < count; i++) {
    try {
      readZigzag(buf, d.next, buf.length, d);
      const length = d.value;
      const start = d.next;
      const end = start + length;
      if (length < 1 || end > buf.length) throw new RecordDecodeError(`record ${i} length ${length} runs past the batch`);
      d.next = start + 1; // attributes: unused in v2
      readZigzag(buf, d.next, end, d);
      const timestampDelta = d.value;
      readZigzag(buf, d.next, end, d);
      const offsetDelta = d.value;
      const key = readBytes(buf, d, end, "key");
      const value = readBytes(buf, d, end, "value");
      readZigzag(buf, d.next, end, d);
      const headerCount = d.value;
      if (headerCount < 0 || headerCount > end - d.next) throw new RecordDecodeError(`record ${i} header count ${headerCount} is invalid`);
      const headers: RecordHeader[] = [];
      for (let h = 0; h < headerCount; h++) {
        const hk = readBytes(buf, d, end, "header key");
        if (hk === null) throw new RecordDecodeError(`record ${i} header ${h} has a null key`);
        headers.push({ key: hk.toString("utf8"), value: readBytes(buf, d, end, "header value") });
      }
      if (d.next !== end) throw new RecordDecodeError(`record ${i} has ${end - d.next} bytes past its fields`);
      out.push({ timestampDelta, offsetDelta, key, value, headers });
    } catch (err) {
      if (err instanceof RecordDecodeError) throw err;
      throw new RecordDecodeError(`record ${i}: ${(err as Error).message}`);
    }
  }
  if (d.next !== buf.length) throw new RecordDecodeError(`${buf.length - d.next} bytes after the last of ${count} records`);
  return out;
}

/** The uncompressed records section of the batch in `batch` (one whole batch). */
export async function recordsSection(batch: Buffer, header: RecordBatchHeader, maxBytes: number): Promise<Buffer> {
  const payload = batch.subarray(RECORDS, LOG_OVERHEAD + header.batchLength);
  return decompress(header.attributes & COMPRESSION_MASK, payload, maxBytes);
}

export interface DecodedBatch {
  header: RecordBatchHeader;
  isControl: boolean;
  isTransactional: boolean;
  compression: Compression;
  records: DecodedRecord[];
  /** The records section, decompressed. */
  section: Buffer;
}

/** Decodes one whole batch (the buffer holds exactly that batch). */
export async function decodeRecordBatch(batch: Buffer, maxBytes = 256 * 1024 * 1024): Promise<DecodedBatch> {
  if (batch.length < HEADER_SIZE) throw new RecordDecodeError(`batch of ${batch.length} bytes is shorter than its header`);
  const header = readBatchHeader(batch, 0);
  if (header.magic !== CURRENT_MAGIC) throw new RecordDecodeError(`unsupported magic ${header.magic}`);
  if (LOG_OVERHEAD + header.batchLength !== batch.length) throw new RecordDecodeError("batch length does not match its buffer");
  const section = await recordsSection(batch, header, maxBytes);
  const raw = parseRecords(section, header.recordCount);
  const logAppendTime = (header.attributes & TIMESTAMP_TYPE_BIT) !== 0;
  return {
    header,
    isControl: (header.attributes & CONTROL_BIT) !== 0,
    isTransactional: (header.attributes & TRANSACTIONAL_BIT) !== 0,
    compression: header.attributes & COMPRESSION_MASK,
    records: raw.map((r) => ({
      offset: header.baseOffset + r.offsetDelta,
      timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + r.timestampDelta,
      key: r.key,
      value: r.value,
      headers: r.headers,
    })),
    section,
  };
}

/** Splits a buffer of consecutive whole batches into one buffer per batch. */
export function splitBatches(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos + LOG_OVERHEAD <= buf.length) {
    const size = LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH);
    if (size < HEADER_SIZE || pos + size > buf.length) break;
    out.push(buf.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}
