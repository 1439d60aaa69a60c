// Reading archived segments back, for offsets no longer on local disk. A read
// looks up its offset in the segment's archived offset index (fetched once
// and kept), then fetches a byte range from there: at least READ_AHEAD_BYTES,
// so a consumer reading on finds its next batches in the range it already
// has. A bounded set of recent ranges is kept per partition. Every batch
// served has its CRC checked.

import { BASE_OFFSET, BATCH_LENGTH, HEADER_SIZE, LAST_OFFSET_DELTA, LOG_OVERHEAD, batchCrcMatches, readInt64 } from "../protocol/record-batch-header.js";
import { StorageError } from "../log/errors.js";
import { segmentKey, type Manifest, type ManifestSegment } from "./archive-layout.js";
import type { ObjectStore } from "./object-store.js";

/** Bytes one ranged GET takes at least: read-ahead for sequential consumers. */
const READ_AHEAD_BYTES = 1024 * 1024;
/** Ranges and indexes kept, over all partitions. */
const CACHED_RANGES_MAX = 64;
const CACHED_INDEXES_MAX = 256;

interface Range {
  key: string;
  start: number;
  bytes: Buffer;
}

/** A small least-recently-used map. */
class Recent<V> {
  private readonly entries = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

export class RemoteReads {
  private readonly indexes = new Recent<{ offsets: Int32Array; positions: Int32Array }>(CACHED_INDEXES_MAX);
  private readonly ranges = new Recent<Range>(CACHED_RANGES_MAX);
  private readonly timeIndexes = new Recent<{ time: number; offset: number }[]>(CACHED_INDEXES_MAX);
  private readonly inFlight = new Map<string, Promise<Buffer>>();

  constructor(private readonly store: ObjectStore) {}

  /** The archived segment holding `offset`, by binary search. */
  static segmentFor(manifest: Manifest, offset: number): ManifestSegment | undefined {
    let lo = 0;
    let hi = manifest.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = manifest.segments[mid]!;
      if (offset < s.baseOffset) hi = mid - 1;
      else if (offset >= s.nextOffset) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** Byte position of the last index entry at or below `offset` in the segment (0 without one). */
  private async position(topic: string, partition: number, segment: ManifestSegment, offset: number): Promise<number> {
    const key = segmentKey(topic, partition, segment.baseOffset, ".index");
    let index = this.indexes.get(key);
    if (!index) {
      const bytes = (await this.store.getBytes(key)) ?? Buffer.alloc(0);
      const count = Math.floor(bytes.length / 8);
      index = { offsets: new Int32Array(count), positions: new Int32Array(count) };
      for (let i = 0; i < count; i++) {
        index.offsets[i] = bytes.readInt32BE(i * 8);
        index.positions[i] = bytes.readInt32BE(i * 8 + 4);
      }
      this.indexes.set(key, index);
    }
    let found = 0;
    for (let i = 0; i < index.offsets.length && index.offsets[i]! <= offset - segment.baseOffset; i++) found = index.positions[i]!;
    return Math.min(found, segment.size);
  }

  /** Bytes [start, end) of an archived .log, from a cached range when one holds them. */
  private async bytes(key: string, start: number, end: number, size: number): Promise<Buffer> {
    const cached = this.ranges.get(key);
    if (cached && start >= cached.start && end <= cached.start + cached.bytes.length) return cached.bytes.subarray(start - cached.start, end - cached.start);
    const fetchEnd = Math.min(size, Math.max(end, start + READ_AHEAD_BYTES));
    // Readers of the same range share one GET.
    const flightKey = `${key}@${start}-${fetchEnd}`;
    let fetching = this.inFlight.get(flightKey);
    if (!fetching) {
      fetching = this.store.getRange(key, start, fetchEnd).then((bytes) => {
        if (!bytes) throw new StorageError(`archived segment ${key} is missing, though its manifest names it`);
        this.ranges.set(key, { key, start, bytes });
        return bytes;
      }).finally(() => this.inFlight.delete(flightKey));
      this.inFlight.set(flightKey, fetching);
    }
    const bytes = await fetching;
    return bytes.subarray(0, Math.min(bytes.length, end - start));
  }

  /**
   * Whole batches from the archived segment holding `offset`, starting with
   * the one that holds it, up to `maxBytes` (at least one batch).
   */
  async read(topic: string, partition: number, manifest: Manifest, offset: number, maxBytes: number): Promise<Buffer> {
    const segment = RemoteReads.segmentFor(manifest, offset);
    if (!segment) return Buffer.alloc(0);
    const key = segmentKey(topic, partition, segment.baseOffset, ".log");
    let position = await this.position(topic, partition, segment, offset);
    // Walk the headers from the index entry to the batch holding the offset.
    for (;;) {
      if (position + HEADER_SIZE > segment.size) return Buffer.alloc(0);
      const header = await this.bytes(key, position, position + HEADER_SIZE, segment.size);
      const size = LOG_OVERHEAD + header.readInt32BE(BATCH_LENGTH);
      if (size < HEADER_SIZE) throw new StorageError(`archived segment ${key}: damaged batch at byte ${position}`);
      if (readInt64(header, BASE_OFFSET) + header.readInt32BE(LAST_OFFSET_DELTA) >= offset) break;
      position += size;
    }
    const out: Buffer[] = [];
    let total = 0;
    while (position + HEADER_SIZE <= segment.size) {
      const header = await this.bytes(key, position, position + HEADER_SIZE, segment.size);
      const size = LOG_OVERHEAD + header.readInt32BE(BATCH_LENGTH);
      if (out.length > 0 && total + size > maxBytes) break;
      const batch = await this.bytes(key, position, position + size, segment.size);
      if (batch.length !== size || !batchCrcMatches(batch, 0, size)) throw new StorageError(`archived segment ${key}: the batch at byte ${position} fails its CRC32C; never served`);
      out.push(batch);
      total += size;
      position += size;
      if (total >= maxBytes) break;
    }
    return Buffer.concat(out);
  }

  /**
   * Where to start looking for the first record at or after `timestamp` in
   * the archived segment: the offset of the last time-index entry below it.
   */
  async timestampStart(topic: string, partition: number, segment: ManifestSegment, timestamp: number): Promise<number> {
    const key = segmentKey(topic, partition, segment.baseOffset, ".timeindex");
    let index = this.timeIndexes.get(key);
    if (!index) {
      const bytes = (await this.store.getBytes(key)) ?? Buffer.alloc(0);
      index = Array.from({ length: Math.floor(bytes.length / 12) }, (_, i) => ({ time: Number(bytes.readBigInt64BE(i * 12)), offset: bytes.readInt32BE(i * 12 + 8) }));
      this.timeIndexes.set(key, index);
    }
    let start = segment.baseOffset;
    for (const entry of index) {
      if (entry.time >= timestamp) break;
      start = segment.baseOffset + entry.offset;
    }
    return start;
  }
}
