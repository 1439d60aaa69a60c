// A sparse index of one segment: a file of fixed-size entries (key, value),
// both strictly increasing. Two kinds exist, as in Kafka:
//   .index      key = offset - baseOffset (int32), value = byte position (int32)
//   .timeindex  key = max timestamp so far (int64), value = offset - baseOffset (int32)
// Indexes are derived data: appended without fsync, sanity-checked on load,
// and rebuilt from the log whenever they fail the check.

import { io } from "./file-io.js";
import { PooledFile, segmentFiles } from "./file-pool.js";

export class SparseIndex {
  private keys: number[] = [];
  private values: number[] = [];
  private readonly entryBytes: number;

  private constructor(private readonly file: PooledFile, private readonly keyBytes: 4 | 8) {
    this.entryBytes = keyBytes + 4;
  }

  /** The offset index (`.index`). */
  static openOffsetIndex(path: string): SparseIndex {
    return new SparseIndex(SparseIndex.file(path), 4);
  }

  /** The file, created empty when missing; opened through the pool of segment files when used. */
  private static file(path: string): PooledFile {
    if (!io.existsSync(path)) io.closeSync(io.openSync(path, "w"));
    return new PooledFile(segmentFiles, path, "r+");
  }

  /** The time index (`.timeindex`). */
  static openTimeIndex(path: string): SparseIndex {
    return new SparseIndex(SparseIndex.file(path), 8);
  }

  get entries(): number {
    return this.keys.length;
  }

  get lastKey(): number {
    return this.keys.length ? this.keys[this.keys.length - 1]! : -1;
  }

  get lastValue(): number {
    return this.values.length ? this.values[this.values.length - 1]! : 0;
  }

  /**
   * Loads the entries on disk, keeping the longest prefix whose keys and
   * values increase and whose values stay below `valueLimit`. Returns false
   * when anything had to be dropped.
   */
  load(valueLimit: number): boolean {
    const fd = this.file.descriptor();
    const size = io.fstatSync(fd).size;
    const count = Math.floor(size / this.entryBytes);
    const buf = Buffer.allocUnsafe(count * this.entryBytes);
    if (count) io.readSync(fd, buf, 0, buf.length, 0);
    this.keys = [];
    this.values = [];
    let intact = size % this.entryBytes === 0;
    for (let i = 0; i < count; i++) {
      const at = i * this.entryBytes;
      const key = this.keyBytes === 4 ? buf.readInt32BE(at) : Number(buf.readBigInt64BE(at));
      const value = buf.readInt32BE(at + this.keyBytes);
      if ((i > 0 && (key <= this.keys[i - 1]! || value <= this.values[i - 1]!)) || value < 0 || value >= valueLimit) {
        intact = false;
        break;
      }
      this.keys.push(key);
      this.values.push(value);
    }
    if (!intact) this.truncateEntries(this.keys.length);
    return intact;
  }

  /** Appends an entry whose key and value are above the last ones (others are ignored). */
  append(key: number, value: number): void {
    if (this.keys.length && (key <= this.lastKey || value <= this.lastValue)) return;
    const entry = Buffer.allocUnsafe(this.entryBytes);
    if (this.keyBytes === 4) entry.writeInt32BE(key, 0);
    else entry.writeBigInt64BE(BigInt(key), 0);
    entry.writeInt32BE(value, this.keyBytes);
    io.writeSync(this.file.descriptor(), entry, 0, this.entryBytes, this.keys.length * this.entryBytes);
    this.keys.push(key);
    this.values.push(value);
  }

  /** Value of the last entry whose key is <= target (< target when `strict`), or 0 when none is. */
  floor(target: number, strict = false): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const key = this.keys[mid]!;
      if (strict ? key < target : key <= target) {
        found = this.values[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops the entries whose value is >= `value` (the log was cut there). */
  truncateFromValue(value: number): void {
    let keep = this.values.length;
    while (keep > 0 && this.values[keep - 1]! >= value) keep--;
    this.truncateEntries(keep);
  }

  private truncateEntries(count: number): void {
    this.keys.length = count;
    this.values.length = count;
    io.ftruncateSync(this.file.descriptor(), count * this.entryBytes);
  }

  reset(): void {
    this.truncateEntries(0);
  }

  close(): void {
    this.file.close();
  }
}
