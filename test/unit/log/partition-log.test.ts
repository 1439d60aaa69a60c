import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogManager } from "../../../src/log/log-manager.js";
import { KafkaErrorCode } from "../../../src/protocol/kafka-error-codes.js";
import { tempDir } from "../../helpers/temp-dir.js";
import { batchOf, readAll } from "../../helpers/records.js";

async function topicWith(configs: Record<string, string>, dataDir = tempDir()) {
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  if (!logs.hasTopic("t")) await logs.createTopic("t", { configs });
  return { logs, log: logs.partition("t", 0), dataDir };
}

function segmentFiles(dataDir: string): string[] {
  return fs.readdirSync(path.join(dataDir, "t-0")).filter((f) => f.endsWith(".log")).sort();
}

describe("segments", () => {
  it("rolls by size, names segments by base offset and reads across them", async () => {
    const { logs, log, dataDir } = await topicWith({ "segment.bytes": "1024" });
    for (let i = 0; i < 20; i++) await log.append(await batchOf([`record-${i}-${"x".repeat(100)}`]));
    const files = segmentFiles(dataDir);
    expect(files.length).toBeGreaterThan(2);
    expect(files[0]).toBe("00000000000000000000.log");
    for (const f of files) expect(fs.statSync(path.join(dataDir, "t-0", f)).size).toBeLessThanOrEqual(1024);
    expect((await readAll(log)).map((r) => r.offset)).toEqual([...Array(20).keys()]);
    const second = Number(files[1]!.slice(0, 20));
    expect((await log.read(second, 1)).records.readBigInt64BE(0)).toBe(BigInt(second));
    await logs.close();
  });

  it("rolls by age, measured with record timestamps", async () => {
    const { logs, log, dataDir } = await topicWith({ "segment.ms": "60000" });
    await log.append(await batchOf(["old"], { timestamp: 1_000_000 }));
    await log.append(await batchOf(["still same segment"], { timestamp: 1_030_000 }));
    await log.append(await batchOf(["new segment"], { timestamp: 1_070_000 }));
    expect(segmentFiles(dataDir)).toEqual(["00000000000000000000.log", "00000000000000000002.log"]);
    await logs.close();
  });

  it("rolls by age a segment whose records carry no timestamps, by how long it has existed", async () => {
    const { logs, log, dataDir } = await topicWith({ "segment.ms": "50" });
    await log.append(await batchOf(["no time"], { timestamp: -1 }));
    await new Promise((resolve) => setTimeout(resolve, 120));
    await log.append(await batchOf(["none either"], { timestamp: -1 }));
    expect(segmentFiles(dataDir)).toEqual(["00000000000000000000.log", "00000000000000000001.log"]);
    await logs.close();
  });

  it("returns whole batches: a read from the middle of a batch starts at that batch", async () => {
    const { logs, log } = await topicWith({});
    await log.append(await batchOf(["a", "b", "c"]));
    await log.append(await batchOf(["d"]));
    const { records } = await log.read(1, 1);
    expect(records.readBigInt64BE(0)).toBe(0n); // the batch holding offset 1 starts at 0
    expect(records.length).toBe(records.readInt32BE(8) + 12); // maxBytes 1 still yields one whole batch
    await expect(log.read(5, 100)).rejects.toThrow(expect.objectContaining({ kafkaErrorCode: KafkaErrorCode.OFFSET_OUT_OF_RANGE }));
    expect((await log.read(4, 100)).records.length).toBe(0); // at the high watermark: nothing yet, no error
    await logs.close();
  });
});

describe("retention", () => {
  it("deletes closed segments older than retention.ms, and the start offset follows", async () => {
    const { logs, log, dataDir } = await topicWith({ "segment.bytes": "1024", "retention.ms": "60000" });
    const now = Date.now();
    for (let i = 0; i < 10; i++) await log.append(await batchOf([`old-${i}-${"x".repeat(200)}`], { timestamp: now - 3_600_000 }));
    for (let i = 0; i < 10; i++) await log.append(await batchOf([`new-${i}-${"x".repeat(200)}`], { timestamp: now }));
    const report = await logs.runMaintenance(now);
    expect(report.segmentsDeleted).toBeGreaterThan(0);
    const records = await readAll(log);
    expect(records[0]!.value).toMatch(/^(old-9|new-0)/);
    expect(records.filter((r) => r.value!.startsWith("new")).length).toBe(10);
    expect(log.logStartOffset).toBe(Number(segmentFiles(dataDir)[0]!.slice(0, 20)));
    await expect(log.read(0, 100)).rejects.toThrow(expect.objectContaining({ kafkaErrorCode: KafkaErrorCode.OFFSET_OUT_OF_RANGE }));
    await logs.close();
  });

  it("expires even the active segment when everything is older than retention.ms", async () => {
    const { logs, log } = await topicWith({ "retention.ms": "1000" });
    await log.append(await batchOf(["a", "b"], { timestamp: Date.now() - 10_000 }));
    await logs.runMaintenance();
    expect(log.logStartOffset).toBe(2);
    expect(log.highWatermark).toBe(2);
    expect((await log.append(await batchOf(["c"]))).baseOffset).toBe(2);
    await logs.close();
  });

  it("measures records without timestamps by when their segment was written, never as infinitely old", async () => {
    const { logs, log } = await topicWith({ "retention.ms": "3600000" });
    await log.append(await batchOf(["no time", "none either"], { timestamp: -1 }));
    expect((await log.read(0, 1 << 20)).records.readBigInt64BE(35)).toBe(-1n); // the batch's maxTimestamp: none
    await logs.runMaintenance();
    expect(log.logStartOffset).toBe(0);
    expect((await readAll(log)).map((r) => r.value)).toEqual(["no time", "none either"]);
    await logs.runMaintenance(Date.now() + 2 * 3_600_000);
    expect(log.logStartOffset).toBe(2);
    await logs.close();
  });

  it("keeps a partition within retention.bytes, oldest segments first", async () => {
    const { logs, log } = await topicWith({ "segment.bytes": "1024", "retention.bytes": "3000" });
    for (let i = 0; i < 40; i++) await log.append(await batchOf([`r${i}-${"y".repeat(150)}`]));
    await logs.runMaintenance();
    expect(log.sizeBytes).toBeLessThanOrEqual(3000 + 1024);
    const records = await readAll(log);
    expect(records[records.length - 1]!.offset).toBe(39);
    expect(records[0]!.offset).toBe(log.logStartOffset);
    await logs.close();
  });

  it("survives a restart with the new log start offset", async () => {
    const dataDir = tempDir();
    const first = await topicWith({ "segment.bytes": "1024", "retention.bytes": "1500" }, dataDir);
    for (let i = 0; i < 30; i++) await first.log.append(await batchOf([`r${i}-${"z".repeat(150)}`]));
    await first.logs.runMaintenance();
    const start = first.log.logStartOffset;
    expect(start).toBeGreaterThan(0);
    await first.logs.close();
    const second = await topicWith({}, dataDir);
    expect(second.log.logStartOffset).toBe(start);
    expect((await readAll(second.log))[0]!.offset).toBe(start);
    await second.logs.close();
  });
});

describe("compaction", () => {
  it("compact,delete does both: old segments expire by retention.ms, the rest keeps the latest record per key", async () => {
    const { logs, log } = await topicWith({ "cleanup.policy": "compact,delete", "segment.bytes": "1024", "min.cleanable.dirty.ratio": "0.01", "retention.ms": "60000" });
    const now = Date.now();
    for (let i = 0; i < 20; i++) await log.append(await batchOf([`old${i}-${"o".repeat(60)}`], { key: () => `old${i % 3}`, timestamp: now - 3_600_000 }));
    for (let i = 0; i < 40; i++) await log.append(await batchOf([`new${i}-${"n".repeat(60)}`], { key: () => `k${i % 4}`, timestamp: now }));
    const report = await logs.runMaintenance(now);
    expect(report.segmentsDeleted).toBeGreaterThan(0);
    expect(report.compacted.length).toBeGreaterThan(0);
    expect(log.logStartOffset).toBeGreaterThan(0);
    const records = await readAll(log);
    // What is left of the old records shares a segment with new ones: at most one per old key.
    expect(records.filter((r) => r.value!.startsWith("old")).length).toBeLessThanOrEqual(3);
    const latest = new Map<string, string>();
    for (const r of records) latest.set(r.key!, r.value!.split("-")[0]!);
    expect(["k0", "k1", "k2", "k3"].map((k) => latest.get(k))).toEqual(["new36", "new37", "new38", "new39"]);
    expect(records.filter((r) => r.key!.startsWith("k")).length).toBeLessThan(40);
    await logs.close();
  });

  it("keeps the latest record per key, with its original offset", async () => {
    const { logs, log } = await topicWith({ "cleanup.policy": "compact", "segment.bytes": "1024", "min.cleanable.dirty.ratio": "0.01" });
    const latest = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const key = `k${i % 7}`;
      await log.append(await batchOf([`${key}=v${i}-${"p".repeat(40)}`], { key: () => key }));
      latest.set(key, i);
    }
    const before = log.sizeBytes;
    const report = await logs.runMaintenance();
    expect(report.compacted[0]!.result.recordsRemoved).toBeGreaterThan(0);
    expect(log.sizeBytes).toBeLessThan(before);
    const records = await readAll(log);
    const seen = new Map<string, number>();
    for (const r of records) seen.set(r.key!, r.offset);
    expect(seen).toEqual(latest); // every key still has its latest value, at the offset it was written at
    for (const r of records) expect(r.value).toMatch(new RegExp(`^${r.key}=v${r.offset}-`));
    expect((await log.append(await batchOf(["k0=after"], { key: () => "k0" }))).baseOffset).toBe(60);
    await logs.close();
  });

  it("removes tombstones only once delete.retention.ms has passed", async () => {
    const { logs, log } = await topicWith({
      "cleanup.policy": "compact", "segment.bytes": "1024", "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "60000",
    });
    const now = Date.now();
    await log.append(await batchOf(["a-value"], { key: () => "a", timestamp: now }));
    const { encodeRecordBatch } = await import("../../../src/protocol/record-batch-codec.js");
    await log.append(await encodeRecordBatch([{ key: Buffer.from("a"), value: null, timestamp: now }]));
    for (let i = 0; i < 12; i++) await log.append(await batchOf([`filler-${"q".repeat(100)}`], { key: () => `f${i}`, timestamp: now }));
    await logs.runMaintenance(now);
    let records = await readAll(log);
    expect(records.filter((r) => r.key === "a")).toEqual([{ offset: 1, key: "a", value: null }]);
    await logs.runMaintenance(now + 61_000);
    records = await readAll(log);
    expect(records.filter((r) => r.key === "a")).toEqual([]);
    await logs.close();
  });

  it("keeps a tombstone without a timestamp for delete.retention.ms after its segment was written", async () => {
    const { logs, log } = await topicWith({
      "cleanup.policy": "compact", "segment.bytes": "1024", "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "60000",
    });
    const { encodeRecordBatch } = await import("../../../src/protocol/record-batch-codec.js");
    await log.append(await encodeRecordBatch([{ key: Buffer.from("a"), value: Buffer.from("v"), timestamp: -1 }]));
    await log.append(await encodeRecordBatch([{ key: Buffer.from("a"), value: null, timestamp: -1 }]));
    for (let i = 0; i < 12; i++) await log.append(await batchOf([`filler-${"q".repeat(100)}`], { key: () => `f${i}`, timestamp: -1 }));
    const now = Date.now();
    await logs.runMaintenance(now);
    expect((await readAll(log)).filter((r) => r.key === "a")).toEqual([{ offset: 1, key: "a", value: null }]);
    await logs.runMaintenance(now + 10 * 60_000);
    expect((await readAll(log)).filter((r) => r.key === "a")).toEqual([]);
    await logs.close();
  });

  it("survives a restart after rewriting segments", async () => {
    const dataDir = tempDir();
    const first = await topicWith({ "cleanup.policy": "compact", "segment.bytes": "1024", "min.cleanable.dirty.ratio": "0.01" }, dataDir);
    for (let i = 0; i < 40; i++) await first.log.append(await batchOf([`v${i}-${"c".repeat(50)}`], { key: () => `k${i % 3}` }));
    await first.logs.runMaintenance();
    const expected = await readAll(first.log);
    await first.logs.close();
    const second = await topicWith({}, dataDir);
    expect(await readAll(second.log)).toEqual(expected);
    await second.logs.close();
  });
});

describe("lookups and waiting", () => {
  it("finds the first record at or after a timestamp, inside batches too", async () => {
    const { logs, log } = await topicWith({ "segment.bytes": "1024", "index.interval.bytes": "0" });
    const { encodeRecordBatch } = await import("../../../src/protocol/record-batch-codec.js");
    for (let b = 0; b < 30; b++) {
      await log.append(await encodeRecordBatch([0, 1, 2].map((i) => ({ key: null, value: Buffer.from(`${b}-${i}-${"t".repeat(60)}`), timestamp: 10_000 + b * 30 + i * 10 }))));
    }
    // Record n (offset n) has timestamp 10000 + 10n.
    for (const [target, offset] of [[0, 0], [10_000, 0], [10_001, 1], [10_155, 16], [10_890, 89], [10_891, undefined]] as const) {
      const found = await log.offsetForTimestamp(target);
      expect(found?.offset).toBe(offset);
      if (offset !== undefined) expect(found?.timestamp).toBe(10_000 + 10 * offset);
    }
    expect(await log.maxTimestampOffset()).toEqual({ offset: 89, timestamp: 10_890 });
    await logs.close();
  });

  it("finds timestamps through sparse indexes, out-of-order timestamps and recovery from a checkpoint", async () => {
    const { encodeRecordBatch } = await import("../../../src/protocol/record-batch-codec.js");
    // One index entry per MiB: every batch below lies between entries.
    const { logs, log, dataDir } = await topicWith({ "index.interval.bytes": String(1024 * 1024) });
    const timestamps: number[] = [];
    const base = Date.now() - 3_600_000; // recent, so retention keeps everything
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const appendBatches = async (count: number) => {
      for (let b = 0; b < count; b++) {
        const ts = [0, 1, 2].map(() => base + timestamps.length * 10 + (next() % 400) - 200);
        timestamps.push(...ts);
        await log.append(await encodeRecordBatch(ts.map((t) => ({ key: null, value: Buffer.from("v".repeat(120)), timestamp: t }))));
      }
    };
    const expectLookups = async (l: typeof log) => {
      for (let target = base - 300; target <= base + 100_001; target += target > base + 3000 ? 5000 : 37) {
        const offset = timestamps.findIndex((t) => t >= target);
        const found = await l.offsetForTimestamp(target);
        expect(found?.offset, `timestamp ${target}`).toBe(offset < 0 ? undefined : offset);
      }
      const max = Math.max(...timestamps);
      expect(await l.maxTimestampOffset()).toEqual({ offset: timestamps.indexOf(max), timestamp: max });
    };
    await appendBatches(99);
    // The latest timestamp of all sits just before the recovery point, between sparse index entries.
    timestamps.push(base + 100_000);
    await log.append(await encodeRecordBatch([{ key: null, value: Buffer.from("spike"), timestamp: base + 100_000 }]));
    await logs.runMaintenance(); // checkpoint: the recovery point is here
    await appendBatches(60);
    await expectLookups(log);
    // A copy taken while the broker runs looks like a crash: recovery scans from the checkpoint.
    const crashed = tempDir();
    fs.cpSync(dataDir, crashed, { recursive: true, filter: (f) => !f.endsWith("tributary.lock") });
    await logs.close();
    const reopened = await topicWith({}, crashed);
    await expectLookups(reopened.log);
    await reopened.logs.close();
    const clean = await topicWith({}, dataDir);
    await expectLookups(clean.log);
    await clean.logs.close();
  });

  it("wakes a waiting reader when a record arrives, and times out otherwise", async () => {
    const { logs, log } = await topicWith({});
    expect(await log.waitForData(0, 20)).toBe(false);
    const waiting = log.waitForData(0, 60_000);
    let woke = false;
    void waiting.then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    await log.append(await batchOf(["wake up"]));
    expect(await waiting).toBe(true);
    const aborter = new AbortController();
    const aborted = log.waitForData(1, 60_000, aborter.signal);
    aborter.abort();
    expect(await aborted).toBe(false);
    const atClose = log.waitForData(1, 60_000);
    await logs.close();
    expect(await atClose).toBe(false);
  });

  it("serves concurrent writers and readers: every append is readable in order", async () => {
    const { logs, log } = await topicWith({ "segment.bytes": "4096" });
    const appends = [];
    for (let w = 0; w < 8; w++) {
      appends.push((async () => {
        const offsets = [];
        for (let i = 0; i < 25; i++) offsets.push((await log.append(await batchOf([`w${w}-${i}`]))).baseOffset);
        return offsets;
      })());
    }
    const reader = (async () => {
      let next = 0;
      const seen: string[] = [];
      while (next < 200) {
        if (!(await log.waitForData(next, 10_000))) break;
        const got = await readAll(log, next);
        seen.push(...got.map((r) => r.value!));
        next = got[got.length - 1]!.offset + 1;
      }
      return seen;
    })();
    const perWriter = await Promise.all(appends);
    const seen = await reader;
    expect(new Set(perWriter.flat()).size).toBe(200);
    for (const offsets of perWriter) expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(seen.length).toBe(200);
    await logs.close();
  });
});

describe("storage failures", () => {
  it("fails an append loudly when its segment cannot be written, then refuses writes and keeps what was durable", async () => {
    const { logs, log, dataDir } = await topicWith({});
    await log.append(await batchOf(["durable"]));
    // Another segment the partition has not written yet, whose file disappears underneath it.
    log.roll();
    const active = fs.readdirSync(path.join(dataDir, "t-0")).filter((f) => f.endsWith(".log")).sort().at(-1)!;
    fs.rmSync(path.join(dataDir, "t-0", active));
    await expect(log.append(await batchOf(["lost"]))).rejects.toThrow(/cannot open .* for durable writes/);
    await expect(log.append(await batchOf(["refused"]))).rejects.toThrow(/refuses writes/);
    expect(log.highWatermark).toBe(1);
    expect((await readAll(log)).map((r) => r.value?.toString())).toEqual(["durable"]);
    await logs.close();
  });
});

describe("topics and the data dir", () => {
  it("refuses a second open of the same data dir, and takes over a dead owner's lock", async () => {
    const dataDir = tempDir();
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    await expect(LogManager.open({ dataDir })).rejects.toThrow(/already open in this process/);
    await logs.close();
    fs.writeFileSync(path.join(dataDir, "tributary.lock"), JSON.stringify({ pid: 999_999_999, startTime: "1" }));
    const again = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    await again.close();
  });

  it("validates topic names, partition counts and configs", async () => {
    const logs = await LogManager.open({ dataDir: tempDir(), maintenanceIntervalMs: 0 });
    for (const name of ["", ".", "..", "a/b", "spaces here", "x".repeat(250)]) {
      await expect(logs.createTopic(name)).rejects.toMatchObject({ kafkaErrorCode: KafkaErrorCode.INVALID_TOPIC_EXCEPTION });
    }
    await expect(logs.createTopic("p", { partitions: 0 })).rejects.toMatchObject({ kafkaErrorCode: KafkaErrorCode.INVALID_PARTITIONS });
    await expect(logs.createTopic("c", { configs: { "retention.ms": "soon" } })).rejects.toMatchObject({ kafkaErrorCode: KafkaErrorCode.INVALID_CONFIG });
    await expect(logs.createTopic("c", { configs: { "no.such.thing": "1" } })).rejects.toThrow(/unknown topic config 'no.such.thing'/);
    await logs.createTopic("ok");
    await expect(logs.createTopic("ok")).rejects.toMatchObject({ kafkaErrorCode: KafkaErrorCode.TOPIC_ALREADY_EXISTS });
    await expect(logs.deleteTopic("__consumer_offsets")).rejects.toThrow(/internal/);
    expect(() => logs.partition("ok", 1)).toThrow(expect.objectContaining({ kafkaErrorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION }));
    expect(logs.listTopics().map((t) => t.name)).toEqual(["ok"]);
    await logs.close();
  });

  it("persists config changes, new partitions and deletions across restarts", async () => {
    const dataDir = tempDir();
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    await logs.createTopic("a", { partitions: 2 });
    await logs.createTopic("b");
    await logs.partition("b", 0).append(await batchOf(["b-data"]));
    await logs.alterTopicConfig("a", { set: { "retention.ms": "5000", "cleanup.policy": "compact" } });
    await logs.alterTopicConfig("a", { remove: ["cleanup.policy"] });
    await logs.createPartitions("a", 4);
    await logs.deleteTopic("b");
    expect(fs.existsSync(path.join(dataDir, "b-0"))).toBe(false);
    await logs.close();
    const again = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    expect(again.listTopics().map((t) => [t.name, t.partitions, t.configs])).toEqual([["a", 4, { "retention.ms": "5000" }]]);
    await again.createTopic("b");
    expect(again.partition("b", 0).logEndOffset).toBe(0); // a recreated topic starts empty
    await again.close();
  });
});
