import { describe, expect, it } from "vitest";
import { LogManager } from "../../../src/log/log-manager.js";
import { GroupCoordinator } from "../../../src/server/groups/group-coordinator.js";
import { HttpConsumers } from "../../../src/server/http/http-consumer.js";
import { localMembership } from "../../../src/server/groups/group-membership.js";
import { tempDir } from "../../helpers/temp-dir.js";

describe("REST consumer instances", () => {
  it("expire after the idle timeout and leave their group", async () => {
    const logs = await LogManager.open({ dataDir: tempDir(), maintenanceIntervalMs: 0 });
    await logs.createTopic("t", { partitions: 2 });
    const groups = new GroupCoordinator({ sessionTimeoutMinMs: 10, sessionTimeoutMaxMs: 600_000, initialRebalanceDelayMs: 0, requireMemberId: true }, () => undefined);
    const consumers = new HttpConsumers(logs, localMembership(groups, logs), 60_000);
    const consumer = consumers.create("g", "idle", { format: "json", autoOffsetReset: "earliest", autoCommit: false });
    await consumer.subscribe(["t"], { principal: "anonymous", from: "127.0.0.1:1", via: "http" });
    expect(groups.existing("g")!.members.size).toBe(1);
    consumers.expire(Date.now() + 30_000);
    expect(consumers.get("g", "idle")).toBe(consumer); // still within its timeout
    consumers.expire(Date.now() + 120_000);
    expect(() => consumers.get("g", "idle")).toThrow(/not found/);
    expect(groups.existing("g")!.members.size).toBe(0);
    consumers.close();
    groups.shutdown();
    await logs.close();
  });
});
