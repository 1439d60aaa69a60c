// The engine's aborted-transaction indexes on disk: one .txnindex per
// segment, kept across a clean or unclean reopen, and rebuilt from the
// batches when the checkpoint or an index file is lost.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogManager } from "../../../src/log/log-manager.js";
import { encodeRecordBatch } from "../../../src/protocol/record-batch-codec.js";
import { ControlType, encodeMarker } from "../../../src/protocol/control-batch.js";
import { tempDir } from "../../helpers/temp-dir.js";

const txBatch = (pid: number, value: string) => encodeRecordBatch([{ key: null, value: Buffer.from(value.repeat(200)) }], { transactional: true, producerId: pid, producerEpoch: 0, baseSequence: 0 });

/** A partition with transactions over three segments: pid 1 aborted (segment 0), pid 2 committed, pid 3 aborted (segment 1), pid 4 open. */
async function written(dir: string): Promise<void> {
  const logs = await LogManager.open({ dataDir: dir, maintenanceIntervalMs: 0 });
  await logs.createTopic("t", { configs: { "segment.bytes": "512" } });
  const log = logs.partition("t", 0);
  await log.append(await txBatch(1, "a"));
  await log.append(await encodeMarker(ControlType.ABORT, 1, 0), { allowControl: true });
  await log.append(await txBatch(2, "b"));
  await log.append(await encodeMarker(ControlType.COMMIT, 2, 0), { allowControl: true });
  await log.append(await txBatch(3, "c"));
  await log.append(await encodeMarker(ControlType.ABORT, 3, 0), { allowControl: true });
  await log.append(await txBatch(4, "d"));
  await logs.close();
}

async function state(dir: string): Promise<{ lso: number; hw: number; aborted: unknown[] }> {
  const logs = await LogManager.open({ dataDir: dir, maintenanceIntervalMs: 0 });
  try {
    const log = logs.partition("t", 0);
    const offsets = await log.offsets();
    return { lso: offsets.lastStableOffset, hw: offsets.highWatermark, aborted: log.abortedTransactions(0, offsets.highWatermark) };
  } finally {
    await logs.close();
  }
}

const EXPECTED = {
  lso: 6, hw: 7,
  aborted: [{ producerId: 1, firstOffset: 0, lastOffset: 1 }, { producerId: 3, firstOffset: 4, lastOffset: 5 }],
};

describe("aborted-transaction indexes", () => {
  it("keeps one .txnindex per segment and the transactions across a reopen", async () => {
    const dir = tempDir();
    await written(dir);
    const files = fs.readdirSync(path.join(dir, "t-0"));
    expect(files.filter((f) => f.endsWith(".log")).length).toBeGreaterThan(1);
    expect(files.filter((f) => f.endsWith(".txnindex")).length).toBe(files.filter((f) => f.endsWith(".log")).length);
    expect(await state(dir)).toEqual(EXPECTED);
  });

  it("rebuilds them from the batches when the checkpoint is lost", async () => {
    const dir = tempDir();
    await written(dir);
    fs.rmSync(path.join(dir, "checkpoint.json"));
    expect(await state(dir)).toEqual(EXPECTED);
  });

  it("rebuilds them when a segment's index file is missing, and writes it again", async () => {
    const dir = tempDir();
    await written(dir);
    const indexes = fs.readdirSync(path.join(dir, "t-0")).filter((f) => f.endsWith(".txnindex")).sort();
    fs.rmSync(path.join(dir, "t-0", indexes[0]!));
    expect(await state(dir)).toEqual(EXPECTED);
    expect(fs.existsSync(path.join(dir, "t-0", indexes[0]!))).toBe(true);
  });
});

describe("compaction and transactions", () => {
  it("removes an aborted transaction's records, keeps the key's committed value and the markers", async () => {
    const dir = tempDir();
    const logs = await LogManager.open({ dataDir: dir, maintenanceIntervalMs: 0 });
    try {
      await logs.createTopic("c", { configs: { "cleanup.policy": "compact", "segment.bytes": "512", "min.cleanable.dirty.ratio": "0.01" } });
      const log = logs.partition("c", 0);
      const record = (value: string) => ({ key: Buffer.from("k"), value: Buffer.from(value.padEnd(150, ".")) });
      await log.append(await encodeRecordBatch([record("committed")]));
      await log.append(await encodeRecordBatch([record("aborted")], { transactional: true, producerId: 9, producerEpoch: 0, baseSequence: 0 }));
      await log.append(await encodeMarker(ControlType.ABORT, 9, 0), { allowControl: true });
      // More batches of another key, so that the ones above lie in closed segments.
      for (let i = 0; i < 8; i++) await log.append(await encodeRecordBatch([{ key: Buffer.from(`other${i}`), value: Buffer.alloc(150, "o") }]));
      await logs.runMaintenance(Date.now());
      const { decodeRecordBatch, splitBatches } = await import("../../../src/protocol/record-batch-codec.js");
      const seen: string[] = [];
      const { highWatermark } = await log.offsets();
      for (let offset = 0; offset < highWatermark;) {
        const read = await log.read(offset, 1 << 20);
        for (const batch of splitBatches(read.records)) {
          const decoded = await decodeRecordBatch(batch);
          offset = decoded.header.baseOffset + decoded.header.lastOffsetDelta + 1;
          if (decoded.isControl) seen.push("marker");
          else for (const r of decoded.records) if (r.key?.toString() === "k") seen.push(r.value!.toString().replace(/\.+$/, ""));
        }
      }
      expect(seen).toEqual(["committed", "marker"]);
    } finally {
      await logs.close();
    }
  });
});
