// The topic and group commands against a running broker (found through its
// data dir, or named with --broker) and offline on a stopped broker's data dir.
import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import * as path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { spawn } from "node:child_process";
import { serve, tributaryAsync, type RunningServer } from "../helpers/cli.js";
import { TRIBUTARY_BINARY } from "../helpers/binaries.js";
import { httpCall } from "../helpers/http-call.js";
import { tempDir } from "../helpers/temp-dir.js";

function addresses(server: RunningServer): { kafka: string; http: string } {
  return { kafka: /kafka (\S+),/.exec(server.readyLine)![1]!, http: /http (http:\/\/\S+),/.exec(server.readyLine)![1]! };
}

/** Runs the binary with `input` on stdin. */
function withInput(args: string[], input: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TRIBUTARY_BINARY, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await tributaryAsync(args);
  if (r.status !== 0) throw new Error(`tributary ${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  // consume says on stderr when it has joined its group; nothing else may be there.
  expect(r.stderr.replace(/^tributary: consuming \S+ in group \S+\n/, "")).toBe("");
  return r.stdout;
}

describe("admin commands", () => {
  it("manage topics and groups of a running broker, through its data dir or --broker", async () => {
    const dataDir = tempDir();
    const server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
    const { kafka, http } = addresses(server);
    const d = ["--data-dir", dataDir];
    const b = ["--broker", kafka];
    try {
      expect(await ok(["topic", "create", "orders", "-p", "2", "--config", "retention.ms=60000", "-c", "max.message.bytes=100000", ...d])).toBe("created topic orders (2 partitions)\n");
      expect(JSON.parse(await ok(["topic", "list", "--json", ...b]))).toEqual([{ name: "orders", id: "", partitions: 2, internal: false }]);
      const described = JSON.parse(await ok(["topic", "describe", "orders", "--json", ...d]));
      expect(described.configs).toContainEqual({ name: "retention.ms", value: "60000", source: "topic" });
      expect(described.partitions).toEqual([
        { partition: 0, log_start_offset: 0, high_watermark: 0, size_bytes: null, segments: null },
        { partition: 1, log_start_offset: 0, high_watermark: 0, size_bytes: null, segments: null },
      ]);
      // Setting one config over the Kafka protocol keeps the others.
      const configs = JSON.parse(await ok(["topic", "config", "orders", "--set", "cleanup.policy=compact,delete", "--remove", "max.message.bytes", "--json", ...b]));
      expect(configs.filter((c: { source: string }) => c.source === "topic")).toEqual([
        { name: "cleanup.policy", value: "compact,delete", source: "topic" }, { name: "retention.ms", value: "60000", source: "topic" },
      ]);
      expect(await ok(["topic", "add-partitions", "orders", "3", ...d])).toBe("topic orders has 3 partitions\n");
      const records = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: { i }, partition: 0 }));
      expect((await httpCall(http, "POST", "/topics/orders/records", { records })).status).toBe(200);
      expect(await ok(["topic", "delete-records", "orders", "--partition", "0", "--before", "2", ...d])).toBe("orders-0: log start is now 2\n");
      expect(JSON.parse(await ok(["topic", "describe", "orders", "--json", ...b])).partitions[0]).toMatchObject({ log_start_offset: 2, high_watermark: 5 });

      // A group that read everything: reset it back, first as a dry run.
      const client = new Kafka({ brokers: [kafka], logLevel: logLevel.NOTHING });
      const consumer = client.consumer({ groupId: "readers", sessionTimeout: 10_000 });
      await consumer.connect();
      await consumer.subscribe({ topic: "orders", fromBeginning: true });
      let seen = 0;
      await consumer.run({ autoCommitInterval: 50, eachMessage: async () => void seen++ });
      while (seen < 3) await new Promise((r) => setTimeout(r, 50));
      const busy = await tributaryAsync(["group", "reset-offsets", "readers", "--topic", "orders", "--to-earliest", "--execute", ...d]);
      expect(busy.status).toBe(1);
      expect(busy.stderr).toMatch(/group 'readers' has 1 member: offsets can only be reset while it is empty/);
      expect((await tributaryAsync(["group", "delete", "readers", ...b])).stderr).toMatch(/has 1 member/);
      await consumer.disconnect();

      expect(JSON.parse(await ok(["group", "describe", "readers", "--json", ...d]))).toContainEqual(expect.objectContaining({ topic: "orders", partition: 0, committed: 5, high_watermark: 5, lag: 0 }));
      const dry = JSON.parse(await ok(["group", "reset-offsets", "readers", "--topic", "orders", "--shift-by", "-2", "--json", ...d]));
      expect(dry).toEqual({ group: "readers", executed: false, partitions: [
        { topic: "orders", partition: 0, current: 5, next: 3 }, { topic: "orders", partition: 1, current: -1, next: 0 }, { topic: "orders", partition: 2, current: -1, next: 0 },
      ] });
      expect(JSON.parse(await ok(["group", "describe", "readers", "--json", ...b]))[0].committed).toBe(5); // nothing written
      const earliest = await ok(["group", "reset-offsets", "readers", "--topic", "orders", "--to-earliest", "--execute", ...b]);
      expect(earliest).toMatch(/orders\s+0\s+5\s+2\n/);
      expect(earliest).toMatch(/offsets written/);
      expect(JSON.parse(await ok(["group", "list", "--json", ...d]))).toEqual([{ group: "readers", state: "Empty", members: 0, partitions: 3, lag: 3 }]);
      expect(JSON.parse(await ok(["group", "reset-offsets", "readers", "--topic", "orders", "--to-offset", "99", "--json", "--execute", ...d])).partitions[0]).toEqual({ topic: "orders", partition: 0, current: 2, next: 5 });
      const when = new Date(Date.now() + 60_000).toISOString();
      expect(JSON.parse(await ok(["group", "reset-offsets", "readers", "--topic", "orders", "--to-datetime", when, "--json", ...d])).partitions[0].next).toBe(5);
      expect((await tributaryAsync(["group", "reset-offsets", "readers", "--topic", "orders", ...d])).stderr).toMatch(/give exactly one of/);
      expect((await tributaryAsync(["group", "reset-offsets", "readers", "--topic", "orders", "--to-datetime", "yesterday", ...d])).stderr).toMatch(/not an ISO date/);
      expect(await ok(["group", "delete", "readers", ...d])).toBe("deleted group readers\n");
      expect(await ok(["group", "list", ...b])).toBe("no groups\n");

      const missing = await tributaryAsync(["topic", "describe", "nope", ...b]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/UNKNOWN_TOPIC_OR_PARTITION/);
      expect(await ok(["topic", "delete", "orders", ...d])).toBe("deleted topic orders\n");
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }
  }, 60_000);

  it("work offline on a stopped broker's data dir, and never create one they only read", async () => {
    const dataDir = tempDir();
    const d = ["--data-dir", dataDir];
    await ok(["topic", "create", "events", "-p", "2", ...d]);
    await ok(["topic", "add-partitions", "events", "4", ...d]);
    expect(JSON.parse(await ok(["topic", "describe", "events", "--json", ...d])).partitions).toHaveLength(4);
    const offline = JSON.parse(await ok(["group", "reset-offsets", "nobody", "--topic", "events", "--to-latest", "--execute", "--json", ...d]));
    expect(offline.partitions).toHaveLength(4);
    expect(JSON.parse(await ok(["group", "list", "--json", ...d]))).toEqual([{ group: "nobody", state: "Empty", members: 0, partitions: 4, lag: 0 }]);
    await ok(["group", "delete", "nobody", ...d]);

    const nowhere = path.join(tempDir(), "not-here");
    for (const args of [["topic", "list"], ["topic", "describe", "x"], ["group", "list"], ["group", "describe", "g"]]) {
      const r = await tributaryAsync([...args, "--data-dir", nowhere]);
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`no data dir at ${nowhere}`));
    }
    expect(fs.existsSync(nowhere)).toBe(false);
    const unreachable = await tributaryAsync(["topic", "list", "--broker", "127.0.0.1:1"]);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the broker at 127\.0\.0\.1:1/);
  });

  it("produce from stdin, consume to stdout and measure throughput against a running broker", async () => {
    const dataDir = tempDir();
    const server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0", "--group-initial-rebalance-delay-ms", "0"]);
    const { kafka } = addresses(server);
    try {
      await ok(["topic", "create", "lines", "-p", "2", "--data-dir", dataDir]);
      const produced = await withInput(["produce", "lines", "--broker", kafka, "--key-separator", ":", "--headers", "src=cli", "--partition", "1"], 'a:{"x":1}\nb:plain text\nno key here\n');
      expect(produced).toMatchObject({ status: 0, stderr: "produced 3 records to lines\n" });
      const bad = await withInput(["produce", "lines", "--data-dir", dataDir, "--format", "json"], "nope\n");
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/line 1 is not JSON/);

      const consumed = await ok(["consume", "lines", "--data-dir", dataDir, "--from", "beginning", "-n", "3"]);
      const records = consumed.trim().split("\n").map((l) => JSON.parse(l));
      expect(records.map((r) => [r.partition, r.offset, r.key, r.value, r.headers])).toEqual([
        [1, 0, "a", { x: 1 }, { src: "cli" }], [1, 1, "b", "plain text", { src: "cli" }], [1, 2, null, "no key here", { src: "cli" }],
      ]);
      expect(await ok(["consume", "lines", "--broker", kafka, "--from", "1", "-n", "2", "--format", "value"])).toBe("plain text\nno key here\n");
      const later = new Date(Date.now() + 3_600_000).toISOString();
      const fromTime = spawn(TRIBUTARY_BINARY, ["consume", "lines", "--broker", kafka, "--from", later, "-n", "1", "--format", "value"], { stdio: ["ignore", "pipe", "pipe"] });
      const fromTimeExit = new Promise((resolve) => fromTime.on("exit", resolve)); // listened for at once: it may end before the produce below returns
      let tail = "";
      fromTime.stdout.on("data", (d: Buffer) => (tail += d.toString()));
      // Nothing is that new yet: once it has joined, it follows the topic and prints what comes next.
      await new Promise<void>((resolve) => {
        let said = "";
        fromTime.stderr.on("data", (d: Buffer) => {
          said += d.toString();
          if (said.includes("tributary: consuming lines in group")) resolve();
        });
      });
      expect((await withInput(["produce", "lines", "--broker", kafka, "--partition", "0"], "fresh\n")).status).toBe(0);
      expect(await fromTimeExit).toBe(0);
      expect(tail).toBe("fresh\n");

      const perf = JSON.parse(await ok(["perf", "produce", "--broker", kafka, "--topic", "perf", "--records", "20000", "--record-size", "100", "--partitions", "2", "--compression", "lz4"]));
      expect(perf).toMatchObject({ test: "produce", records: 20000, record_size: 100, acks: "all", compression: "lz4" });
      for (const key of ["records_per_sec", "mb_per_sec", "p50_ms", "p99_ms", "p999_ms", "max_ms"]) expect(perf[key], key).toBeGreaterThan(0);
      expect(perf.p50_ms).toBeLessThanOrEqual(perf.p99_ms);
      expect(perf.p99_ms).toBeLessThanOrEqual(perf.max_ms);
      const described = JSON.parse(await ok(["topic", "describe", "perf", "--json", "--broker", kafka]));
      expect(described.partitions.reduce((n: number, p: { high_watermark: number }) => n + p.high_watermark, 0)).toBe(20000);
      const read = JSON.parse(await ok(["perf", "consume", "--broker", kafka, "--topic", "perf", "--records", "20000"]));
      expect(read).toMatchObject({ test: "consume", records: 20000 });
      expect(read.mb_per_sec).toBeGreaterThan(0);
      expect((await tributaryAsync(["perf", "produce", "--broker", kafka, "--topic", "perf", "--records", "0"])).stderr).toMatch(/--records '0' is not a positive integer/);
    } finally {
      server.process.kill("SIGTERM");
      await server.exited;
    }
  }, 90_000);
});
