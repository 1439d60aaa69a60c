// The transaction coordinator (KIP-98): one per broker, for every
// transactional id. A transactional producer gets its producer id and epoch
// from InitProducerId (a new epoch fences the older producer), names the
// partitions and consumer groups it writes to (AddPartitionsToTxn,
// AddOffsetsToTxn), commits offsets inside the transaction
// (TxnOffsetCommit), and ends it (EndTxn): the coordinator then writes a
// COMMIT or ABORT marker to every partition of the transaction and, on
// commit, makes the group offsets visible.
//
// Each transactional id's state is one record of the `__transaction_state`
// topic, written before anything it promises: PrepareCommit/PrepareAbort
// before the markers, Complete* after them. At start, a transaction found
// preparing to commit or abort is completed (markers written again are
// harmless); an open one is aborted once its timeout passes, as a hung one
// is while the broker runs.

import { opsLog } from "../../ops/ops-log.js";
import type { KeyValueStore, LogStore, OffsetCommit } from "../../log/store.js";
import { KafkaErrorCode as E } from "../../protocol/kafka-error-codes.js";
import { ControlType, encodeMarker } from "../../protocol/control-batch.js";

export type TransactionStateName = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort";

export interface PendingOffset extends OffsetCommit {
  group: string;
}

export interface TransactionRecord {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TransactionStateName;
  /** "topic\u0000partition" of every partition written in the open transaction. */
  partitions: string[];
  /** Group offsets committed inside the open transaction: visible only when it commits. */
  pendingOffsets: PendingOffset[];
  /** When the open transaction began (its first partition), -1 when none is open. */
  startMs: number;
  lastUpdateMs: number;
}

export interface TransactionCoordinatorOptions {
  /** Longest timeout a producer may ask for (Kafka's transaction.max.timeout.ms). */
  maxTimeoutMs: number;
  /** How often open transactions are checked for their timeout. */
  checkIntervalMs: number;
  allocateProducerId: () => Promise<number>;
}

/** A refusal with the Kafka error code the response carries. */
export class TransactionError extends Error {
  constructor(readonly kafkaErrorCode: number, message: string) {
    super(message);
  }
}

const EPOCH_MAX = 32767;

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class TransactionCoordinator {
  private timer: NodeJS.Timeout | undefined;
  /** One change at a time per transactional id: requests of one producer never interleave their state writes. */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(private readonly logs: LogStore, private readonly store: KeyValueStore<unknown>, private readonly options: TransactionCoordinatorOptions) {}

  /** Completes what a crash left preparing, then watches for timeouts. */
  async start(): Promise<void> {
    for (const record of this.records()) {
      if (record.state === "PrepareCommit" || record.state === "PrepareAbort") {
        opsLog("kafka").info({ transactional_id: record.transactionalId }, `completing transaction ${record.transactionalId} (${record.state}) left by the last run`);
        await this.serial(record.transactionalId, () => this.complete(record));
      }
    }
    this.timer = setInterval(() => void this.abortTimedOut().catch((err: Error) => opsLog("kafka").error(`transaction timeouts: ${err.message}`)), this.options.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  records(): TransactionRecord[] {
    const out: TransactionRecord[] = [];
    for (const [key, value] of this.store.entries()) if (key.startsWith("txn/")) out.push(value as TransactionRecord);
    return out.sort((a, b) => a.transactionalId.localeCompare(b.transactionalId));
  }

  get(transactionalId: string): TransactionRecord | undefined {
    return this.store.get(`txn/${transactionalId}`) as TransactionRecord | undefined;
  }

  private async put(record: TransactionRecord): Promise<void> {
    record.lastUpdateMs = Date.now();
    await this.store.put([[`txn/${record.transactionalId}`, record]]);
  }

  private serial<T>(transactionalId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(transactionalId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.turns.set(transactionalId, settled);
    void settled.then(() => {
      if (this.turns.get(transactionalId) === settled) this.turns.delete(transactionalId);
    });
    return next;
  }

  /** InitProducerId with a transactional id: a new epoch (fencing the older producer), after ending what it left open. */
  initProducerId(transactionalId: string, timeoutMs: number, given: { producerId: number; producerEpoch: number }): Promise<{ producerId: number; producerEpoch: number }> {
    if (!transactionalId) return Promise.reject(new TransactionError(E.INVALID_REQUEST, "the transactional id is empty"));
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > this.options.maxTimeoutMs) {
      return Promise.reject(new TransactionError(E.INVALID_TRANSACTION_TIMEOUT, `transaction timeout ${timeoutMs} ms is outside (0, ${this.options.maxTimeoutMs}] (transaction.max.timeout.ms)`));
    }
    return this.serial(transactionalId, async () => {
      let record = this.get(transactionalId);
      if (record && given.producerId >= 0 && (given.producerId !== record.producerId || given.producerEpoch !== record.producerEpoch)) {
        // KIP-360: a producer that knows its id and epoch may bump only the current ones.
        throw new TransactionError(E.PRODUCER_FENCED, `producer ${given.producerId} epoch ${given.producerEpoch} is not the current one of ${transactionalId}`);
      }
      if (record && record.state === "Ongoing") {
        record = await this.end(record, false, `a new producer of ${transactionalId} aborts the transaction left open`);
      } else if (record && (record.state === "PrepareCommit" || record.state === "PrepareAbort")) {
        record = await this.complete(record);
      }
      let producerId = record?.producerId ?? -1;
      let producerEpoch = (record?.producerEpoch ?? -1) + 1;
      if (producerId < 0 || producerEpoch > EPOCH_MAX) {
        producerId = await this.options.allocateProducerId();
        producerEpoch = 0;
      }
      await this.put({
        transactionalId, producerId, producerEpoch, timeoutMs, state: "Empty", partitions: [], pendingOffsets: [], startMs: -1, lastUpdateMs: Date.now(),
      });
      return { producerId, producerEpoch };
    });
  }

  /** The transaction of `transactionalId` as this producer may use it: PRODUCER_FENCED for an older epoch, and so on. */
  private current(transactionalId: string, producerId: number, producerEpoch: number): TransactionRecord {
    const record = this.get(transactionalId);
    if (!record) throw new TransactionError(E.INVALID_PRODUCER_ID_MAPPING, `no producer is registered for transactional id ${transactionalId} (InitProducerId first)`);
    if (record.producerId !== producerId) throw new TransactionError(E.INVALID_PRODUCER_ID_MAPPING, `producer id ${producerId} is not the one of ${transactionalId}`);
    if (producerEpoch < record.producerEpoch) throw new TransactionError(E.PRODUCER_FENCED, `producer epoch ${producerEpoch} of ${transactionalId} was fenced by epoch ${record.producerEpoch}`);
    if (producerEpoch > record.producerEpoch) throw new TransactionError(E.INVALID_PRODUCER_EPOCH, `producer epoch ${producerEpoch} of ${transactionalId} is newer than ${record.producerEpoch}`);
    if (record.state === "PrepareCommit" || record.state === "PrepareAbort") throw new TransactionError(E.CONCURRENT_TRANSACTIONS, `the transaction of ${transactionalId} is still ending`);
    return record;
  }

  /** AddPartitionsToTxn: the partitions join the open transaction (which this opens). Unknown partitions are refused, with the others not attempted. */
  addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: { topic: string; partition: number }[]): Promise<void> {
    return this.serial(transactionalId, async () => {
      const record = this.current(transactionalId, producerId, producerEpoch);
      const keys = new Set(record.partitions);
      for (const p of partitions) keys.add(partitionKey(p.topic, p.partition));
      if (keys.size === record.partitions.length && record.state === "Ongoing") return;
      const opening = record.state !== "Ongoing";
      await this.put({ ...record, state: "Ongoing", partitions: [...keys], pendingOffsets: opening ? [] : record.pendingOffsets, startMs: opening ? Date.now() : record.startMs });
    });
  }

  /** AddOffsetsToTxn: the group's offsets will be committed inside the transaction (it opens it when needed). */
  addOffsets(transactionalId: string, producerId: number, producerEpoch: number): Promise<void> {
    return this.serial(transactionalId, async () => {
      const record = this.current(transactionalId, producerId, producerEpoch);
      if (record.state === "Ongoing") return;
      await this.put({ ...record, state: "Ongoing", partitions: [], pendingOffsets: [], startMs: Date.now() });
    });
  }

  /** TxnOffsetCommit: kept with the transaction, committed to the group when it commits. */
  commitOffsets(transactionalId: string, producerId: number, producerEpoch: number, group: string, offsets: OffsetCommit[]): Promise<void> {
    return this.serial(transactionalId, async () => {
      const record = this.current(transactionalId, producerId, producerEpoch);
      if (record.state !== "Ongoing") throw new TransactionError(E.INVALID_TXN_STATE, `${transactionalId} has no open transaction (AddOffsetsToTxn first)`);
      const replaced = new Set(offsets.map((o) => `${group}\u0000${o.topic}\u0000${o.partition}`));
      const kept = record.pendingOffsets.filter((o) => !replaced.has(`${o.group}\u0000${o.topic}\u0000${o.partition}`));
      await this.put({ ...record, pendingOffsets: [...kept, ...offsets.map((o) => ({ ...o, group }))] });
    });
  }

  /** Whether `producerId`/`producerEpoch` may write to the partition now (Produce of a transactional batch). */
  checkProduce(transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): void {
    const record = this.current(transactionalId, producerId, producerEpoch);
    if (record.state !== "Ongoing" || !record.partitions.includes(partitionKey(topic, partition))) {
      throw new TransactionError(E.INVALID_TXN_STATE, `${topic}-${partition} was not added to the transaction of ${transactionalId} (AddPartitionsToTxn first)`);
    }
  }

  /** EndTxn: commits or aborts the open transaction. A retry of an end already done is answered the same way. */
  endTransaction(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<void> {
    return this.serial(transactionalId, async () => {
      const record = this.current(transactionalId, producerId, producerEpoch);
      if (record.state === "Ongoing") {
        await this.end(record, commit);
        return;
      }
      const done = commit ? "CompleteCommit" : "CompleteAbort";
      if (record.state === done) return;
      // Aborting with nothing open is allowed (the producer may not know whether anything began); committing is not.
      if (!commit && record.state === "Empty") return;
      throw new TransactionError(E.INVALID_TXN_STATE, `${transactionalId} has no open transaction to ${commit ? "commit" : "abort"} (it is ${record.state})`);
    });
  }

  /** Prepares, writes the markers, commits the group offsets, completes. */
  private async end(record: TransactionRecord, commit: boolean, why?: string): Promise<TransactionRecord> {
    if (why) opsLog("kafka").info({ transactional_id: record.transactionalId }, why);
    const prepared: TransactionRecord = { ...record, state: commit ? "PrepareCommit" : "PrepareAbort" };
    await this.put(prepared);
    return this.complete(prepared);
  }

  private async complete(record: TransactionRecord): Promise<TransactionRecord> {
    const commit = record.state === "PrepareCommit";
    // The markers go to all the partitions at once (each append is durable before it resolves).
    await Promise.all(record.partitions.map(async (key) => {
      const cut = key.lastIndexOf("\u0000");
      const topic = key.slice(0, cut);
      const partition = Number(key.slice(cut + 1));
      if (!this.logs.hasTopic(topic)) return;
      const marker = await encodeMarker(commit ? ControlType.COMMIT : ControlType.ABORT, record.producerId, record.producerEpoch);
      await this.logs.partition(topic, partition).append(marker, { allowControl: true });
    }));
    if (commit) {
      const byGroup = new Map<string, OffsetCommit[]>();
      for (const o of record.pendingOffsets) byGroup.set(o.group, [...(byGroup.get(o.group) ?? []), { topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata }]);
      for (const [group, offsets] of byGroup) await this.logs.offsets.commit(group, offsets);
    }
    const completed: TransactionRecord = { ...record, state: commit ? "CompleteCommit" : "CompleteAbort", partitions: [], pendingOffsets: [], startMs: -1 };
    await this.put(completed);
    return completed;
  }

  /** Aborts open transactions past their timeout, and fences their producer (a new epoch), as Kafka does. */
  private async abortTimedOut(): Promise<void> {
    const now = Date.now();
    for (const record of this.records()) {
      if (record.state !== "Ongoing" || record.startMs < 0 || now - record.startMs <= record.timeoutMs) continue;
      await this.serial(record.transactionalId, async () => {
        const current = this.get(record.transactionalId);
        if (!current || current.state !== "Ongoing" || current.producerEpoch !== record.producerEpoch) return;
        const aborted = await this.end(current, false, `transaction of ${current.transactionalId} timed out after ${current.timeoutMs} ms: aborted`);
        if (aborted.producerEpoch < EPOCH_MAX) await this.put({ ...aborted, producerEpoch: aborted.producerEpoch + 1 });
      });
    }
  }
}
