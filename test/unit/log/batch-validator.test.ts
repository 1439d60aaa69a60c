import { describe, expect, it } from "vitest";
import { LogManager } from "../../../src/log/log-manager.js";
import { KafkaErrorCode } from "../../../src/protocol/kafka-error-codes.js";
import { encodeRecordBatch } from "../../../src/protocol/record-batch-codec.js";
import { rewriteBatchCrc } from "../../../src/protocol/record-batch-header.js";
import { tempDir } from "../../helpers/temp-dir.js";
import { batchOf } from "../../helpers/records.js";

async function openTopic(configs: Record<string, string> = {}) {
  const logs = await LogManager.open({ dataDir: tempDir(), maintenanceIntervalMs: 0 });
  await logs.createTopic("t", { configs });
  return { logs, log: logs.partition("t", 0) };
}

/** A batch damaged by `mutate`, with the CRC recomputed when `fixCrc` (so only the rule under test fails). */
async function damaged(mutate: (b: Buffer) => Buffer | void, fixCrc = true): Promise<Buffer> {
  let batch = await batchOf(["one", "two", "three"]);
  batch = mutate(batch) ?? batch;
  if (fixCrc && batch.length >= 61) rewriteBatchCrc(batch, 0, batch.length);
  return batch;
}

const cases: [string, () => Promise<Buffer>, number, RegExp][] = [
  ["an empty buffer", async () => Buffer.alloc(0), KafkaErrorCode.CORRUPT_MESSAGE, /shorter than the 61-byte header/],
  ["a truncated batch", () => damaged((b) => b.subarray(0, b.length - 3), false), KafkaErrorCode.CORRUPT_MESSAGE, /batchLength says/],
  ["a flipped payload byte", () => damaged((b) => void (b[b.length - 2]! ^= 0xff), false), KafkaErrorCode.CORRUPT_MESSAGE, /CRC32C/],
  ["magic 1", () => damaged((b) => void b.writeInt8(1, 16)), KafkaErrorCode.CORRUPT_MESSAGE, /magic 1/],
  ["a record count that lies", () => damaged((b) => void b.writeInt32BE(4, 57)), KafkaErrorCode.INVALID_RECORD, /lastOffsetDelta 2 does not match 4 records/],
  ["zero records", () => damaged((b) => void (b.writeInt32BE(0, 57), b.writeInt32BE(-1, 23))), KafkaErrorCode.INVALID_RECORD, /at least one record/],
  ["an unknown codec", () => damaged((b) => void b.writeInt16BE(6, 21)), KafkaErrorCode.INVALID_RECORD, /compression codec 6/],
  ["a control batch from a producer", () => damaged((b) => void b.writeInt16BE(0x20, 21)), KafkaErrorCode.INVALID_RECORD, /control batches/],
  ["garbage where compressed records should be", () => damaged((b) => void b.writeInt16BE(4, 21)), KafkaErrorCode.CORRUPT_MESSAGE, /decompress/],
];

describe("append validation", () => {
  for (const [what, make, code, message] of cases) {
    it(`refuses ${what} with Kafka error ${code} and writes nothing`, async () => {
      const { logs, log } = await openTopic();
      await log.append(await batchOf(["before"]));
      const sizeBefore = log.sizeBytes;
      const err = await log.append(await make()).catch((e: unknown) => e);
      expect(err).toMatchObject({ kafkaErrorCode: code });
      expect((err as Error).message).toMatch(message);
      expect(log.sizeBytes).toBe(sizeBefore);
      expect(log.logEndOffset).toBe(1);
      expect((await log.append(await batchOf(["after"]))).baseOffset).toBe(1);
      await logs.close();
    });
  }

  it("refuses a batch over max.message.bytes with MESSAGE_TOO_LARGE", async () => {
    const { logs, log } = await openTopic({ "max.message.bytes": "1000" });
    const err = await log.append(await batchOf(["x".repeat(2000)])).catch((e: unknown) => e);
    expect(err).toMatchObject({ kafkaErrorCode: KafkaErrorCode.MESSAGE_TOO_LARGE });
    expect(log.logEndOffset).toBe(0);
    await logs.close();
  });

  it("refuses records without a key on a compacted topic", async () => {
    const { logs, log } = await openTopic({ "cleanup.policy": "compact" });
    await expect(log.append(await batchOf(["no key"]))).rejects.toMatchObject({ kafkaErrorCode: KafkaErrorCode.INVALID_RECORD });
    await log.append(await batchOf(["keyed"], { key: () => "k" }));
    expect(log.logEndOffset).toBe(1);
    await logs.close();
  });

  it("refuses negative timestamps with INVALID_TIMESTAMP", async () => {
    const { logs, log } = await openTopic();
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.from("v"), timestamp: -5 }]);
    await expect(log.append(batch)).rejects.toMatchObject({ kafkaErrorCode: KafkaErrorCode.INVALID_TIMESTAMP });
    await logs.close();
  });

  it("assigns offsets and keeps the producer's bytes otherwise unchanged", async () => {
    const { logs, log } = await openTopic();
    await log.append(await batchOf(["a", "b"]));
    const sent = await batchOf(["c", "d", "e"]);
    const original = Buffer.from(sent);
    const result = await log.append(sent);
    expect(result).toMatchObject({ baseOffset: 2, lastOffset: 4 });
    const stored = (await log.read(2, 1 << 20)).records;
    // Only baseOffset (0-7) and the leader epoch (12-15) differ: both lie outside the CRC.
    expect(stored.subarray(16)).toEqual(original.subarray(16));
    expect(stored.readBigInt64BE(0)).toBe(2n);
    await logs.close();
  });

  it("stamps LogAppendTime batches with the broker clock", async () => {
    const { logs, log } = await openTopic({ "message.timestamp.type": "LogAppendTime" });
    const before = Date.now();
    const result = await log.append(await batchOf(["x"], { timestamp: 1000 }));
    expect(result.logAppendTime).toBeGreaterThanOrEqual(before);
    const found = await log.offsetForTimestamp(before);
    expect(found).toEqual({ offset: 0, timestamp: result.logAppendTime });
    await logs.close();
  });
});
