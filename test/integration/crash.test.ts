import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { LogManager } from "../../src/log/log-manager.js";
import { verifyDataDir } from "../../src/log/verify.js";
import { decodeRecordBatch, splitBatches } from "../../src/protocol/record-batch-codec.js";
import { tempDir } from "../helpers/temp-dir.js";
import { BUN } from "../helpers/binaries.js";

type Acked = Map<string, { key: string; hash: string }>; // "partition:offset" -> record

/** Runs the writer until a random moment after it is ready, then SIGKILLs it; returns what it acknowledged. */
function runAndKill(dataDir: string, runId: string, killAfterMs: number): Promise<{ acked: Acked; lines: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BUN, ["test/helpers/crash-writer.ts", dataDir, runId], { stdio: ["ignore", "pipe", "pipe"] });
    let buffered = "";
    let stderr = "";
    const acked: Acked = new Map();
    let lines = 0;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === "ready") {
          setTimeout(() => child.kill("SIGKILL"), killAfterMs);
          continue;
        }
        const { p, acked: records } = JSON.parse(line) as { p: number; acked: [number, string, string][] };
        for (const [offset, key, hash] of records) acked.set(`${p}:${offset}`, { key, hash });
        lines++;
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer exited with ${code ?? signal}: ${stderr}`));
      else resolve({ acked, lines });
    });
  });
}

async function storedRecords(dataDir: string): Promise<Acked> {
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  const stored: Acked = new Map();
  try {
    for (const partition of [0, 1]) {
      const log = logs.partition("crash", partition);
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        for (const batch of splitBatches((await log.read(offset, 1 << 20)).records)) {
          for (const r of (await decodeRecordBatch(batch)).records) {
            expect(stored.has(`${partition}:${r.offset}`)).toBe(false);
            stored.set(`${partition}:${r.offset}`, { key: r.key!.toString(), hash: createHash("sha256").update(r.value!).digest("hex") });
          }
          offset = Number(batch.readBigInt64BE(0)) + batch.readInt32BE(23) + 1;
        }
      }
      expect(offset).toBe(log.logEndOffset); // no holes: offsets are dense up to the end
    }
  } finally {
    await logs.close();
  }
  return stored;
}

/** A small seeded generator (mulberry32): the kill times of a failed run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

describe("crash safety", () => {
  it("keeps every acknowledged record, bit for bit, across repeated SIGKILLs", async () => {
    // TRIBUTARY_CRASH_SEED=<seed> replays a run; every failure message names the seed.
    const seed = Number(process.env.TRIBUTARY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seeded(seed);
    const dataDir = tempDir();
    const allAcked: Acked = new Map();
    const iterations = 12;
    let totalLines = 0;
    for (let run = 0; run < iterations; run++) {
      const { acked, lines } = await runAndKill(dataDir, `run${run}`, 30 + Math.floor(random() * 700));
      totalLines += lines;
      for (const [k, v] of acked) allAcked.set(k, v);
      // Check a copy (a crash image) so the next writer recovers the original itself.
      const image = tempDir();
      fs.cpSync(dataDir, image, { recursive: true });
      const stored = await storedRecords(run % 3 === 2 ? dataDir : image);
      for (const [where, record] of allAcked) expect(stored.get(where), `acknowledged record ${where} (seed ${seed}, run ${run})`).toEqual(record);
      expect(verifyDataDir(image).problems, `seed ${seed}, run ${run}`).toEqual([]);
    }
    expect(totalLines).toBeGreaterThan(iterations); // the writers did acknowledge work before dying
    expect(fs.existsSync(path.join(dataDir, "crash-0"))).toBe(true);
  });
});
