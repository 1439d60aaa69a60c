// The transaction coordinator on the memory store: what a crash leaves in
// __transaction_state is finished at start (a transaction preparing to
// commit gets its markers and its group offsets; one preparing to abort gets
// its markers), and the partitions' last stable offsets move past it.
import { describe, expect, it } from "vitest";
import { MemoryLogStore } from "../../../src/log/memory-store.js";
import { TransactionCoordinator, type TransactionRecord } from "../../../src/server/transactions/transaction-coordinator.js";
import { encodeRecordBatch } from "../../../src/protocol/record-batch-codec.js";

async function preparedStore(state: "PrepareCommit" | "PrepareAbort"): Promise<MemoryLogStore> {
  const logs = new MemoryLogStore();
  await logs.createTopic("t", { partitions: 2 });
  for (const partition of [0, 1]) {
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.from(`p${partition}`) }], { transactional: true, producerId: 5, producerEpoch: 2, baseSequence: 0 });
    await logs.partition("t", partition).append(batch);
  }
  // As a crash between the PrepareCommit record and the markers leaves it.
  const record: TransactionRecord = {
    transactionalId: "app-1", producerId: 5, producerEpoch: 2, timeoutMs: 60_000, state, partitions: ["t\u00000", "t\u00001"],
    pendingOffsets: [{ group: "g", topic: "in", partition: 0, offset: 42, leaderEpoch: -1, metadata: null }], startMs: Date.now(), lastUpdateMs: Date.now(),
  };
  await logs.transactionStore.put([["txn/app-1", record]]);
  return logs;
}

function coordinator(logs: MemoryLogStore): TransactionCoordinator {
  let next = 100;
  return new TransactionCoordinator(logs, logs.transactionStore, { maxTimeoutMs: 900_000, checkIntervalMs: 60_000, allocateProducerId: async () => next++ });
}

describe("transaction coordinator at start", () => {
  it("completes a transaction left preparing to commit: markers on every partition, then the group offsets", async () => {
    const logs = await preparedStore("PrepareCommit");
    expect((await logs.partition("t", 0).offsets()).lastStableOffset).toBe(0);
    const c = coordinator(logs);
    await c.start();
    c.stop();
    for (const partition of [0, 1]) {
      expect(await logs.partition("t", partition).offsets()).toMatchObject({ highWatermark: 2, lastStableOffset: 2 });
      expect(logs.partition("t", partition).abortedTransactions(0, 2)).toEqual([]);
    }
    expect((await logs.offsets.get("g", "in", 0))?.offset).toBe(42);
    expect(c.get("app-1")).toMatchObject({ state: "CompleteCommit", partitions: [], pendingOffsets: [] });
  });

  it("completes a transaction left preparing to abort: its records are aborted, its offsets never committed", async () => {
    const logs = await preparedStore("PrepareAbort");
    const c = coordinator(logs);
    await c.start();
    c.stop();
    for (const partition of [0, 1]) {
      expect(await logs.partition("t", partition).offsets()).toMatchObject({ highWatermark: 2, lastStableOffset: 2 });
      expect(logs.partition("t", partition).abortedTransactions(0, 2)).toEqual([{ producerId: 5, firstOffset: 0, lastOffset: 1 }]);
    }
    expect(await logs.offsets.get("g", "in", 0)).toBeUndefined();
    expect(c.get("app-1")).toMatchObject({ state: "CompleteAbort" });
  });

  it("fences: a new InitProducerId aborts an open transaction and bumps the epoch; the old epoch is refused", async () => {
    const logs = new MemoryLogStore();
    await logs.createTopic("t");
    const c = coordinator(logs);
    const first = await c.initProducerId("app-2", 10_000, { producerId: -1, producerEpoch: -1 });
    await c.addPartitions("app-2", first.producerId, first.producerEpoch, [{ topic: "t", partition: 0 }]);
    await logs.partition("t", 0).append(await encodeRecordBatch([{ key: null, value: Buffer.from("x") }], { transactional: true, producerId: first.producerId, producerEpoch: first.producerEpoch, baseSequence: 0 }));
    const second = await c.initProducerId("app-2", 10_000, { producerId: -1, producerEpoch: -1 });
    expect(second).toEqual({ producerId: first.producerId, producerEpoch: first.producerEpoch + 1 });
    expect(logs.partition("t", 0).abortedTransactions(0, 2)).toEqual([{ producerId: first.producerId, firstOffset: 0, lastOffset: 1 }]);
    await expect(c.endTransaction("app-2", first.producerId, first.producerEpoch, true)).rejects.toMatchObject({ kafkaErrorCode: 90 });
    await expect(c.initProducerId("app-2", 10_000_000, { producerId: -1, producerEpoch: -1 })).rejects.toMatchObject({ kafkaErrorCode: 50 });
  });
});
