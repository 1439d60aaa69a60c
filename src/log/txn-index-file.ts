// A segment's aborted-transaction index (<base offset>.txnindex, as Kafka
// keeps one): 24 bytes per aborted transaction whose ABORT marker lies in the
// segment (producer id, first offset, marker offset, each int64). Created
// empty with its segment, appended at each ABORT marker, rewritten when the
// log is cut, deleted with the segment. A segment without one (a data dir
// from before them, or damage) makes the partition rebuild all of them from
// its batches at start.

import * as path from "node:path";
import { io } from "./file-io.js";
import { segmentFileName } from "./segment.js";
import type { AbortedTransaction } from "./store.js";

const ENTRY_BYTES = 24;

export function txnIndexPath(dir: string, baseOffset: number): string {
  return path.join(dir, segmentFileName(baseOffset, ".txnindex"));
}

function encode(entries: AbortedTransaction[]): Buffer {
  const buf = Buffer.alloc(entries.length * ENTRY_BYTES);
  entries.forEach((e, i) => {
    buf.writeBigInt64BE(BigInt(e.producerId), i * ENTRY_BYTES);
    buf.writeBigInt64BE(BigInt(e.firstOffset), i * ENTRY_BYTES + 8);
    buf.writeBigInt64BE(BigInt(e.lastOffset), i * ENTRY_BYTES + 16);
  });
  return buf;
}

/** The segment's entries, or undefined when it has no index file. A torn last entry is left out. */
export function readTxnIndex(dir: string, baseOffset: number): AbortedTransaction[] | undefined {
  const file = txnIndexPath(dir, baseOffset);
  if (!io.existsSync(file)) return undefined;
  const bytes = io.readFileSync(file);
  const out: AbortedTransaction[] = [];
  for (let pos = 0; pos + ENTRY_BYTES <= bytes.length; pos += ENTRY_BYTES) {
    out.push({ producerId: Number(bytes.readBigInt64BE(pos)), firstOffset: Number(bytes.readBigInt64BE(pos + 8)), lastOffset: Number(bytes.readBigInt64BE(pos + 16)) });
  }
  return out;
}

export function appendTxnIndex(dir: string, baseOffset: number, entry: AbortedTransaction): void {
  const fd = io.openSync(txnIndexPath(dir, baseOffset), "a+"); // created if the segment predates its index
  try {
    const size = io.fstatSync(fd).size;
    io.writeSync(fd, encode([entry]), 0, ENTRY_BYTES, size - (size % ENTRY_BYTES));
  } finally {
    io.closeSync(fd);
  }
}

export function writeTxnIndex(dir: string, baseOffset: number, entries: AbortedTransaction[]): void {
  io.createFileSync(txnIndexPath(dir, baseOffset), encode(entries), false);
}
