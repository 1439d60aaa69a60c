import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { CompressionTypes, Kafka, logLevel, type Admin } from "kafkajs";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { splitBatches, decodeRecordBatch } from "../../src/protocol/record-batch-codec.js";
import { registerKafkajsCodecs } from "../helpers/kafkajs-codecs.js";
import { tempDir } from "../helpers/temp-dir.js";
import { REPO_ROOT } from "../helpers/binaries.js";
import { serve } from "../helpers/cli.js";
import { KafkaProxy } from "../helpers/kafka-proxy.js";
import { LogManager } from "../../src/log/log-manager.js";

registerKafkajsCodecs();

let broker: Broker;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0, groupSessionTimeoutMinMs: 500 });
  kafka = new Kafka({ brokers: broker.brokers, clientId: "kafkajs-suite", logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.stop();
});

async function consumeAll(topic: string, count: number, groupId = `g-${topic}-${Math.random()}`): Promise<{ key: string | null; value: string; partition: number; offset: number; timestamp: string }[]> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: { key: string | null; value: string; partition: number; offset: number; timestamp: string }[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ key: message.key?.toString() ?? null, value: message.value!.toString(), partition, offset: Number(message.offset), timestamp: message.timestamp });
        if (got.length >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return got;
}

describe("kafkajs: produce and consume", () => {
  const codecs: [string, CompressionTypes, number][] = [
    ["none", CompressionTypes.None, 0], ["gzip", CompressionTypes.GZIP, 1], ["snappy", CompressionTypes.Snappy, 2],
    ["lz4", CompressionTypes.LZ4, 3], ["zstd", CompressionTypes.ZSTD, 4],
  ];
  for (const [name, compression, attribute] of codecs) {
    for (const acks of [0, 1, -1]) {
      it(`produces with ${name}, acks=${acks}, and reads back every record as sent`, async () => {
        const topic = `codec-${name}-${acks === -1 ? "all" : acks}`;
        await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
        const producer = kafka.producer();
        await producer.connect();
        const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i % 7}`, value: `${name}-${i}-${"x".repeat(i * 3)}`, headers: { h: `v${i}` } }));
        const result = await producer.send({ topic, messages, compression, acks });
        if (acks !== 0) expect(result.every((r) => r.errorCode === 0)).toBe(true);
        await producer.disconnect();
        const got = await consumeAll(topic, 50);
        expect(got.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort());
        // Placement follows the default partitioner: one key, one partition.
        const partitionOf = new Map<string, number>();
        for (const m of got) {
          expect(partitionOf.get(m.key!) ?? m.partition).toBe(m.partition);
          partitionOf.set(m.key!, m.partition);
        }
        // Stored as sent: the batch keeps the producer's codec.
        for (const partition of [0, 1]) {
          const log = broker.logs.partition(topic, partition);
          if ((await log.offsets()).highWatermark === 0) continue;
          const [batch] = splitBatches((await log.read(0, 1 << 20)).records);
          expect(batch!.readInt16BE(21) & 7).toBe(attribute);
          expect((await decodeRecordBatch(batch!)).records[0]!.headers[0]!.key).toBe("h");
        }
      });
    }
  }
});

describe("kafkajs: admin", () => {
  it("creates, lists and deletes topics, and reports errors per topic", async () => {
    await admin.createTopics({ topics: [{ topic: "admin-a", numPartitions: 3, configEntries: [{ name: "retention.ms", value: "60000" }] }] });
    expect(await admin.listTopics()).toContain("admin-a");
    const meta = await admin.fetchTopicMetadata({ topics: ["admin-a"] });
    expect(meta.topics[0]!.partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: "admin-a" }], includeSynonyms: false });
    expect(configs.resources[0]!.configEntries.find((c) => c.configName === "retention.ms")!.configValue).toBe("60000");
    await expect(admin.createTopics({ topics: [{ topic: "admin-a" }] })).resolves.toBe(false); // exists: kafkajs reports false
    await expect(admin.createTopics({ topics: [{ topic: "bad name!" }] })).rejects.toThrow();
    const refused = await admin.createTopics({ topics: [{ topic: "rf3", replicationFactor: 3 }] }).catch((e: { errors?: { type: string }[] }) => e);
    expect((refused as { errors: { type: string }[] }).errors[0]!.type).toBe("INVALID_REPLICATION_FACTOR");
    await admin.createPartitions({ topicPartitions: [{ topic: "admin-a", count: 5 }] });
    expect((await admin.fetchTopicMetadata({ topics: ["admin-a"] })).topics[0]!.partitions).toHaveLength(5);
    await admin.deleteTopics({ topics: ["admin-a"] });
    expect(await admin.listTopics()).not.toContain("admin-a");
  });

  it("fetches and sets group offsets, and seeks by timestamp", async () => {
    const topic = "offsets-admin";
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now() - 100_000;
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, timestamp: String(base + i * 1000) })) });
    await producer.disconnect();
    await consumeAll(topic, 10, "offsets-group");
    expect(await admin.fetchOffsets({ groupId: "offsets-group", topics: [topic] })).toEqual([{ topic, partitions: [{ partition: 0, offset: "10", metadata: null }] }]);
    await admin.setOffsets({ groupId: "offsets-group", topic, partitions: [{ partition: 0, offset: "4" }] });
    expect((await admin.fetchOffsets({ groupId: "offsets-group", topics: [topic] }))[0]!.partitions[0]!.offset).toBe("4");
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base + 5500)).toEqual([{ partition: 0, offset: "6" }]);
    expect((await admin.fetchTopicOffsets(topic))[0]).toMatchObject({ partition: 0, offset: "10", low: "0", high: "10" });
    // A consumer resumes from the offset set by the admin.
    const resumed = await consumeAll(topic, 6, "offsets-group");
    expect(resumed[0]!.value).toBe("m4");
    // Seek by timestamp through the consumer.
    const consumer = kafka.consumer({ groupId: "seeker" });
    await consumer.connect();
    await consumer.subscribe({ topic });
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); if (seen.includes("m9")) resolve(); } });
      consumer.seek({ topic, partition: 0, offset: "7" });
    });
    expect(seen[0]).toBe("m7");
    await consumer.disconnect();
    const groups = await admin.listGroups();
    expect(groups.groups.map((g) => g.groupId)).toContain("offsets-group");
    expect(await admin.deleteGroups(["seeker"])).toEqual([expect.objectContaining({ groupId: "seeker", errorCode: 0 })]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain("seeker");
  });
});

interface MemberLine { name: string; event: string; partitions?: number[]; partition?: number; offset?: number; value?: string }

const spawned: ChildProcess[] = [];
afterAll(() => {
  for (const child of spawned) if (child.exitCode === null) child.kill("SIGKILL");
});

class Member {
  readonly lines: MemberLine[] = [];
  readonly process: ChildProcess;
  constructor(readonly name: string, topic: string, groupId: string) {
    this.process = spawn(process.execPath, ["test/helpers/group-member.mjs", broker.brokers[0]!, topic, groupId, name], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] });
    spawned.push(this.process);
    let buffered = "";
    this.process.stdout!.on("data", (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        this.lines.push(JSON.parse(buffered.slice(0, nl)));
        buffered = buffered.slice(nl + 1);
      }
    });
  }
  get assignment(): number[] | undefined {
    return [...this.lines].reverse().find((l) => l.event === "assigned")?.partitions;
  }
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function coverExactly(members: Member[], partitions: number): boolean {
  const all = members.flatMap((m) => m.assignment ?? []);
  return all.length === partitions && new Set(all).size === partitions && members.every((m) => (m.assignment?.length ?? 0) > 0);
}

describe("kafkajs: a consumer group of three processes", () => {
  it("rebalances on join, on leave and when a member is SIGKILLed", async () => {
    const topic = "group-rebalance";
    await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
    const members = [new Member("a", topic, "rebalancers")];
    await until(() => members[0]!.assignment?.length === 6, "a to own all six partitions");
    members.push(new Member("b", topic, "rebalancers"), new Member("c", topic, "rebalancers"));
    await until(() => coverExactly(members, 6) && members.every((m) => m.assignment!.length === 2), "three members with two partitions each");

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 60 }, (_, i) => ({ key: `key-${i}`, value: `v${i}` })) });
    await until(() => new Set(members.flatMap((m) => m.lines.filter((l) => l.event === "record").map((l) => l.value))).size === 60, "all 60 records consumed");

    // A clean leave: the two others take over its partitions.
    members[2]!.process.kill("SIGTERM");
    await until(() => members[2]!.process.exitCode !== null, "c to leave");
    const survivors = members.slice(0, 2);
    await until(() => coverExactly(survivors, 6), "a and b to share six partitions");

    // A crash: no LeaveGroup, the session timeout removes the member.
    members[1]!.process.kill("SIGKILL");
    await until(() => members[0]!.assignment?.length === 6, "a to own all six again after b's session expired");
    await producer.send({ topic, messages: [{ key: "after", value: "after-crash" }] });
    await until(() => members[0]!.lines.some((l) => l.value === "after-crash"), "a to consume a record written after the crash");
    await producer.disconnect();
    members[0]!.process.kill("SIGTERM");
    await until(() => members[0]!.process.exitCode !== null, "a to leave");
    const group = await admin.describeGroups(["rebalancers"]);
    expect(group.groups[0]!.state).toBe("Empty");
  });
});

describe("kafkajs: idempotent producer", () => {
  it("writes no duplicate when the broker dies after writing a batch and before answering, and the producer retries it", async () => {
    const dataDir = tempDir();
    const proxy = await KafkaProxy.start();
    // Clients reach the broker only through the proxy, which can lose an answer.
    const start = async () => {
      const server = await serve(["--data-dir", dataDir, "--kafka-port", "0", "--http-port", "0", "--advertised-port", String(proxy.port)]);
      const port = Number(/kafka [^ ]*:(\d+)/.exec(server.readyLine)![1]);
      proxy.retarget(port);
      return server;
    };
    let server = await start();
    const client = new Kafka({ brokers: [`127.0.0.1:${proxy.port}`], clientId: "idem", logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
      await producer.send({ topic: "idem", messages: Array.from({ length: 20 }, (_, i) => ({ value: `before-${i}` })) });
      // The next Produce is written and made durable; then the broker dies before its answer leaves.
      let restarted: Promise<unknown> | undefined;
      proxy.loseNextAnswer(0, () => {
        server.process.kill("SIGKILL");
        restarted = server.exited.then(async () => (server = await start()));
      });
      const retried = producer.send({ topic: "idem", messages: [{ value: "written-once" }] });
      await retried;
      await restarted;
      await producer.send({ topic: "idem", messages: [{ value: "after" }] });
    } finally {
      await producer.disconnect().catch(() => undefined);
      server.process.kill("SIGTERM");
      await server.exited;
      proxy.close();
    }
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    const values: string[] = [];
    try {
      const log = logs.partition("idem", 0);
      for (let offset = 0; offset < (await log.offsets()).highWatermark;) {
        for (const b of splitBatches((await log.read(offset, 1 << 20)).records)) {
          for (const r of (await decodeRecordBatch(b)).records) values.push(r.value!.toString());
          offset = Number(b.readBigInt64BE(0)) + b.readInt32BE(23) + 1;
        }
      }
    } finally {
      await logs.close();
    }
    // The retried batch was recognised by the restarted broker (its producer state rebuilt from the log).
    expect(values).toEqual([...Array.from({ length: 20 }, (_, i) => `before-${i}`), "written-once", "after"]);
  });
});

describe("kafkajs: transactions", () => {
  it("a transactional producer finds this broker as its transaction coordinator", async () => {
    const { RawKafka } = await import("../helpers/raw-kafka.js");
    const raw = await RawKafka.connect(broker.brokers[0]!);
    const answer = await raw.request(10, 3, { key: "tx-1", keyType: 1 });
    raw.close();
    const [host, port] = broker.brokers[0]!.split(":");
    expect(answer).toMatchObject({ errorCode: 0, host, port: Number(port) });
    // (kafkajs' transactions themselves: transactions.test.ts)
  });
});
