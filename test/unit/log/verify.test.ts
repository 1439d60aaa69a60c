// log verify tells a torn tail left by a crash (never acknowledged, cut at the
// next start) from damage.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogManager } from "../../../src/log/log-manager.js";
import { verifyDataDir } from "../../../src/log/verify.js";
import { tempDir } from "../../helpers/temp-dir.js";
import { batchOf } from "../../helpers/records.js";

async function dataDirWithTail(tail: (batch: Buffer) => Buffer): Promise<{ dataDir: string; segment: string }> {
  const dataDir = tempDir();
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  await logs.createTopic("t");
  for (let i = 0; i < 3; i++) await logs.partition("t", 0).append(await batchOf([`r${i}`]));
  await logs.close();
  const segment = path.join(dataDir, "t-0", "00000000000000000000.log");
  fs.appendFileSync(segment, tail(await batchOf(["unacknowledged"])));
  return { dataDir, segment };
}

describe("log verify", () => {
  it("reports a torn tail after a crash as such, not as damage", async () => {
    const { dataDir, segment } = await dataDirWithTail((batch) => batch.subarray(0, 30));
    fs.rmSync(path.join(dataDir, ".clean-shutdown")); // what a crash leaves: no clean-shutdown mark
    const report = verifyDataDir(dataDir);
    expect(report.problems).toEqual([]);
    expect(report.tornTails).toEqual([expect.objectContaining({ file: segment })]);
  });

  it("calls the same tail damage after a clean stop", async () => {
    const { dataDir, segment } = await dataDirWithTail((batch) => batch.subarray(0, 30));
    expect(verifyDataDir(dataDir).problems).toEqual([expect.objectContaining({ file: segment })]);
  });

  it("calls damage followed by an intact batch damage, crash or not", async () => {
    const { dataDir, segment } = await dataDirWithTail((batch) => {
      const damaged = Buffer.from(batch);
      damaged.writeUInt8(damaged[damaged.length - 1]! ^ 0xff, damaged.length - 1);
      return Buffer.concat([damaged, batch]);
    });
    fs.rmSync(path.join(dataDir, ".clean-shutdown"));
    const report = verifyDataDir(dataDir);
    expect(report.problems).toEqual([expect.objectContaining({ file: segment })]);
    expect(report.tornTails).toEqual([]);
  });
});
