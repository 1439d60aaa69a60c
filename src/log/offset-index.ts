// Sparse offset index of one segment: entries of (offset - baseOffset: int32,
// position: int32), one for roughly every index.interval.bytes of log. The
// index is derived data: it is appended without fsync and rebuilt from the log
// whenever it is missing or fails its sanity check.

import * as fs from "node:fs";

const ENTRY_BYTES = 8;

export class OffsetIndex {
  private relOffsets: number[] = [];
  private positions: number[] = [];

  constructor(private readonly fd: number) {}

  static open(path: string): OffsetIndex {
    return new OffsetIndex(fs.openSync(path, fs.existsSync(path) ? "r+" : "w+"));
  }

  get entries(): number {
    return this.positions.length;
  }

  get lastPosition(): number {
    return this.positions.length ? this.positions[this.positions.length - 1]! : 0;
  }

  get lastRelOffset(): number {
    return this.relOffsets.length ? this.relOffsets[this.relOffsets.length - 1]! : 0;
  }

  /**
   * Loads the entries on disk, keeping the longest prefix that is strictly
   * increasing and inside `logSize`. Returns false when something was dropped.
   */
  load(logSize: number): boolean {
    const size = fs.fstatSync(this.fd).size;
    const count = Math.floor(size / ENTRY_BYTES);
    const buf = Buffer.allocUnsafe(count * ENTRY_BYTES);
    if (count) fs.readSync(this.fd, buf, 0, buf.length, 0);
    this.relOffsets = [];
    this.positions = [];
    let intact = size % ENTRY_BYTES === 0;
    for (let i = 0; i < count; i++) {
      const rel = buf.readInt32BE(i * ENTRY_BYTES);
      const pos = buf.readInt32BE(i * ENTRY_BYTES + 4);
      const prevRel = i ? this.relOffsets[i - 1]! : -1;
      const prevPos = i ? this.positions[i - 1]! : -1;
      if (rel <= prevRel || pos <= prevPos || pos >= logSize) {
        intact = false;
        break;
      }
      this.relOffsets.push(rel);
      this.positions.push(pos);
    }
    if (!intact) this.truncateEntries(this.positions.length);
    return intact;
  }

  append(relOffset: number, position: number): void {
    const entry = Buffer.allocUnsafe(ENTRY_BYTES);
    entry.writeInt32BE(relOffset, 0);
    entry.writeInt32BE(position, 4);
    fs.writeSync(this.fd, entry, 0, ENTRY_BYTES, this.positions.length * ENTRY_BYTES);
    this.relOffsets.push(relOffset);
    this.positions.push(position);
  }

  /** Position of the last indexed batch whose base offset is <= relOffset (0 if none). */
  lookup(relOffset: number): number {
    let lo = 0;
    let hi = this.relOffsets.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relOffsets[mid]! <= relOffset) {
        found = this.positions[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops the entries at or after byte `position` of the log. */
  truncateToPosition(position: number): void {
    let keep = this.positions.length;
    while (keep > 0 && this.positions[keep - 1]! >= position) keep--;
    this.truncateEntries(keep);
  }

  private truncateEntries(count: number): void {
    this.relOffsets.length = count;
    this.positions.length = count;
    fs.ftruncateSync(this.fd, count * ENTRY_BYTES);
  }

  reset(): void {
    this.truncateEntries(0);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
