// Idempotent producers, per partition: for every producer id, its epoch and
// the sequence numbers and offsets of its last five batches. A retried batch
// is recognised and answered with its original offsets instead of being
// written twice; a gap in the sequence is refused.

import { InvalidProducerEpochError, OutOfOrderSequenceError } from "./errors.js";

export const BATCHES_PER_PRODUCER = 5;
const SEQUENCE_MAX = 2 ** 31 - 1;

export interface ProducerBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  epoch: number;
  batches: ProducerBatch[];
  lastTimestamp: number;
}

function nextSeq(seq: number, count: number): number {
  return (seq + count) % (SEQUENCE_MAX + 1);
}

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  /**
   * Checks a batch of `count` records from producer `pid`. Returns the batch
   * already written when this one is a retry of it; throws when the epoch is
   * stale or the sequence leaves a gap.
   */
  check(pid: number, epoch: number, baseSeq: number, count: number): ProducerBatch | undefined {
    const entry = this.producers.get(pid);
    if (!entry) return undefined; // unknown (new, or expired): any sequence starts it
    if (epoch < entry.epoch) throw new InvalidProducerEpochError(`producer ${pid} epoch ${epoch} is older than ${entry.epoch}`);
    if (epoch > entry.epoch) {
      if (baseSeq !== 0) throw new OutOfOrderSequenceError(`producer ${pid} starts epoch ${epoch} at sequence ${baseSeq}, not 0`);
      return undefined;
    }
    const lastSeq = nextSeq(baseSeq, count - 1);
    const duplicate = entry.batches.find((b) => b.firstSeq === baseSeq && b.lastSeq === lastSeq);
    if (duplicate) return duplicate;
    const last = entry.batches[entry.batches.length - 1];
    if (last && baseSeq !== nextSeq(last.lastSeq, 1)) {
      throw new OutOfOrderSequenceError(`producer ${pid} sent sequence ${baseSeq}; expected ${nextSeq(last.lastSeq, 1)}`);
    }
    return undefined;
  }

  /** Remembers a written batch of producer `pid` (its records got baseOffset..lastOffset). */
  record(pid: number, epoch: number, baseSeq: number, baseOffset: number, lastOffset: number, timestamp: number): void {
    const batch: ProducerBatch = { firstSeq: baseSeq, lastSeq: nextSeq(baseSeq, lastOffset - baseOffset), baseOffset, lastOffset };
    let entry = this.producers.get(pid);
    if (!entry || epoch > entry.epoch) {
      entry = { epoch, batches: [], lastTimestamp: timestamp };
      this.producers.set(pid, entry);
    }
    entry.batches.push(batch);
    if (entry.batches.length > BATCHES_PER_PRODUCER) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, timestamp);
  }

  /** Forgets batches at or after `offset` (the log was cut there). */
  truncateFrom(offset: number): void {
    for (const [pid, entry] of this.producers) {
      entry.batches = entry.batches.filter((b) => b.lastOffset < offset);
      if (entry.batches.length === 0) this.producers.delete(pid);
    }
  }

  expire(olderThan: number): void {
    for (const [pid, entry] of this.producers) if (entry.lastTimestamp < olderThan) this.producers.delete(pid);
  }

  snapshot(): [number, ProducerEntry][] {
    return [...this.producers.entries()].map(([pid, e]) => [pid, { ...e, batches: [...e.batches] }]);
  }

  restore(entries: [number, ProducerEntry][]): void {
    this.producers.clear();
    for (const [pid, e] of entries) this.producers.set(pid, { ...e, batches: [...e.batches] });
  }

  get size(): number {
    return this.producers.size;
  }
}
