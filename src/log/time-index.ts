// Sparse time index of one segment: entries of (maxTimestamp so far: int64,
// offset - baseOffset of the batch that raised it: int32). Timestamps only grow
// from entry to entry, so a binary search finds where a timestamp lookup must
// start scanning. Derived data, like the offset index.

import * as fs from "node:fs";

const ENTRY_BYTES = 12;

export class TimeIndex {
  private timestamps: number[] = [];
  private relOffsets: number[] = [];

  constructor(private readonly fd: number) {}

  static open(path: string): TimeIndex {
    return new TimeIndex(fs.openSync(path, fs.existsSync(path) ? "r+" : "w+"));
  }

  get lastTimestamp(): number {
    return this.timestamps.length ? this.timestamps[this.timestamps.length - 1]! : -1;
  }

  /** Loads entries; keeps the prefix that increases in both fields and stays below `maxRelOffset`. */
  load(maxRelOffset: number): boolean {
    const size = fs.fstatSync(this.fd).size;
    const count = Math.floor(size / ENTRY_BYTES);
    const buf = Buffer.allocUnsafe(count * ENTRY_BYTES);
    if (count) fs.readSync(this.fd, buf, 0, buf.length, 0);
    this.timestamps = [];
    this.relOffsets = [];
    let intact = size % ENTRY_BYTES === 0;
    for (let i = 0; i < count; i++) {
      const ts = Number(buf.readBigInt64BE(i * ENTRY_BYTES));
      const rel = buf.readInt32BE(i * ENTRY_BYTES + 8);
      if ((i && (ts <= this.timestamps[i - 1]! || rel <= this.relOffsets[i - 1]!)) || rel < 0 || rel > maxRelOffset) {
        intact = false;
        break;
      }
      this.timestamps.push(ts);
      this.relOffsets.push(rel);
    }
    if (!intact) this.truncateEntries(this.timestamps.length);
    return intact;
  }

  /** Records that the batch at relOffset raised the segment's max timestamp to `timestamp`. */
  maybeAppend(timestamp: number, relOffset: number): void {
    if (timestamp <= this.lastTimestamp) return;
    const entry = Buffer.allocUnsafe(ENTRY_BYTES);
    entry.writeBigInt64BE(BigInt(timestamp), 0);
    entry.writeInt32BE(relOffset, 8);
    fs.writeSync(this.fd, entry, 0, ENTRY_BYTES, this.timestamps.length * ENTRY_BYTES);
    this.timestamps.push(timestamp);
    this.relOffsets.push(relOffset);
  }

  /**
   * Relative offset from which to scan for the first record with timestamp >= target:
   * the batch of the last entry whose timestamp is below the target (0 if none).
   */
  lookup(target: number): number {
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < target) {
        found = this.relOffsets[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  truncateToRelOffset(relOffset: number): void {
    let keep = this.relOffsets.length;
    while (keep > 0 && this.relOffsets[keep - 1]! >= relOffset) keep--;
    this.truncateEntries(keep);
  }

  private truncateEntries(count: number): void {
    this.timestamps.length = count;
    this.relOffsets.length = count;
    fs.ftruncateSync(this.fd, count * ENTRY_BYTES);
  }

  reset(): void {
    this.truncateEntries(0);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
