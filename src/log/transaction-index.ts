// A partition's transactions (KIP-98), as read_committed readers need them:
// the producers with a transaction open here (and the offset where each
// began), so the last stable offset (LSO) stops before the first of them;
// and the aborted transactions (producer, first offset, marker offset), so a
// reader can drop their records. Fed by every transactional batch and every
// marker appended; the open ones are restored from the partition's
// checkpoint and the batches written after it, the aborted ones from each
// segment's .txnindex file (the partition log keeps those); cut with the log
// and pruned with its start.

import type { AbortedTransaction } from "./store.js";
import { ControlType } from "../protocol/control-batch.js";

export interface TransactionSnapshot {
  ongoing: [number, number][];
  /** Every segment has its .txnindex file: the aborted transactions are read from them. */
  indexed?: boolean;
}

export class TransactionIndex {
  private readonly ongoing = new Map<number, number>();
  private aborted: AbortedTransaction[] = [];

  /** Notes one appended batch (its offsets assigned): transactional data opens a transaction, a marker ends it; the aborted transaction it ends, if any. */
  onBatch(producerId: number, transactional: boolean, control: boolean, controlType: number | undefined, baseOffset: number, lastOffset: number): AbortedTransaction | undefined {
    if (!transactional || producerId < 0) return undefined;
    if (!control) {
      if (!this.ongoing.has(producerId)) this.ongoing.set(producerId, baseOffset);
      return undefined;
    }
    const first = this.ongoing.get(producerId);
    this.ongoing.delete(producerId);
    if (controlType !== ControlType.ABORT || first === undefined) return undefined;
    return this.addAborted({ producerId, firstOffset: first, lastOffset });
  }

  /** Adds an aborted transaction (once: one already known by its marker offset is not added again). */
  addAborted(entry: AbortedTransaction): AbortedTransaction {
    if (!this.aborted.some((a) => a.lastOffset === entry.lastOffset)) {
      this.aborted.push({ ...entry });
      this.aborted.sort((a, b) => a.lastOffset - b.lastOffset);
    }
    return entry;
  }

  /** Every aborted transaction known, by marker offset. */
  abortedAll(): AbortedTransaction[] {
    return this.aborted.map((a) => ({ ...a }));
  }

  /** The first offset a read_committed reader may not see yet: the start of the oldest open transaction, at most `highWatermark`. */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark;
    for (const first of this.ongoing.values()) lso = Math.min(lso, first);
    return lso;
  }

  /** Aborted transactions with records in [from, to). */
  abortedIn(from: number, to: number): AbortedTransaction[] {
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to);
  }

  get openCount(): number {
    return this.ongoing.size;
  }

  /** The log was cut at `offset`: what began at or after it is forgotten. */
  truncateFrom(offset: number): void {
    for (const [pid, first] of this.ongoing) if (first >= offset) this.ongoing.delete(pid);
    this.aborted = this.aborted.filter((a) => a.lastOffset < offset);
  }

  /** Records below `logStartOffset` are gone: so are aborted transactions that ended there. */
  pruneBelow(logStartOffset: number): void {
    this.aborted = this.aborted.filter((a) => a.lastOffset >= logStartOffset);
  }

  /** The open transactions, for the checkpoint (the aborted ones are in the .txnindex files). */
  snapshot(): TransactionSnapshot {
    return { ongoing: [...this.ongoing.entries()], indexed: true };
  }

  restoreOngoing(ongoing: [number, number][]): void {
    this.ongoing.clear();
    for (const [pid, first] of ongoing) this.ongoing.set(pid, first);
  }
}
