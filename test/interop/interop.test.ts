import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { splitBatches } from "../../src/protocol/record-batch-codec.js";
import { REPO_ROOT } from "../helpers/binaries.js";
import { tempDir } from "../helpers/temp-dir.js";

// Real Kafka clients from Debian: kcat (librdkafka 2.0.2), confluent-kafka-python
// (librdkafka) and kafka-python, all through /usr/bin/python3 or /usr/bin/kcat.

const PYTHON = "/usr/bin/python3";
let broker: Broker;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0 });
});

afterAll(async () => {
  await broker?.stop();
});

/** Runs a client process. Never synchronously: the broker lives in this process's event loop. */
function run(command: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr}`));
    });
    child.stdin.end(input ?? "");
  });
}

function kcat(args: string[], input?: string): Promise<string> {
  return run("kcat", ["-b", broker.brokers[0]!, ...args], input);
}

async function storedCodecs(topic: string): Promise<number[]> {
  const log = broker.logs.partition(topic, 0);
  return splitBatches((await log.read(0, 1 << 20)).records).map((b) => b.readInt16BE(21) & 7);
}

describe("kcat", () => {
  it("lists the cluster with -L", async () => {
    const out = await kcat(["-L"]);
    expect(out).toMatch(/1 brokers:/);
    expect(out).toContain(`broker 0 at ${broker.brokers[0]}`);
  });

  const codecs: [string, number][] = [["none", 0], ["gzip", 1], ["snappy", 2], ["lz4", 3], ["zstd", 4]];
  for (const [codec, attribute] of codecs) {
    it(`produces and consumes with ${codec}, stored with its codec`, async () => {
      const topic = `kcat-${codec}`;
      // Long, repetitive lines: librdkafka sends a batch uncompressed when compression would not shrink it.
      const lines = Array.from({ length: 25 }, (_, i) => `${codec}-line-${i}-${"abc".repeat(100)}`);
      await kcat(["-t", topic, "-P", "-z", codec, "-K", ":"], lines.map((l, i) => `key${i}:${l}`).join("\n") + "\n");
      const consumed = (await kcat(["-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%k=%s\\n"])).trim().split("\n");
      expect(consumed).toEqual(lines.map((l, i) => `key${i}=${l}`));
      expect((await storedCodecs(topic)).length).toBeGreaterThan(0);
      expect(new Set(await storedCodecs(topic))).toEqual(new Set([attribute]));
      // Tributary's own decompression of librdkafka's batches, read back over HTTP.
      const read = await (await fetch(`${broker.httpUrl}/topics/${topic}/partitions/0/records?offset=0&limit=100&max_bytes=1000000`)).json() as { records: { key: string; value: string }[] };
      expect(read.records.map((r) => `${r.key}=${r.value}`)).toEqual(lines.map((l, i) => `key${i}=${l}`));
    });

    it(`reads what Tributary compresses with ${codec} (compression.type) through librdkafka's own ${codec}`, async () => {
      // An independent implementation checks Tributary's codec: kcat sends uncompressed, the topic stores
      // with its compression.type, and kcat must inflate what Tributary deflated.
      const topic = `kcat-stored-${codec}`;
      await fetch(`${broker.httpUrl}/topics`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: topic, configs: { "compression.type": codec === "none" ? "uncompressed" : codec } }),
      });
      const lines = Array.from({ length: 40 }, (_, i) => `${codec}-stored-${i}-${"xyz".repeat(50 + i)}`);
      await kcat(["-t", topic, "-P", "-z", "none"], lines.join("\n") + "\n");
      expect(new Set(await storedCodecs(topic))).toEqual(new Set([attribute]));
      const consumed = (await kcat(["-t", topic, "-C", "-o", "beginning", "-e", "-q"])).trim().split("\n");
      expect(consumed).toEqual(lines);
    });
  }

  it("consumes from an offset and from the end", async () => {
    await kcat(["-t", "kcat-offsets", "-P"], "a\nb\nc\nd\n");
    expect((await kcat(["-t", "kcat-offsets", "-C", "-o", "2", "-e", "-q"])).trim().split("\n")).toEqual(["c", "d"]);
    expect((await kcat(["-t", "kcat-offsets", "-C", "-o", "-1", "-e", "-q"])).trim()).toBe("d");
  });
});

describe("python clients", () => {
  it("confluent-kafka: idempotent producer with every codec and a consumer group of two", async () => {
    await broker.logs.createTopic("ck-topic", { partitions: 3 });
    const out = await run(PYTHON, ["test/interop/confluent_kafka_client.py", broker.brokers[0]!, "ck-topic", "ck-group"]);
    const result = JSON.parse(out.trim().split("\n").pop()!);
    expect(result).toMatchObject({ sent: 100, seen: 100, missing: [], committed: 100 });
    // Both members read: the group really split the three partitions.
    expect(result.per_member).toHaveLength(2);
    for (const n of result.per_member) expect(n).toBeGreaterThan(0);
    expect(result.per_member[0] + result.per_member[1]).toBeGreaterThanOrEqual(100);
    // What the broker keeps, not what the script counted: 35 + 35 + 30 records (i % 3 of 20 per codec), each committed to its end.
    const committed = await broker.logs.offsets.list("ck-group", "ck-topic");
    expect(committed.map((c) => [c.partition, c.committed.offset])).toEqual([[0, 35], [1, 35], [2, 30]]);
    expect(new Set(await storedCodecs("ck-topic"))).toEqual(new Set([0, 1, 2, 3, 4]));
  });

  it("confluent-kafka transactions: send_offsets_to_transaction, commit, abort; read_committed sees only the committed results", async () => {
    await broker.logs.createTopic("ck-tx-in");
    await broker.logs.createTopic("ck-tx-out");
    const out = await run(PYTHON, ["test/interop/transactions_client.py", broker.brokers[0]!, "ck-tx-in", "ck-tx-out", "ck-tx-group"]);
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({
      committed_offset: 2,
      read_committed: ["out-in-0", "out-in-1"],
      read_uncommitted: ["out-in-0", "out-in-1", "out-in-2", "out-in-3"],
    });
  });

  it("kafka-python on old protocol versions: message formats 0 and 1 produced, stored as batches, fetched back", async () => {
    const out = await run(PYTHON, ["test/interop/kafka_python_legacy.py", broker.brokers[0]!, "kp-legacy"]);
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({
      "0.9": { sent: 20, seen: 20, same: true },
      "0.10.0": { sent: 20, seen: 20, same: true },
    });
    // Format 0 has no timestamps (Produce v1), format 1 has (Produce v2); both were gzipped.
    const timestamps = async (topic: string) => {
      const batches = splitBatches((await broker.logs.partition(topic, 0).read(0, 1 << 20)).records);
      expect(new Set(batches.map((b) => b.readInt16BE(21) & 7))).toEqual(new Set([1]));
      return batches.map((b) => Number(b.readBigInt64BE(27)));
    };
    expect(new Set(await timestamps("kp-legacy-0-9"))).toEqual(new Set([-1]));
    expect(Math.min(...await timestamps("kp-legacy-0-10-0"))).toBeGreaterThan(0);
  });

  it("kafka-python: producer and consumer group", async () => {
    const out = await run(PYTHON, ["test/interop/kafka_python_client.py", broker.brokers[0]!, "kp-topic", "kp-group"]);
    expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ offsets: 50, seen: true });
    expect((await broker.logs.offsets.get("kp-group", "kp-topic", 0))?.offset).toBe(50);
  });
});

// A current librdkafka, built from the source node-rdkafka carries (.ci/run
// installs it outside the project: it compiles for minutes).
const NODE_RDKAFKA = process.env.TRIBUTARY_NODE_RDKAFKA ?? "/opt/tributary-interop/node_modules/node-rdkafka";

describe("current librdkafka (node-rdkafka)", () => {
  it("reads metadata, produces with every codec, consumes in a group and sees the end of an empty partition", async () => {
    await broker.logs.createTopic("rd-empty", { partitions: 1 });
    const out = await run(process.execPath, ["test/interop/rdkafka_client.cjs", NODE_RDKAFKA, broker.brokers[0]!, "rd-topic", "rd-group", "rd-empty"]);
    const result = JSON.parse(out.trim().split("\n").pop()!);
    const [major, minor] = (result.librdkafka as string).split(".").map(Number);
    expect(major! * 100 + minor!).toBeGreaterThanOrEqual(212);
    expect(result).toMatchObject({ sent: 100, consumed: 100, metadataHasTopic: true, eofOffset: 0 });
    // What the broker holds, not only what the script counted: all hundred records, once.
    const ends = await Promise.all(Array.from({ length: broker.logs.partitionCount("rd-topic") }, async (_, p) => (await broker.logs.partition("rd-topic", p).offsets()).highWatermark));
    expect(ends.reduce((a, b) => a + b, 0)).toBe(100);
    expect(new Set(await storedCodecs("rd-topic"))).toEqual(new Set([0, 1, 2, 3, 4]));
    // librdkafka 2.x pads its Metadata v12 requests: they were answered, and the padding counted.
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/tributary_kafka_request_trailing_bytes_total\{request="Metadata v12"\} [1-9]/);
  });
});

describe("cluster mode", () => {
  it("confluent-kafka (librdkafka) reads from the cluster what was published over HTTP through a frontend", async () => {
    const frontend = await startBroker({ dataDir: tempDir(), kafkaCluster: broker.brokers[0]!, registryTopic: "_frontend_schemas", httpPort: 0, warehouseEnabled: false });
    try {
      const post = (path: string, body: unknown) => fetch(`${frontend.httpUrl}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      expect((await post("/topics", { name: "fronted", partitions: 2 })).status).toBe(201);
      expect((await post("/topics/fronted/records", { records: [{ key: "a", value: { n: 1 } }, { key: "b", value: { n: 2 } }, { key: "c", value: { n: 3 } }] })).status).toBe(200);
      const read = JSON.parse(await run(PYTHON, ["test/interop/confluent_kafka_consume.py", broker.brokers[0]!, "fronted", "3"])) as string[];
      expect(read.map((v) => JSON.parse(v)).sort((x: { n: number }, y: { n: number }) => x.n - y.n)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    } finally {
      await frontend.stop();
    }
  });
});
