// Walking the batches of a segment file by their headers: where each starts,
// its offsets and producer, its CRC when asked, and where and why the bytes
// stop being batches. Reads go through the caller's `readAt`, so the walk
// knows nothing of descriptors or pools.

import {
  ATTRIBUTES, BASE_OFFSET, BASE_SEQUENCE, BATCH_LENGTH, CONTROL_BIT, CURRENT_MAGIC, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC, MAX_TIMESTAMP,
  PRODUCER_EPOCH, PRODUCER_ID,
  batchCrcMatches, readInt64,
} from "../protocol/record-batch-header.js";
import { markerTypeOf } from "../protocol/control-batch.js";

/** How much of the file one read of a walk takes. */
export const WALK_CHUNK_BYTES = 64 * 1024;

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export type ReadAt = (position: number, length: number) => Buffer;

/** A batch found while walking a segment. */
export interface WalkedBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  attributes: number;
  /** A control batch's marker type (transactions: 0 abort, 1 commit). */
  controlType?: number;
  /** The batch bytes, when the walk was asked to verify them. */
  bytes?: Buffer;
}

/** Where and why a walk stopped on bytes that are not a valid batch. */
export interface Damage {
  position: number;
  reason: string;
}

/**
 * Walks the batches in [from, to) of a segment whose first offset is
 * `baseOffset`. Without `verify` it reads headers only; with it, every
 * batch's bytes are read and its CRC checked. Stops at the first damage,
 * which it returns as the generator's result.
 */
export function* walkBatches(readAt: ReadAt, baseOffset: number, from: number, to: number, verify: boolean): Generator<WalkedBatch, Damage | undefined> {
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = from;
  let pos = from;
  let expectedBase = -1;
  while (pos < to) {
    if (pos + HEADER_SIZE > chunkStart + chunk.length) {
      chunk = readAt(pos, Math.min(WALK_CHUNK_BYTES, to - pos));
      chunkStart = pos;
    }
    let rel = pos - chunkStart;
    if (chunk.length - rel < HEADER_SIZE) return { position: pos, reason: `${to - pos} bytes at the end are too short for a batch header` };
    const size = LOG_OVERHEAD + chunk.readInt32BE(rel + BATCH_LENGTH);
    if (size < HEADER_SIZE) return { position: pos, reason: `batch length ${size - LOG_OVERHEAD} is below the header size` };
    if (pos + size > to) return { position: pos, reason: `batch of ${size} bytes runs ${pos + size - to} bytes past the end of the segment` };
    const magic = chunk.readInt8(rel + MAGIC);
    if (magic !== CURRENT_MAGIC) return { position: pos, reason: `magic byte is ${magic}, not 2` };
    const batchBase = readInt64(chunk, rel + BASE_OFFSET);
    const lastOffsetDelta = chunk.readInt32BE(rel + LAST_OFFSET_DELTA);
    if (batchBase < baseOffset || batchBase < expectedBase || lastOffsetDelta < 0) {
      return { position: pos, reason: `batch offsets ${batchBase}+${lastOffsetDelta} do not follow the previous batch` };
    }
    const maxTimestamp = readInt64(chunk, rel + MAX_TIMESTAMP);
    const producerId = readInt64(chunk, rel + PRODUCER_ID);
    const producerEpoch = chunk.readInt16BE(rel + PRODUCER_EPOCH);
    const baseSequence = chunk.readInt32BE(rel + BASE_SEQUENCE);
    const attributes = chunk.readInt16BE(rel + ATTRIBUTES);
    let bytes: Buffer | undefined;
    // A control batch is small: its marker is read whether or not the walk verifies.
    if (verify || (attributes & CONTROL_BIT) !== 0) {
      if (rel + size > chunk.length) {
        chunk = readAt(pos, Math.max(size, Math.min(WALK_CHUNK_BYTES, to - pos)));
        chunkStart = pos;
        rel = 0;
      }
      if (verify && !batchCrcMatches(chunk, rel, size)) return { position: pos, reason: "CRC32C does not match the batch bytes" };
      bytes = chunk.subarray(rel, rel + size);
    }
    const controlType = (attributes & CONTROL_BIT) !== 0 && bytes ? markerTypeOf(bytes) : undefined;
    expectedBase = batchBase + lastOffsetDelta + 1;
    yield { position: pos, size, baseOffset: batchBase, lastOffset: expectedBase - 1, maxTimestamp, producerId, producerEpoch, baseSequence, attributes, controlType, bytes: verify ? bytes : undefined };
    pos += size;
  }
  return undefined;
}

/**
 * The position of the first intact batch (whole, CRC matching, offsets at
 * or after `minOffset`) in [from, end), or -1: where reading resumes after
 * damage, when a length field may be damaged too.
 */
export function nextIntactBatch(readAt: ReadAt, from: number, end: number, minOffset: number): number {
  for (let chunkStart = from; chunkStart + HEADER_SIZE <= end; chunkStart += WALK_CHUNK_BYTES) {
    const chunk = readAt(chunkStart, Math.min(WALK_CHUNK_BYTES + HEADER_SIZE, end - chunkStart));
    for (let rel = 0; rel < WALK_CHUNK_BYTES && rel + HEADER_SIZE <= chunk.length; rel++) {
      if (chunk[rel + MAGIC] !== CURRENT_MAGIC) continue;
      const size = LOG_OVERHEAD + chunk.readInt32BE(rel + BATCH_LENGTH);
      const position = chunkStart + rel;
      if (size < HEADER_SIZE || position + size > end) continue;
      if (readInt64(chunk, rel + BASE_OFFSET) < minOffset || chunk.readInt32BE(rel + LAST_OFFSET_DELTA) < 0) continue;
      const batch = rel + size <= chunk.length ? chunk.subarray(rel, rel + size) : readAt(position, size);
      if (batchCrcMatches(batch, 0, size)) return position;
    }
  }
  return -1;
}
