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
import { serve } from "../helpers/cli.js";
import { seededRandom } from "../sim/simulated-disk.js";
import { Kafka, logLevel } from "kafkajs";

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

describe("crash safety", () => {
  it("keeps every acknowledged record, bit for bit, across repeated SIGKILLs", async () => {
    // TRIBUTARY_CRASH_SEED=<seed> replays a run; every failure message names the seed.
    const seed = Number(process.env.TRIBUTARY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
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

  it("keeps every record a Kafka client (acks=-1) or an HTTP client was answered for, across SIGKILLs of the broker", async () => {
    // The acknowledgements counted here are the clients' own: a Kafka produce answered, an HTTP 200 received.
    const seed = Number(process.env.TRIBUTARY_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    const dataDir = tempDir();
    const acknowledged = new Set<string>();
    for (let run = 0; run < 5; run++) {
      const server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0"]);
      // The ports the broker bound, from its ready line: no port is guessed or reused.
      const kafkaAddress = /kafka (\S+),/.exec(server.readyLine)![1]!;
      const httpUrl = /http (http:\/\/\S+),/.exec(server.readyLine)![1]!;
      if (run === 0) {
        const created = await fetch(`${httpUrl}/topics`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "e2e", partitions: 2 }) });
        expect(created.status).toBe(201);
      }
      const producer = new Kafka({ brokers: [kafkaAddress], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer({ maxInFlightRequests: 1 });
      await producer.connect();
      let dead = false;
      const padding = () => "p".repeat(Math.floor(random() * 300));
      const kafkaWriter = async () => {
        for (let seq = 0; !dead; seq++) {
          const values = Array.from({ length: 1 + (seq % 7) }, (_, i) => `kafka-${run}-${seq}-${i}-${padding()}`);
          try {
            await producer.send({ topic: "e2e", acks: -1, messages: values.map((value) => ({ value })) });
          } catch {
            return; // the broker is gone: what was not answered is not counted
          }
          for (const v of values) acknowledged.add(v);
        }
      };
      const httpWriter = async () => {
        for (let seq = 0; !dead; seq++) {
          const values = Array.from({ length: 1 + (seq % 5) }, (_, i) => `http-${run}-${seq}-${i}-${padding()}`);
          try {
            const res = await fetch(`${httpUrl}/topics/e2e/records`, {
              method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ records: values.map((value) => ({ value })) }),
            });
            if (res.status !== 200) return;
          } catch {
            return;
          }
          for (const v of values) acknowledged.add(JSON.stringify(v));
        }
      };
      const writers = Promise.all([kafkaWriter(), kafkaWriter(), httpWriter(), httpWriter()]);
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(random() * 900)));
      server.process.kill("SIGKILL");
      await server.exited;
      dead = true;
      await writers;
      await producer.disconnect().catch(() => undefined);
    }
    console.log(`clients were answered for ${acknowledged.size} records before the kills (seed ${seed})`);
    expect(acknowledged.size).toBeGreaterThan(10); // the clients were answered before each kill
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    const stored = new Set<string>();
    try {
      for (const partition of [0, 1]) {
        const log = logs.partition("e2e", partition);
        for (let offset = log.logStartOffset; offset < log.highWatermark;) {
          for (const batch of splitBatches((await log.read(offset, 1 << 20)).records)) {
            for (const r of (await decodeRecordBatch(batch)).records) stored.add(r.value!.toString());
            offset = Number(batch.readBigInt64BE(0)) + batch.readInt32BE(23) + 1;
          }
        }
      }
    } finally {
      await logs.close();
    }
    const missing = [...acknowledged].filter((v) => !stored.has(v));
    expect(missing, `acknowledged records missing after the kills (seed ${seed})`).toEqual([]);
  });
});
