// The behaviour every LogStore owes the servers above it, as one list of
// cases. Each implementation runs it from its own test file with a factory
// and the cases it declares it skips (with the reason), so a new store (S3
// tiers, a Kafka cluster) proves itself against the same list.

import { afterEach, describe, expect, it } from "vitest";
import type { LogStore } from "../../src/log/store.js";
import { encodeRecordBatch, decodeRecordBatch, splitBatches } from "../../src/protocol/record-batch-codec.js";
import { RECORD_COUNT } from "../../src/protocol/record-batch-header.js";
import {
  CorruptBatchError, InvalidConfigError, InvalidPartitionsError, InvalidProducerEpochError, InvalidRecordError, InvalidTopicError,
  MessageTooLargeError, OffsetOutOfRangeError, OutOfOrderSequenceError, TopicExistsError, UnknownTopicError,
} from "../../src/log/errors.js";
import { waitForAny } from "../../src/log/store.js";
import { ControlType, encodeMarker } from "../../src/protocol/control-batch.js";
import { batchOf, readAll } from "../helpers/records.js";

export interface StoreFixture {
  store: LogStore;
  /** Closes the store and opens it again on what it kept (stores that persist). */
  reopen?: () => Promise<LogStore>;
  cleanup(): Promise<void>;
}

/**
 * What a store may declare it does not do, with the reason in its test file:
 * a whole case it skips, or one promise within a case ("duplicate flag",
 * "commit timestamps") that the case then does not check.
 */
export type ContractCase = "persists across a reopen" | "sparse batches" | "duplicate flag" | "commit timestamps" | "transaction markers";

export function logStoreContract(name: string, open: () => Promise<StoreFixture>, skips: Partial<Record<ContractCase, string>> = {}): void {
  describe(`LogStore contract: ${name}`, () => {
    let fixture: StoreFixture | undefined;
    const start = async (): Promise<LogStore> => {
      fixture = await open();
      return fixture.store;
    };
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    it("creates, lists, describes and deletes topics", async () => {
      const store = await start();
      const info = await store.createTopic("orders", { partitions: 3, configs: { "retention.ms": "60000" } });
      expect(info).toMatchObject({ name: "orders", partitions: 3, configs: { "retention.ms": "60000" }, internal: false });
      expect(store.hasTopic("orders")).toBe(true);
      expect(store.partitionCount("orders")).toBe(3);
      expect(store.listTopics().map((t) => t.name)).toEqual(["orders"]);
      expect(store.listTopics({ includeInternal: true }).map((t) => t.name)).toEqual(expect.arrayContaining(["__consumer_offsets", "_schemas", "orders"]));
      const id = store.describeTopicId("orders");
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(store.topicNameById(id)).toBe("orders");
      const description = await store.describeTopic("orders");
      expect(description.config.retentionMs).toBe(60000);
      expect(description.partitionStates.map((p) => [p.partition, p.logStartOffset, p.highWatermark, p.logEndOffset])).toEqual([[0, 0, 0, 0], [1, 0, 0, 0], [2, 0, 0, 0]]);
      await store.deleteTopic("orders");
      expect(store.hasTopic("orders")).toBe(false);
      expect(() => store.partition("orders", 0)).toThrow(UnknownTopicError);
      await store.createTopic("orders");
      expect(store.describeTopicId("orders")).not.toBe(id);
    });

    it("refuses bad topic requests with the errors Kafka answers", async () => {
      const store = await start();
      await store.createTopic("a.b");
      await expect(store.createTopic("a.b")).rejects.toThrow(TopicExistsError);
      await expect(store.createTopic("a_b")).rejects.toThrow(InvalidTopicError);
      await expect(store.createTopic("bad/name")).rejects.toThrow(InvalidTopicError);
      await expect(store.createTopic("x".repeat(250))).rejects.toThrow(InvalidTopicError);
      await expect(store.createTopic("zero", { partitions: 0 })).rejects.toThrow(InvalidPartitionsError);
      await expect(store.createTopic("conf", { configs: { "no.such.config": "1" } })).rejects.toThrow(InvalidConfigError);
      await expect(store.createTopic("conf", { configs: { "retention.ms": "soon" } })).rejects.toThrow(InvalidConfigError);
      expect(store.hasTopic("conf")).toBe(false);
      await expect(store.deleteTopic("missing")).rejects.toThrow(UnknownTopicError);
      await expect(store.deleteTopic("__consumer_offsets")).rejects.toThrow(InvalidTopicError);
      expect(store.isInternalTopic("__consumer_offsets")).toBe(true);
      expect(store.isInternalTopic("_schemas")).toBe(true);
      expect(store.isInternalTopic("a.b")).toBe(false);
      expect(() => store.partition("a.b", 1)).toThrow(UnknownTopicError);
    });

    it("adds partitions and changes configs, refusing what Kafka refuses", async () => {
      const store = await start();
      await store.createTopic("t", { partitions: 2 });
      await expect(store.createPartitions("t", 2)).rejects.toThrow(InvalidPartitionsError);
      expect((await store.createPartitions("t", 4)).partitions).toBe(4);
      expect(store.partitionCount("t")).toBe(4);
      await store.partition("t", 3).append(await batchOf(["in the new partition"]));
      await store.alterTopicConfig("t", { set: { "max.message.bytes": "2048", "retention.ms": "1000" } });
      expect(store.partition("t", 0).topicConfig.maxMessageBytes).toBe(2048);
      expect(store.effectiveConfig("t").find((s) => s.name === "retention.ms")).toMatchObject({ value: "1000", source: "topic" });
      await store.alterTopicConfig("t", { remove: ["retention.ms"] });
      expect(store.effectiveConfig("t").find((s) => s.name === "retention.ms")?.source).not.toBe("topic");
      await expect(store.alterTopicConfig("t", { set: { "cleanup.policy": "sometimes" } })).rejects.toThrow(InvalidConfigError);
      await expect(store.alterTopicConfig("t", { remove: ["no.such.config"] })).rejects.toThrow(InvalidConfigError);
      await expect(store.alterTopicConfig("_schemas", { set: { "retention.ms": "1" } })).rejects.toThrow(InvalidTopicError);
    });

    it("gives offsets in order and reads back whole batches, exactly as appended", async () => {
      const store = await start();
      await store.createTopic("t");
      const log = store.partition("t", 0);
      const sent: Buffer[] = [];
      for (let i = 0; i < 5; i++) {
        const batch = await batchOf([`a${i}`, `b${i}`, `c${i}`], { key: (j) => `k${i}-${j}` });
        sent.push(Buffer.from(batch));
        const r = await log.append(batch);
        expect(r).toMatchObject({ baseOffset: i * 3, lastOffset: i * 3 + 2, logStartOffset: 0 });
      }
      expect(await log.offsets()).toEqual({ logStartOffset: 0, highWatermark: 15, logEndOffset: 15, lastStableOffset: 15 });
      const all = await log.read(0, 1 << 20);
      const batches = splitBatches(all.records);
      expect(batches).toHaveLength(5);
      // Stored as sent but for the base offset and leader epoch the store writes in.
      batches.forEach((b, i) => expect(b.subarray(61)).toEqual(sent[i]!.subarray(61)));
      expect(all).toMatchObject({ highWatermark: 15, logStartOffset: 0 });
      // From the middle of a batch: that whole batch first.
      const middle = await log.read(7, 1);
      expect(splitBatches(middle.records)).toHaveLength(1);
      expect(middle.records.readBigInt64BE(0)).toBe(6n);
      expect((await log.read(15, 1000)).records.length).toBe(0);
      await expect(log.read(16, 1000)).rejects.toThrow(OffsetOutOfRangeError);
      await expect(log.read(-1, 1000)).rejects.toThrow(OffsetOutOfRangeError);
      expect((await readAll(log)).map((r) => r.value)).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`a${i}`, `b${i}`, `c${i}`]));
    });

    it("refuses damaged or rule-breaking batches and writes nothing of them", async () => {
      const store = await start();
      await store.createTopic("t", { configs: { "max.message.bytes": "1000" } });
      await store.createTopic("compacted", { configs: { "cleanup.policy": "compact" } });
      const log = store.partition("t", 0);
      const damaged = await batchOf(["x"]);
      damaged.writeUInt8(damaged[damaged.length - 1]! ^ 0xff, damaged.length - 1);
      await expect(log.append(damaged)).rejects.toThrow(CorruptBatchError);
      await expect(log.append((await batchOf(["x"])).subarray(0, 40))).rejects.toThrow(CorruptBatchError);
      await expect(log.append(await batchOf(["y".repeat(2000)]))).rejects.toThrow(MessageTooLargeError);
      await expect(store.partition("compacted", 0).append(await batchOf(["no key"]))).rejects.toThrow(InvalidRecordError);
      expect(await log.offsets()).toMatchObject({ highWatermark: 0, logEndOffset: 0 });
      expect((await log.append(await batchOf(["fine"]))).baseOffset).toBe(0);
    });

    it("answers an idempotent producer's retry with its first offsets and refuses gaps and stale epochs", async () => {
      const store = await start();
      await store.createTopic("t");
      const log = store.partition("t", 0);
      const batch = (sequence: number, epoch = 0) => encodeRecordBatch([{ key: null, value: Buffer.from(`s${sequence}`) }], { producerId: 7, producerEpoch: epoch, baseSequence: sequence });
      await log.append(await batchOf(["someone else"]));
      expect((await log.append(await batch(0))).baseOffset).toBe(1);
      expect(await log.append(await batch(0))).toMatchObject({ baseOffset: 1, ...(skips["duplicate flag"] === undefined ? { duplicate: true } : {}) });
      await expect(log.append(await batch(5))).rejects.toThrow(OutOfOrderSequenceError);
      expect((await log.append(await batch(1))).baseOffset).toBe(2);
      expect((await log.append(await batch(0, 1))).baseOffset).toBe(3);
      await expect(log.append(await batch(2, 0))).rejects.toThrow(InvalidProducerEpochError);
      expect((await readAll(log)).map((r) => r.value)).toEqual(["someone else", "s0", "s1", "s0"]);
    });

    if (skips["sparse batches"] === undefined) it("takes sparse batches: records taken out keep their offsets, even all of them", async () => {
      const store = await start();
      await store.createTopic("t");
      const log = store.partition("t", 0);
      const kept = await encodeRecordBatch([{ key: null, value: Buffer.from("zero") }, { key: null, value: Buffer.from("three") }],
        { offsetDeltas: [0, 3], lastOffsetDelta: 4, producerId: 3, producerEpoch: 0, baseSequence: 0 });
      expect(await log.append(kept, { sparse: true })).toMatchObject({ baseOffset: 0, lastOffset: 4 });
      const empty = await encodeRecordBatch([], { lastOffsetDelta: 1, producerId: 3, producerEpoch: 0, baseSequence: 5 });
      expect(empty.readInt32BE(RECORD_COUNT)).toBe(0);
      expect(await log.append(empty, { sparse: true })).toMatchObject({ baseOffset: 5, lastOffset: 6 });
      // The producer's next sequence follows every record it sent, kept or not.
      const next = await encodeRecordBatch([{ key: null, value: Buffer.from("seven") }], { producerId: 3, producerEpoch: 0, baseSequence: 7 });
      expect((await log.append(next)).baseOffset).toBe(7);
      expect((await readAll(log)).map((r) => [r.offset, r.value])).toEqual([[0, "zero"], [3, "three"], [7, "seven"]]);
      // Without the option, gaps are refused.
      const gapped = await encodeRecordBatch([{ key: null, value: Buffer.from("x") }, { key: null, value: Buffer.from("y") }], { offsetDeltas: [0, 2] });
      await expect(log.append(gapped)).rejects.toThrow(InvalidRecordError);
    });

    if (skips["transaction markers"] === undefined) it("keeps the last stable offset before open transactions and lists aborted ones, also after a reopen", async () => {
      let store = await start();
      await store.createTopic("tx");
      const txBatch = (pid: number, value: string) => encodeRecordBatch([{ key: null, value: Buffer.from(value) }], { transactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0 });
      let log = store.partition("tx", 0);
      await log.append(await txBatch(7, "a"));
      await log.append(await batchOf(["plain"]));
      expect(await log.offsets()).toMatchObject({ highWatermark: 2, lastStableOffset: 0 });
      await log.append(await encodeMarker(ControlType.ABORT, 7, 0), { allowControl: true });
      expect(await log.offsets()).toMatchObject({ highWatermark: 3, lastStableOffset: 3 });
      expect(log.abortedTransactions(0, 3)).toEqual([{ producerId: 7, firstOffset: 0, lastOffset: 2 }]);
      await log.append(await txBatch(8, "b"));
      await log.append(await encodeMarker(ControlType.COMMIT, 8, 0), { allowControl: true });
      await log.append(await txBatch(9, "c"));
      expect(await log.offsets()).toMatchObject({ highWatermark: 6, lastStableOffset: 5 });
      expect(log.abortedTransactions(3, 6)).toEqual([]);
      // A producer may not write markers; a marker is no sequence for the idempotence checks.
      await expect(log.append(await encodeMarker(ControlType.COMMIT, 9, 0))).rejects.toThrow(InvalidRecordError);
      if (fixture!.reopen && skips["persists across a reopen"] === undefined) {
        store = await fixture!.reopen();
        log = store.partition("tx", 0);
        expect(await log.offsets()).toMatchObject({ highWatermark: 6, lastStableOffset: 5 });
        expect(log.abortedTransactions(0, 6)).toEqual([{ producerId: 7, firstOffset: 0, lastOffset: 2 }]);
      }
    });

    it("finds offsets by timestamp and the record with the largest timestamp", async () => {
      const store = await start();
      await store.createTopic("t");
      const log = store.partition("t", 0);
      expect(await log.maxTimestampOffset()).toBeUndefined();
      await log.append(await batchOf(["a"], { timestamp: 1_000 }));
      await log.append(await batchOf(["b"], { timestamp: 5_000 }));
      await log.append(await batchOf(["c"], { timestamp: 3_000 }));
      expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 1_000 });
      expect(await log.offsetForTimestamp(2_000)).toEqual({ offset: 1, timestamp: 5_000 });
      expect(await log.offsetForTimestamp(6_000)).toBeUndefined();
      expect(await log.maxTimestampOffset()).toEqual({ offset: 1, timestamp: 5_000 });
    });

    it("stamps the broker's time on LogAppendTime topics", async () => {
      const store = await start();
      await store.createTopic("t", { configs: { "message.timestamp.type": "LogAppendTime" } });
      const before = Date.now();
      const r = await store.partition("t", 0).append(await batchOf(["a"], { timestamp: 1 }));
      expect(r.logAppendTime).toBeGreaterThanOrEqual(before);
      const [batch] = splitBatches((await store.partition("t", 0).read(0, 1 << 20)).records);
      expect((await decodeRecordBatch(batch!)).records[0]!.timestamp).toBe(r.logAppendTime);
    });

    it("wakes waiting readers on append, and lets them time out or be aborted", async () => {
      const store = await start();
      await store.createTopic("t", { partitions: 2 });
      const log = store.partition("t", 0);
      expect(await log.waitForData(0, 10)).toBe(false);
      const waiting = log.waitForData(0, 60_000);
      const any = waitForAny(store, [{ topic: "t", partition: 1, offset: 0 }, { topic: "gone", partition: 0, offset: 0 }], 60_000);
      await log.append(await batchOf(["wake"]));
      expect(await waiting).toBe(true);
      expect(await log.waitForData(0, 10)).toBe(true);
      await store.partition("t", 1).append(await batchOf(["wake too"]));
      expect(await any).toBe(true);
      const aborted = new AbortController();
      const cut = log.waitForData(5, 60_000, aborted.signal);
      aborted.abort();
      expect(await cut).toBe(false);
    });

    it("deletes records before an offset, and never those of internal topics", async () => {
      const store = await start();
      await store.createTopic("t");
      const log = store.partition("t", 0);
      for (let i = 0; i < 4; i++) await log.append(await batchOf([`r${i}`]));
      expect(await store.deleteRecords("t", 0, 2)).toBe(2);
      expect(await log.offsets()).toMatchObject({ logStartOffset: 2, highWatermark: 4 });
      await expect(log.read(1, 100)).rejects.toThrow(OffsetOutOfRangeError);
      expect((await readAll(log)).map((r) => r.value)).toEqual(["r2", "r3"]);
      expect(await store.deleteRecords("t", 0, -1)).toBe(4);
      await expect(store.deleteRecords("t", 0, 9)).rejects.toThrow(OffsetOutOfRangeError);
      await expect(store.deleteRecords("__consumer_offsets", 0, 0)).rejects.toThrow(InvalidTopicError);
    });

    it("keeps committed group offsets, whole commits at a time, and forgets a deleted topic's", async () => {
      const store = await start();
      await store.createTopic("t", { partitions: 2 });
      await store.offsets.commit("g", [{ topic: "t", partition: 0, offset: 5, metadata: "m" }, { topic: "t", partition: 1, offset: 9, leaderEpoch: 0 }], 1234);
      await store.offsets.commit("h", [{ topic: "t", partition: 0, offset: 1 }]);
      expect(await store.offsets.get("g", "t", 0)).toEqual({ offset: 5, leaderEpoch: -1, metadata: "m", commitTimestamp: skips["commit timestamps"] === undefined ? 1234 : -1 });
      expect(await store.offsets.get("g", "t", 7)).toBeUndefined();
      expect(await store.offsets.groups()).toEqual(["g", "h"]);
      expect((await store.offsets.list("g")).map((e) => [e.topic, e.partition, e.committed.offset])).toEqual([["t", 0, 5], ["t", 1, 9]]);
      await store.offsets.deletePartitions("g", [{ topic: "t", partition: 1 }]);
      expect((await store.offsets.list("g")).map((e) => e.partition)).toEqual([0]);
      await store.offsets.delete("h");
      expect(await store.offsets.groups()).toEqual(["g"]);
      await store.deleteTopic("t");
      expect(await store.offsets.list("g")).toEqual([]);
    });

    it("keeps the registry's key-value store, the latest value winning and null deleting", async () => {
      const store = await start();
      await store.schemaStore.put([["a", { v: 1 }], ["b", { v: 2 }]]);
      await store.schemaStore.put([["a", { v: 3 }], ["b", null]]);
      expect(store.schemaStore.get("a")).toEqual({ v: 3 });
      expect(store.schemaStore.get("b")).toBeUndefined();
      expect([...store.schemaStore.entries()].filter(([k]) => k === "a" || k === "b")).toEqual([["a", { v: 3 }]]);
    });

    it("hands out producer ids that never repeat", async () => {
      const store = await start();
      const first = await store.allocateProducerIds(10);
      const second = await store.allocateProducerIds(10);
      expect(second).toBeGreaterThanOrEqual(first + 10);
      expect(store.partitionsRefusingWrites()).toEqual([]);
      expect(store.damagedBatches()).toBe(0);
    });

    // A declared skip leaves the case out (its reason stands in the store's test file), not a pending test.
    if (skips["persists across a reopen"] === undefined) it("persists across a reopen", async () => {
      const store = await start();
      await store.createTopic("t", { partitions: 2, configs: { "retention.ms": "5000" } });
      const id = store.describeTopicId("t");
      await store.partition("t", 1).append(await batchOf(["kept"]));
      await store.offsets.commit("g", [{ topic: "t", partition: 1, offset: 1 }]);
      await store.schemaStore.put([["k", { kept: true }]]);
      const reopened = await fixture!.reopen!();
      expect(reopened.describeTopicId("t")).toBe(id);
      expect(reopened.partition("t", 0).topicConfig.retentionMs).toBe(5000);
      expect((await readAll(reopened.partition("t", 1))).map((r) => r.value)).toEqual(["kept"]);
      expect((await reopened.offsets.get("g", "t", 1))?.offset).toBe(1);
      expect(reopened.schemaStore.get("k")).toEqual({ kept: true });
    });
  });
}
