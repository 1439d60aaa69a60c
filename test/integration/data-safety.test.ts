// The promise under everything: no client request and no start-up ever
// deletes data the broker holds. Internal topics refuse client writes, start-up
// moves what it cannot explain aside instead of deleting it, refuses to start
// over lost metadata, and a topic delete either completes or leaves the topic.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { RawKafka } from "../helpers/raw-kafka.js";
import * as net from "node:net";
import { serve, tributary } from "../helpers/cli.js";
import { KafkaErrorCode } from "../../src/protocol/kafka-error-codes.js";
import type { Message } from "../../src/protocol/message-codec.js";
import { splitBatches } from "../../src/protocol/record-batch-codec.js";

const INTERNAL = ["__tributary_metadata", "__consumer_offsets", "_schemas"];
const dirs: string[] = [];
let broker: Broker | undefined;

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-safety-"));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string): Promise<Broker> {
  broker = await startBroker({ dataDir, kafkaPort: 0, httpPort: 0, maintenanceIntervalMs: 60_000 });
  return broker;
}

async function stop(): Promise<void> {
  await broker?.stop();
  broker = undefined;
}

async function publish(b: Broker, topic: string, count: number): Promise<void> {
  const response = await fetch(`${b.httpUrl}/topics/${topic}/records`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ records: Array.from({ length: count }, (_, i) => ({ value: { i } })) }),
  });
  expect(response.status).toBe(200);
}

afterEach(async () => {
  await stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("internal topics", () => {
  it("refuse DeleteRecords, DeleteTopics, CreatePartitions and config changes from clients, and survive a restart", async () => {
    const dataDir = tempDir();
    const b = await start(dataDir);
    const clusterId = b.logs.clusterId;
    const client = await RawKafka.connect(b.brokers[0]!);
    const deleted = await client.request(21, 2, {
      topics: INTERNAL.map((name) => ({ name, partitions: [{ partitionIndex: 0, offset: -1n }] })), timeoutMs: 1000,
    });
    for (const t of deleted.topics as Message[]) {
      expect(((t.partitions as Message[])[0]!).errorCode).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    }
    const dropped = await client.request(20, 4, { topicNames: INTERNAL, timeoutMs: 1000 });
    for (const r of dropped.responses as Message[]) expect(r.errorCode).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    const grown = await client.request(37, 1, { topics: INTERNAL.map((name) => ({ name, count: 4, assignments: null })), timeoutMs: 1000, validateOnly: false });
    for (const r of grown.results as Message[]) expect(r.errorCode).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    const altered = await client.request(44, 1, {
      resources: INTERNAL.map((name) => ({ resourceType: 2, resourceName: name, configs: [{ name: "retention.ms", configOperation: 0, value: "1" }] })),
      validateOnly: false,
    });
    for (const r of altered.responses as Message[]) expect(r.errorCode).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    const legacy = await client.request(33, 1, {
      resources: INTERNAL.map((name) => ({ resourceType: 2, resourceName: name, configs: [{ name: "retention.ms", value: "1" }] })), validateOnly: true,
    });
    for (const r of legacy.responses as Message[]) expect(r.errorCode).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    client.close();
    for (const name of INTERNAL) {
      const read = await fetch(`${b.httpUrl}/topics/${name}/partitions/0/records`);
      expect(read.status).toBe(403);
    }
    await stop();
    const again = await start(dataDir);
    expect(again.logs.clusterId).toBe(clusterId);
  });
});

describe("start-up never deletes what it cannot explain", () => {
  it("moves a partition directory that belongs to no topic into lost+found, intact", async () => {
    const dataDir = tempDir();
    await start(dataDir);
    await stop();
    fs.mkdirSync(path.join(dataDir, "stray-0"));
    fs.writeFileSync(path.join(dataDir, "stray-0", "00000000000000000000.log"), "precious");
    await start(dataDir);
    const kept = fs.readdirSync(path.join(dataDir, "lost+found"));
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^stray-0\.\d+$/);
    expect(fs.readFileSync(path.join(dataDir, "lost+found", kept[0]!, "00000000000000000000.log"), "utf8")).toBe("precious");
  });

  it("refuses to start over partition directories when the cluster id is gone", async () => {
    const dataDir = tempDir();
    const b = await start(dataDir);
    await b.logs.createTopic("orders");
    await publish(b, "orders", 3);
    await stop();
    fs.rmSync(path.join(dataDir, "__tributary_metadata-0"), { recursive: true });
    await expect(start(dataDir)).rejects.toThrow(/has no cluster id/);
    expect(fs.existsSync(path.join(dataDir, "orders-0", "00000000000000000000.log"))).toBe(true);
  });

  it("refuses to start when a partition that held data has lost its directory, and log verify reports it", async () => {
    const dataDir = tempDir();
    const b = await start(dataDir);
    await b.logs.createTopic("kept", { partitions: 2 });
    await publish(b, "kept", 5);
    await stop();
    const dir = fs.existsSync(path.join(dataDir, "kept-0", "00000000000000000000.log")) && fs.statSync(path.join(dataDir, "kept-0", "00000000000000000000.log")).size > 0 ? "kept-0" : "kept-1";
    fs.rmSync(path.join(dataDir, dir), { recursive: true });
    await expect(start(dataDir)).rejects.toThrow(new RegExp(`partition directory ${dir} is missing`));
    const verify = tributary(["log", "verify", "--data-dir", dataDir]);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(new RegExp(`${dir}.*partition directory is missing`));
  });

  it("log verify reports a missing index file and a gap of offsets between segments", async () => {
    const dataDir = tempDir();
    const b = await start(dataDir);
    await b.logs.createTopic("gappy", { configs: { "segment.bytes": "1024" } });
    for (let i = 0; i < 6; i++) await publish(b, "gappy", 40);
    await stop();
    const partition = path.join(dataDir, "gappy-0");
    const logs = fs.readdirSync(partition).filter((n) => n.endsWith(".log")).sort();
    expect(logs.length).toBeGreaterThan(2);
    fs.rmSync(path.join(partition, logs[1]!));
    fs.rmSync(path.join(partition, logs[1]!.replace(".log", ".timeindex")));
    fs.rmSync(path.join(partition, logs[0]!.replace(".log", ".index")));
    // The newest segment without index files is what a crash while rolling leaves: not damage.
    const newest = logs[logs.length - 1]!;
    fs.rmSync(path.join(partition, newest.replace(".log", ".index")));
    fs.rmSync(path.join(partition, newest.replace(".log", ".timeindex")));
    const verify = tributary(["log", "verify", "--data-dir", dataDir]);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/index file is missing/);
    expect(verify.stdout.split("\n").filter((l) => l.includes(newest.replace(".log", "")) && /index file is missing/.test(l))).toEqual([]);
    expect(verify.stdout).toMatch(/offsets \d+ to \d+ are missing between this segment and the previous one/);
  });
});

describe("a damaged closed segment", () => {
  it("is never cut: the bad batch is refused on read (HTTP 503, Kafka KAFKA_STORAGE_ERROR) naming file and byte, later batches stay readable, log verify and the metrics report it", async () => {
    const dataDir = tempDir();
    let b = await start(dataDir);
    await b.logs.createTopic("fragile", { configs: { "segment.bytes": "8192" } });
    for (let i = 0; i < 40; i++) await publish(b, "fragile", 5);
    await stop();
    const partition = path.join(dataDir, "fragile-0");
    const first = path.join(partition, "00000000000000000000.log");
    const bytes = fs.readFileSync(first);
    const batches = splitBatches(bytes);
    expect(batches.length).toBeGreaterThan(6);
    let position = 0;
    for (const batch of batches.slice(0, 3)) position += batch.length;
    const damagedBase = Number(batches[3]!.readBigInt64BE(0));
    const nextBase = Number(batches[4]!.readBigInt64BE(0));
    bytes[position + 40] = bytes[position + 40]! ^ 0x5a; // inside the CRC-covered part of the fourth batch
    fs.writeFileSync(first, bytes);
    fs.rmSync(path.join(partition, "00000000000000000000.index"));

    b = await start(dataDir);
    const damaged = await fetch(`${b.httpUrl}/topics/fragile/partitions/0/records?offset=${damagedBase}`);
    expect(damaged.status).toBe(503);
    const body = await damaged.json() as { message: string };
    expect(body.message).toContain(first);
    expect(body.message).toMatch(new RegExp(`byte ${position}\\b`));
    const later = await fetch(`${b.httpUrl}/topics/fragile/partitions/0/records?offset=${nextBase}&limit=3`);
    expect(later.status).toBe(200);
    expect(((await later.json()) as { records: { offset: number }[] }).records.map((r) => r.offset)).toEqual([nextBase, nextBase + 1, nextBase + 2]);
    const client = await RawKafka.connect(b.brokers[0]!);
    const fetched = await client.request(1, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "fragile", partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(damagedBase), logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: "",
    });
    client.close();
    expect((((fetched.responses as Message[])[0]!.partitions as Message[])[0]!).errorCode).toBe(KafkaErrorCode.KAFKA_STORAGE_ERROR);
    expect(await (await fetch(`${b.httpUrl}/metrics`)).text()).toMatch(/^tributary_damaged_batches_total [1-9]/m);
    await stop();
    expect(fs.statSync(first).size).toBe(bytes.length);
    const verify = tributary(["log", "verify", "--data-dir", dataDir]);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toContain(`DAMAGED ${first} at byte ${position}`);
  });
});

describe("topic names and deletes", () => {
  it("deletes a topic with a 249-character name completely; creating it again starts empty", async () => {
    const b = await start(tempDir());
    const name = "t".repeat(249);
    await b.logs.createTopic(name, { partitions: 2 });
    await publish(b, name, 4);
    const deleted = await fetch(`${b.httpUrl}/topics/${name}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(b.logs.hasTopic(name)).toBe(false);
    expect(fs.readdirSync(b.config.dataDir).filter((d) => d.startsWith("ttt"))).toEqual([]);
    await b.logs.createTopic(name, { partitions: 2 });
    const state = (await b.logs.describeTopic(name)).partitionStates;
    expect(state.map((p) => p.highWatermark)).toEqual([0, 0]);
  });

  it("refuses names over 249 characters and names that collide on '.' and '_', as Kafka does", async () => {
    const b = await start(tempDir());
    await expect(b.logs.createTopic("t".repeat(250))).rejects.toThrow(/longer than 249/);
    await b.logs.createTopic("a_b");
    await expect(b.logs.createTopic("a.b")).rejects.toThrow(/collides with existing topic 'a_b'/);
  });
});

describe("file descriptors", () => {
  it("serves 600 partitions and idle connections under a limit of 512 open files, without fencing a partition", async () => {
    const server = await serve(["--data-dir", tempDir(), "--kafka-port", "0", "--http-port", "0"], {}, ["prlimit", "--nofile=512:512"]);
    const sockets: net.Socket[] = [];
    try {
      expect(server.output().stderr).toMatch(/fitted to the limit of 512 open files \(ulimit -n\): segmentFilesOpenMax 1024 -> 256, kafkaConnectionsMax 20000 -> \d+/);
      const [kafka, http] = /kafka (\S+), http (\S+),/.exec(server.readyLine)!.slice(1) as [string, string];
      const created = await fetch(`${http}/topics`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "wide", partitions: 600 }) });
      expect(created.status).toBe(201);
      for (let i = 0; i < 200; i++) {
        const socket = net.connect(Number(kafka.split(":")[1]), "127.0.0.1");
        socket.on("error", () => undefined);
        sockets.push(socket);
      }
      await new Promise((r) => setTimeout(r, 500));
      for (let round = 0; round < 2; round++) {
        const records = Array.from({ length: 600 }, (_, p) => ({ partition: p, value: { round, p } }));
        const published = await fetch(`${http}/topics/wide/records`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ records }) });
        expect(published.status).toBe(200);
        const offsets = ((await published.json()) as { offsets: { partition: number; offset: number }[] }).offsets;
        expect(offsets.every((o) => o.offset === round)).toBe(true);
      }
      expect((await fetch(`${http}/readyz`)).status).toBe(200);
      const read = await fetch(`${http}/topics/wide/partitions/599/records?offset=0`);
      expect(((await read.json()) as { records: unknown[] }).records).toHaveLength(2);
    } finally {
      for (const s of sockets) s.destroy();
      server.process.kill("SIGTERM");
      await server.exited;
    }
  });
});
