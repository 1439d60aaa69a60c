import { describe, expect, it } from "vitest";
import { LogManager } from "../../../src/log/log-manager.js";
import { tempDir } from "../../helpers/temp-dir.js";
import { batchOf, readAll } from "../../helpers/records.js";

describe("LogManager", () => {
  it("appends, reads back and keeps topics, records and offsets across a restart", async () => {
    const dataDir = tempDir();
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    const clusterId = logs.clusterId;
    const topic = await logs.createTopic("orders", { partitions: 3, configs: { "retention.ms": "3600000" } });
    const p1 = logs.partition("orders", 1);
    const first = await p1.append(await batchOf(["a", "b", "c"]));
    const second = await p1.append(await batchOf(["d"]));
    expect(first).toMatchObject({ baseOffset: 0, lastOffset: 2 });
    expect(second).toMatchObject({ baseOffset: 3, lastOffset: 3 });
    expect(p1.highWatermark).toBe(4);
    await logs.offsets.commit("billing", [{ topic: "orders", partition: 1, offset: 3, metadata: "m" }]);
    await logs.close();

    const again = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    expect(again.clusterId).toBe(clusterId);
    expect(again.listTopics()).toEqual([{ ...topic }]);
    const values = await readAll(again.partition("orders", 1));
    expect(values.map((r) => [r.offset, r.value])).toEqual([[0, "a"], [1, "b"], [2, "c"], [3, "d"]]);
    expect(await again.offsets.get("billing", "orders", 1)).toMatchObject({ offset: 3, metadata: "m" });
    await again.close();
  });
});
