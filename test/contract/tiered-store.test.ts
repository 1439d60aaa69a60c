// The local engine with an archive behind it (tiered reads) against the LogStore contract.
import { LogManager } from "../../src/log/log-manager.js";
import { Archiver } from "../../src/archive/archiver.js";
import { TieredLogStore } from "../../src/archive/tiered-store.js";
import type { LogStore } from "../../src/log/store.js";
import { tempDir } from "../helpers/temp-dir.js";
import { MemoryObjectStore } from "../helpers/memory-object-store.js";
import { logStoreContract } from "./log-store-contract.js";
import { describe, expect, it } from "vitest";
import { batchOf, readAll } from "../helpers/records.js";
import { splitBatches } from "../../src/protocol/record-batch-codec.js";
import { KafkaErrorCode } from "../../src/protocol/kafka-error-codes.js";

logStoreContract("local engine with an archive (tiered)", async () => {
  const dataDir = tempDir();
  const objects = new MemoryObjectStore();
  const open = async (): Promise<{ store: LogStore; archiver: Archiver }> => {
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0, topicDefaults: { "remote.storage.enable": "true" } });
    const archiver = new Archiver(logs, objects, { scanIntervalMs: 20, retryMaxMs: 100, registryEntries: () => logs.schemaStore.entries() });
    await archiver.start();
    return { store: new TieredLogStore(logs, archiver), archiver };
  };
  let current = await open();
  const close = async () => {
    await current.archiver.close();
    await current.store.close();
  };
  return {
    store: current.store,
    reopen: async () => {
      await close();
      current = await open();
      return current.store;
    },
    cleanup: close,
  };
});

describe("tiered reads on an in-memory archive", () => {
  it("reads back every record after local retention removed all but the active segment", async () => {
    const logs = await LogManager.open({ dataDir: tempDir(), maintenanceIntervalMs: 0, topicDefaults: { "remote.storage.enable": "true" } });
    const archiver = new Archiver(logs, new MemoryObjectStore(), { scanIntervalMs: 10, retryMaxMs: 100, registryEntries: () => [] });
    await archiver.start();
    const store = new TieredLogStore(logs, archiver);
    try {
      await store.createTopic("t", { configs: { "segment.bytes": "1024", "local.retention.ms": "1" } });
      const sent: string[] = [];
      for (let i = 0; i < 40; i++) {
        const value = `record-${i}-${"x".repeat(100)}`;
        sent.push(value);
        await store.partition("t", 0).append(await batchOf([value]));
      }
      await archiver.scan();
      await logs.runMaintenance(Date.now() + 60_000);
      const local = await logs.partition("t", 0).offsets();
      expect(local.logStartOffset).toBeGreaterThan(0); // old segments left the disk
      expect((await store.partition("t", 0).offsets()).logStartOffset).toBe(0); // the archive still has them
      expect((await readAll(store.partition("t", 0))).map((r) => r.value)).toEqual(sent);
      expect(await store.partition("t", 0).offsetForTimestamp(0)).toMatchObject({ offset: 0 });
    } finally {
      await archiver.close();
      await logs.close();
    }
  });
});

describe("a slow archive read", () => {
  it("does not hold up the other partitions of a fetch: that partition answers empty, and its data comes once the read lands", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class GatedStore extends MemoryObjectStore {
      override async getRange(key: string, start: number, end: number): Promise<Buffer | undefined> {
        if (key.startsWith("t/0/")) await gate; // partition 0's archive reads hang until released
        return super.getRange(key, start, end);
      }
    }
    const logs = await LogManager.open({ dataDir: tempDir(), maintenanceIntervalMs: 0, topicDefaults: { "remote.storage.enable": "true" } });
    const archiver = new Archiver(logs, new GatedStore(), { scanIntervalMs: 10, retryMaxMs: 100, registryEntries: () => [] });
    await archiver.start();
    const store = new TieredLogStore(logs, archiver);
    try {
      await store.createTopic("t", { partitions: 2, configs: { "segment.bytes": "1024", "local.retention.ms": "1" } });
      for (let i = 0; i < 20; i++) for (const p of [0, 1]) await store.partition("t", p).append(await batchOf([`p${p}-${i}-${"x".repeat(100)}`]));
      await archiver.scan();
      await logs.runMaintenance(Date.now() + 60_000);
      const fetchBoth = () => Promise.all([0, 1].map((p) => store.partition("t", p).read(0, 1 << 20)));
      const [slow, fast] = await fetchBoth();
      expect(fast!.records.length).toBeGreaterThan(0);
      expect(slow!.records.length).toBe(0); // not yet: the read goes on
      const woken = store.partition("t", 0).waitForData(0, 60_000);
      release();
      expect(await woken).toBe(true);
      const [landed] = await fetchBoth();
      expect(splitBatches(landed!.records)[0]!.readBigInt64BE(0)).toBe(0n);
    } finally {
      release();
      await archiver.close();
      await logs.close();
    }
  });
});

describe("an archive that fails", () => {
  it("answers reads of archived offsets with a storage error the client may retry", async () => {
    let down = false;
    class FailingStore extends MemoryObjectStore {
      override async getRange(key: string, start: number, end: number): Promise<Buffer | undefined> {
        if (down) throw new Error("connect ECONNREFUSED");
        return super.getRange(key, start, end);
      }
    }
    const logs = await LogManager.open({ dataDir: tempDir(), maintenanceIntervalMs: 0, topicDefaults: { "remote.storage.enable": "true" } });
    const archiver = new Archiver(logs, new FailingStore(), { scanIntervalMs: 10, retryMaxMs: 100, registryEntries: () => [] });
    await archiver.start();
    const store = new TieredLogStore(logs, archiver);
    try {
      await store.createTopic("t", { configs: { "segment.bytes": "1024", "local.retention.ms": "1" } });
      for (let i = 0; i < 20; i++) await store.partition("t", 0).append(await batchOf([`r${i}-${"x".repeat(100)}`]));
      await archiver.scan();
      await logs.runMaintenance(Date.now() + 60_000);
      down = true;
      await expect(store.partition("t", 0).read(0, 1 << 20)).rejects.toMatchObject({ kafkaErrorCode: KafkaErrorCode.KAFKA_STORAGE_ERROR, message: expect.stringMatching(/from the archive failed: connect ECONNREFUSED/) });
      down = false;
      expect((await store.partition("t", 0).read(0, 1 << 20)).records.length).toBeGreaterThan(0);
    } finally {
      await archiver.close();
      await logs.close();
    }
  });
});
