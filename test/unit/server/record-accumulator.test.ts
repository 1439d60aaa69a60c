// The accumulator on the memory store: requests that reach a partition in the
// same turn of the event loop share one record batch, and a refused shared
// batch is written again request by request, so one bad request fails alone.
import { describe, expect, it } from "vitest";
import { MemoryLogStore } from "../../../src/log/memory-store.js";
import { RecordAccumulator } from "../../../src/server/record-accumulator.js";
import { splitBatches } from "../../../src/protocol/record-batch-codec.js";

const record = (key: string | null, value: string) => ({ key: key === null ? null : Buffer.from(key), value: Buffer.from(value) });

describe("record accumulator", () => {
  it("writes requests of one turn as one batch, each learning its own offsets", async () => {
    const logs = new MemoryLogStore();
    await logs.createTopic("t");
    const accumulator = new RecordAccumulator(logs);
    const firsts = await Promise.all(Array.from({ length: 60 }, (_, i) => accumulator.append("t", 0, [record(null, `a${i}`), record(null, `b${i}`)])));
    expect(firsts).toEqual(Array.from({ length: 60 }, (_, i) => i * 2));
    const batches = splitBatches((await logs.partition("t", 0).read(0, 1 << 20)).records);
    expect(batches).toHaveLength(1);
  });

  it("retries a refused shared batch request by request: only the bad request fails, nothing is written twice", async () => {
    const logs = new MemoryLogStore();
    await logs.createTopic("c", { configs: { "cleanup.policy": "compact" } });
    const accumulator = new RecordAccumulator(logs);
    const outcomes = await Promise.allSettled(Array.from({ length: 9 }, (_, i) => accumulator.append("c", 0, [record(i % 3 === 0 ? null : `k${i}`, `v${i}`)])));
    expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 9 }, (_, i) => (i % 3 === 0 ? "rejected" : "fulfilled")));
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/key/);
    // The six good requests, once each, in arrival order.
    expect(outcomes.filter((o) => o.status === "fulfilled").map((o) => (o as PromiseFulfilledResult<number>).value)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await logs.partition("c", 0).offsets()).highWatermark).toBe(6);
  });
});
