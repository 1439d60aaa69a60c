// What a Kafka 3.9 broker gives its clients and Tributary must give too: every
// standard topic config (described, accepted and, where one broker's behaviour
// depends on it, honoured), replica assignments valid on one node, and the old
// API versions Kafka still serves. kafkajs where it speaks the API, raw frames
// where an exact version is the point.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { decodeRecordBatch, encodeRecordBatch, splitBatches } from "../../src/protocol/record-batch-codec.js";
import { Compression } from "../../src/protocol/compression.js";
import { KafkaErrorCode as E } from "../../src/protocol/kafka-error-codes.js";
import { RawKafka } from "../helpers/raw-kafka.js";
import { gzipSync } from "node:zlib";
import { crc32 } from "@node-rs/crc32";
import { writeLegacyMessageSet } from "../../src/protocol/legacy-message-set.js";
import { registerKafkajsCodecs } from "../helpers/kafkajs-codecs.js";

registerKafkajsCodecs();

let broker: Broker;
let admin: Admin;
let raw: RawKafka;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0 });
  admin = new Kafka({ brokers: broker.brokers, clientId: "compat-suite", logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  raw = await RawKafka.connect(broker.brokers[0]!);
});

afterAll(async () => {
  raw?.close();
  await admin?.disconnect();
  await broker?.stop();
});

const CONFIG_TYPE = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 };

async function describeTopic(topic: string, keys: string[] | null, version = 4): Promise<Record<string, any>> {
  const response = await raw.request(32, version, {
    resources: [{ resourceType: 2, resourceName: topic, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: true,
  });
  return response.results[0];
}

function produceBody(topic: string, records: Buffer): Record<string, unknown> {
  return { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

async function fetchBatches(topic: string): Promise<Buffer[]> {
  const response = await raw.request(1, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    forgottenTopicsData: [], rackId: "",
  });
  return splitBatches(response.responses[0].partitions[0].records as Buffer);
}

describe("topic configs as Kafka has them", () => {
  it("describes every standard topic config with Kafka's name, default, source, type and documentation", async () => {
    await admin.createTopics({ topics: [{ topic: "cfg-all", configEntries: [{ name: "retention.ms", value: "60000" }] }] });
    const result = await describeTopic("cfg-all", null);
    expect(result.errorCode).toBe(0);
    const byName = new Map<string, Record<string, any>>(result.configs.map((c: Record<string, any>) => [c.name, c]));
    const expected: [string, string, number][] = [
      ["compression.type", "producer", CONFIG_TYPE.STRING],
      ["min.insync.replicas", "1", CONFIG_TYPE.INT],
      ["unclean.leader.election.enable", "false", CONFIG_TYPE.BOOLEAN],
      ["message.timestamp.type", "CreateTime", CONFIG_TYPE.STRING],
      ["message.timestamp.difference.max.ms", "9223372036854775807", CONFIG_TYPE.LONG],
      ["message.timestamp.before.max.ms", "9223372036854775807", CONFIG_TYPE.LONG],
      ["message.timestamp.after.max.ms", "9223372036854775807", CONFIG_TYPE.LONG],
      ["segment.index.bytes", "10485760", CONFIG_TYPE.INT],
      ["max.message.bytes", "1048588", CONFIG_TYPE.INT],
      ["min.cleanable.dirty.ratio", "0.5", CONFIG_TYPE.DOUBLE],
      ["cleanup.policy", "delete", CONFIG_TYPE.LIST],
      ["message.format.version", "3.0-IV1", CONFIG_TYPE.STRING],
      ["preallocate", "false", CONFIG_TYPE.BOOLEAN],
      ["segment.jitter.ms", "0", CONFIG_TYPE.LONG],
      ["remote.storage.enable", "false", CONFIG_TYPE.BOOLEAN],
    ];
    for (const [name, value, type] of expected) {
      expect(byName.get(name), name).toMatchObject({ value, configSource: 5, readOnly: false, isSensitive: false, configType: type });
      expect(byName.get(name)!.documentation, name).toBeTruthy();
    }
    expect(byName.get("retention.ms")).toMatchObject({ value: "60000", configSource: 1 });
    expect(byName.get("retention.ms")!.synonyms).toEqual([
      { name: "retention.ms", value: "60000", source: 1 },
      { name: "retention.ms", value: "604800000", source: 5 },
    ]);
  });

  it("answers the configs asked for in the order asked, and v0 with isDefault", async () => {
    const keys = ["unclean.leader.election.enable", "compression.type", "retention.ms", "no.such.config", "min.insync.replicas"];
    const result = await describeTopic("cfg-all", keys);
    expect(result.configs.map((c: { name: string }) => c.name)).toEqual(["unclean.leader.election.enable", "compression.type", "retention.ms", "min.insync.replicas"]);
    const v0 = await describeTopic("cfg-all", ["retention.ms", "compression.type"], 0);
    expect(v0.configs.map((c: { name: string; isDefault: boolean }) => [c.name, c.isDefault])).toEqual([["retention.ms", false], ["compression.type", true]]);
  });

  it("accepts the configs Kafka 3.x accepts, deprecated and replication-only ones included, and refuses bad values", async () => {
    const accepted = {
      "message.format.version": "2.8-IV1", "min.insync.replicas": "2", "unclean.leader.election.enable": "true",
      "segment.index.bytes": "1048576", "preallocate": "true", "flush.messages": "9223372036854775807",
      "leader.replication.throttled.replicas": "0:0,1:0", "message.downconversion.enable": "false",
      "min.compaction.lag.ms": "1000", "max.compaction.lag.ms": "86400000", "file.delete.delay.ms": "1000",
    };
    await admin.createTopics({ topics: [{ topic: "cfg-accept", configEntries: Object.entries(accepted).map(([name, value]) => ({ name, value })) }] });
    const described = await admin.describeConfigs({ resources: [{ type: 2, name: "cfg-accept", configNames: Object.keys(accepted) }], includeSynonyms: false });
    expect(Object.fromEntries(described.resources[0]!.configEntries.map((c) => [c.configName, c.configValue]))).toEqual(accepted);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "cfg-accept", configEntries: [{ name: "message.format.version", value: "3.0" }] }] });
    for (const [name, value] of [["min.insync.replicas", "0"], ["preallocate", "maybe"], ["message.format.version", "banana"], ["compression.type", "brotli"], ["segment.jitter.ms", "-1"]]) {
      const refused = await raw.request(33, 1, { resources: [{ resourceType: 2, resourceName: "cfg-accept", configs: [{ name, value }] }], validateOnly: true });
      expect(refused.responses[0].errorCode, `${name}=${value}`).toBe(E.INVALID_CONFIG);
      expect(refused.responses[0].errorMessage).toContain(name);
    }
  });

  it("compression.type recompresses every batch on write; producer keeps the producer's codec", async () => {
    await admin.createTopics({ topics: [{ topic: "cfg-zstd", configEntries: [{ name: "compression.type", value: "zstd" }] }, { topic: "cfg-producer" }] });
    const records = Array.from({ length: 20 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i} `.repeat(20)), headers: [{ key: "h", value: Buffer.from("x") }] }));
    for (const topic of ["cfg-zstd", "cfg-producer"]) {
      const response = await raw.request(0, 9, produceBody(topic, await encodeRecordBatch(records, { compression: Compression.Gzip })));
      expect(response.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
    const [zstd] = await fetchBatches("cfg-zstd");
    const [kept] = await fetchBatches("cfg-producer");
    expect((await decodeRecordBatch(zstd!)).compression).toBe(Compression.Zstd);
    expect((await decodeRecordBatch(kept!)).compression).toBe(Compression.Gzip);
    for (const batch of [zstd!, kept!]) {
      const decoded = await decodeRecordBatch(batch);
      expect(decoded.records.map((r) => [r.key!.toString(), r.value!.toString(), r.headers[0]!.key])).toEqual(records.map((r) => [r.key.toString(), r.value.toString(), "h"]));
    }
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "cfg-zstd", configEntries: [{ name: "compression.type", value: "uncompressed" }] }] });
    await raw.request(0, 9, produceBody("cfg-zstd", await encodeRecordBatch(records, { compression: Compression.Lz4 })));
    const [, plain] = await fetchBatches("cfg-zstd");
    expect((await decodeRecordBatch(plain!)).compression).toBe(Compression.None);
  });

  it("refuses records outside the timestamp window with INVALID_TIMESTAMP and writes none of the batch", async () => {
    await admin.createTopics({ topics: [{ topic: "cfg-time", configEntries: [{ name: "message.timestamp.before.max.ms", value: "3600000" }, { name: "message.timestamp.after.max.ms", value: "60000" }] }] });
    const now = Date.now();
    const produce = async (timestamps: number[]) => {
      const batch = await encodeRecordBatch(timestamps.map((timestamp) => ({ key: null, value: Buffer.from("v"), timestamp })));
      return (await raw.request(0, 9, produceBody("cfg-time", batch))).responses[0].partitionResponses[0];
    };
    expect((await produce([now - 7_200_000, now])).errorCode).toBe(E.INVALID_TIMESTAMP);
    expect((await produce([now, now + 600_000])).errorCode).toBe(E.INVALID_TIMESTAMP);
    expect((await produce([now - 60_000, now + 30_000])).errorCode).toBe(0);
    expect(await fetchBatches("cfg-time")).toHaveLength(1);
    // The deprecated difference limit stands for both sides.
    await admin.createTopics({ topics: [{ topic: "cfg-diff", configEntries: [{ name: "message.timestamp.difference.max.ms", value: "1000" }] }] });
    const old = await raw.request(0, 9, produceBody("cfg-diff", await encodeRecordBatch([{ key: null, value: Buffer.from("v"), timestamp: now - 60_000 }])));
    expect(old.responses[0].partitionResponses[0].errorCode).toBe(E.INVALID_TIMESTAMP);
    // LogAppendTime topics stamp batches themselves: the window does not apply.
    await admin.createTopics({ topics: [{ topic: "cfg-append", configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }, { name: "message.timestamp.difference.max.ms", value: "1000" }] }] });
    const stamped = await raw.request(0, 9, produceBody("cfg-append", await encodeRecordBatch([{ key: null, value: Buffer.from("v"), timestamp: 5 }])));
    expect(stamped.responses[0].partitionResponses[0].errorCode).toBe(0);
    expect(Number(stamped.responses[0].partitionResponses[0].logAppendTimeMs)).toBeGreaterThan(now - 1);
  });
});

describe("replica assignments on one node", () => {
  it("CreateTopics and CreatePartitions accept assignments to this broker and refuse others with INVALID_REPLICA_ASSIGNMENT", async () => {
    const node = (await admin.describeCluster()).brokers[0]!.nodeId;
    await admin.createTopics({ topics: [{ topic: "assigned", replicaAssignment: [{ partition: 0, replicas: [node] }, { partition: 1, replicas: [node] }] }] });
    expect((await admin.fetchTopicMetadata({ topics: ["assigned"] })).topics[0]!.partitions).toHaveLength(2);
    const refused = await admin.createTopics({ topics: [{ topic: "assigned-bad", replicaAssignment: [{ partition: 0, replicas: [node + 7] }] }] }).catch((e) => e);
    expect(refused.errors[0].type).toBe("INVALID_REPLICA_ASSIGNMENT");
    const gap = await raw.request(19, 7, { topics: [{ name: "assigned-gap", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 1, brokerIds: [node] }], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(gap.topics[0].errorCode).toBe(E.INVALID_REPLICA_ASSIGNMENT);
    const both = await raw.request(19, 7, { topics: [{ name: "assigned-both", numPartitions: 2, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [node] }], configs: [] }], timeoutMs: 5000, validateOnly: false });
    expect(both.topics[0].errorCode).toBe(E.INVALID_REQUEST);
    await admin.createPartitions({ topicPartitions: [{ topic: "assigned", count: 3, assignments: [[node]] }] });
    expect((await admin.fetchTopicMetadata({ topics: ["assigned"] })).topics[0]!.partitions).toHaveLength(3);
    const badPartitions = await admin.createPartitions({ topicPartitions: [{ topic: "assigned", count: 4, assignments: [[node, node + 1]] }] }).catch((e) => e);
    expect(badPartitions.name).toBe("KafkaJSProtocolError");
    expect(badPartitions.type).toBe("INVALID_REPLICA_ASSIGNMENT");
    expect(await admin.listTopics()).not.toContain("assigned-bad");
  });

  it("reassigns a partition to the replicas it has at once, and never lists one in progress", async () => {
    const node = (await admin.describeCluster()).brokers[0]!.nodeId;
    await admin.alterPartitionReassignments({ topics: [{ topic: "assigned", partitionAssignment: [{ partition: 0, replicas: [node] }] }] });
    expect(await admin.listPartitionReassignments({})).toEqual({ topics: [] });
    const response = await raw.request(45, 0, {
      timeoutMs: 5000,
      topics: [{ name: "assigned", partitions: [{ partitionIndex: 1, replicas: [node + 1] }, { partitionIndex: 2, replicas: null }, { partitionIndex: 9, replicas: [node] }] }],
    });
    expect(response.responses[0].partitions.map((p: { errorCode: number }) => p.errorCode)).toEqual([E.INVALID_REPLICA_ASSIGNMENT, E.NO_REASSIGNMENT_IN_PROGRESS, E.UNKNOWN_TOPIC_OR_PARTITION]);
  });
});

describe("old API versions Kafka 3.9 still serves", () => {
  it("ListOffsets v0 answers earliest and latest as a list of offsets", async () => {
    await admin.createTopics({ topics: [{ topic: "old-versions" }] });
    await raw.request(0, 9, produceBody("old-versions", await encodeRecordBatch([{ key: null, value: Buffer.from("a") }, { key: null, value: Buffer.from("b") }])));
    const list = async (timestamp: bigint) => (await raw.request(2, 0, {
      replicaId: -1, topics: [{ name: "old-versions", partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets: 1 }] }],
    })).topics[0].partitions[0];
    expect(await list(-1n)).toMatchObject({ errorCode: 0, oldStyleOffsets: [2n] });
    expect(await list(-2n)).toMatchObject({ errorCode: 0, oldStyleOffsets: [0n] });
    const v9 = await raw.request(2, 9, { replicaId: -1, isolationLevel: 0, topics: [{ name: "old-versions", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -4n }, { partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -5n }] }] });
    expect(v9.topics[0].partitions.map((p: { offset: bigint }) => p.offset)).toEqual([0n, -1n]);
  });

  it("serves OffsetCommit v0-1, OffsetFetch v0, CreateTopics v0, DeleteTopics v0 and OffsetForLeaderEpoch v0", async () => {
    for (const version of [0, 1]) {
      const committed = await raw.request(8, version, { groupId: `old-${version}`, generationIdOrMemberEpoch: -1, memberId: "", topics: [{ name: "old-versions", partitions: [{ partitionIndex: 0, committedOffset: 1n, commitTimestamp: -1n, committedMetadata: "m" }] }] });
      expect(committed.topics[0].partitions[0].errorCode).toBe(0);
      const fetched = await raw.request(9, 0, { groupId: `old-${version}`, topics: [{ name: "old-versions", partitionIndexes: [0] }] });
      expect(fetched.topics[0].partitions[0]).toMatchObject({ committedOffset: 1n, metadata: "m", errorCode: 0 });
    }
    const created = await raw.request(19, 0, { topics: [{ name: "old-created", numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
    expect(created.topics[0].errorCode).toBe(0);
    const epoch = await raw.request(23, 0, { topics: [{ topic: "old-created", partitions: [{ partition: 1, leaderEpoch: 0 }] }] });
    expect(epoch.topics[0].partitions[0]).toMatchObject({ errorCode: 0, endOffset: 0n });
    const deleted = await raw.request(20, 0, { topicNames: ["old-created"], timeoutMs: 5000 });
    expect(deleted.responses[0].errorCode).toBe(0);
    expect(await admin.listTopics()).not.toContain("old-created");
  });
});

describe("legacy message formats: Produce v0-2 and Fetch v0-3", () => {
  const legacy = (magic: 0 | 1, values: string[], baseTime = Date.now()) =>
    writeLegacyMessageSet(values.map((v, i) => ({ offset: i, timestamp: baseTime + i, key: Buffer.from(`k-${v}`), value: Buffer.from(v), headers: [] })), magic, 0, false);

  /** A magic 1 wrapper message holding `inner` gzipped, as old producers compress. */
  function gzipWrapper(inner: Buffer): Buffer {
    const value = gzipSync(inner);
    const size = 4 + 1 + 1 + 8 + 4 + 4 + value.length;
    const out = Buffer.alloc(12 + size);
    out.writeBigInt64BE(0n, 0);
    out.writeInt32BE(size, 8);
    out.writeInt8(1, 16);
    out.writeInt8(1, 17); // gzip
    out.writeBigInt64BE(BigInt(Date.now()), 18);
    out.writeInt32BE(-1, 26);
    out.writeInt32BE(value.length, 30);
    value.copy(out, 34);
    out.writeUInt32BE(crc32(out.subarray(16)) >>> 0, 12);
    return out;
  }

  function fetchBody(topic: string, offset: number): Record<string, unknown> {
    return { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20 }] }] };
  }

  /** Reads a legacy message set back: [offset, magic, key, value]. */
  function readLegacy(buf: Buffer): [number, number, string, string][] {
    const out: [number, number, string, string][] = [];
    for (let pos = 0; pos + 12 <= buf.length;) {
      const offset = Number(buf.readBigInt64BE(pos));
      const size = buf.readInt32BE(pos + 8);
      const m = buf.subarray(pos + 12, pos + 12 + size);
      expect(crc32(m.subarray(4)) >>> 0).toBe(m.readUInt32BE(0));
      const magic = m.readInt8(4);
      let at = magic === 1 ? 14 : 6;
      const keyLength = m.readInt32BE(at);
      const key = m.subarray(at + 4, at + 4 + keyLength).toString();
      at += 4 + keyLength;
      const value = m.subarray(at + 4, at + 4 + m.readInt32BE(at)).toString();
      out.push([offset, magic, key, value]);
      pos += 12 + size;
    }
    return out;
  }

  it("stores legacy produces as record batches and serves each fetch version its own format", async () => {
    await admin.createTopics({ topics: [{ topic: "legacy" }] });
    const produced = [
      [0, legacy(0, ["a", "b"])],
      [1, legacy(0, ["c"])],
      [2, legacy(1, ["d", "e"])],
      [2, gzipWrapper(legacy(1, ["f", "g", "h"]))],
    ] as const;
    const offsets: bigint[] = [];
    for (const [version, set] of produced) {
      const response = await raw.request(0, version, { acks: -1, timeoutMs: 5000, topicData: [{ name: "legacy", partitionData: [{ index: 0, records: set }] }] });
      expect(response.responses[0].partitionResponses[0].errorCode, `v${version}`).toBe(0);
      offsets.push(response.responses[0].partitionResponses[0].baseOffset);
    }
    expect(offsets).toEqual([0n, 2n, 3n, 5n]);
    const all = ["a", "b", "c", "d", "e", "f", "g", "h"];
    for (const [version, magic] of [[0, 0], [1, 0], [2, 1], [3, 1]] as const) {
      const response = await raw.request(1, version, fetchBody("legacy", 3));
      const p = response.responses[0].partitions[0];
      expect(p.errorCode).toBe(0);
      expect(p.highWatermark).toBe(8n);
      // From the fetch offset on, each in the message format of that version.
      expect(readLegacy(p.records as Buffer), `v${version}`).toEqual(all.slice(3).map((v, i) => [3 + i, magic, `k-${v}`, v]));
    }
    // A current consumer reads the same records from the stored batches; the gzipped set stayed gzipped.
    const [...batches] = await fetchBatches("legacy");
    const decoded = await Promise.all(batches.map((b) => decodeRecordBatch(b)));
    expect(decoded.flatMap((d) => d.records.map((r) => r.value!.toString()))).toEqual(all);
    expect(decoded.map((d) => d.compression)).toEqual([Compression.None, Compression.None, Compression.None, Compression.Gzip]);
    // Magic 0 has no timestamps (stored as none, -1, as Kafka does); magic 1 keeps the producer's.
    expect(decoded[0]!.records[0]!.timestamp).toBe(-1);
    expect(decoded[2]!.records[0]!.timestamp).toBeGreaterThan(0);
  });

  it("refuses a legacy message set with a bad CRC or a stray tail (CORRUPT_MESSAGE) or that inflates too far (MESSAGE_TOO_LARGE), and writes nothing", async () => {
    await admin.createTopics({ topics: [{ topic: "legacy-bad" }] });
    const flipped = legacy(1, ["x"]);
    flipped[flipped.length - 1]! ^= 0xff;
    for (const set of [flipped, Buffer.concat([legacy(0, ["y"]), Buffer.from([1, 2, 3])])]) {
      const response = await raw.request(0, 2, { acks: -1, timeoutMs: 5000, topicData: [{ name: "legacy-bad", partitionData: [{ index: 0, records: set }] }] });
      expect(response.responses[0].partitionResponses[0].errorCode).toBe(E.CORRUPT_MESSAGE);
    }
    // A gzip wrapper that inflates past max.message.bytes: refused before it is inflated in full.
    const bomb = gzipWrapper(legacy(1, ["z".repeat(4 * 1024 * 1024)]));
    const inflated = await raw.request(0, 2, { acks: -1, timeoutMs: 5000, topicData: [{ name: "legacy-bad", partitionData: [{ index: 0, records: bomb }] }] });
    expect(inflated.responses[0].partitionResponses[0].errorCode).toBe(E.MESSAGE_TOO_LARGE);
    expect(await fetchBatches("legacy-bad")).toHaveLength(0);
  });
});

describe("APIs the README promises, over the wire", () => {
  it("DeleteRecords moves the log start: earlier offsets are gone for every client", async () => {
    await admin.createTopics({ topics: [{ topic: "wire-delete" }] });
    for (let i = 0; i < 5; i++) await raw.request(0, 9, produceBody("wire-delete", await encodeRecordBatch([{ key: null, value: Buffer.from(`v${i}`) }])));
    await admin.fetchTopicMetadata({ topics: ["wire-delete"] }); // kafkajs finds leaders from metadata it already has
    await admin.deleteTopicRecords({ topic: "wire-delete", partitions: [{ partition: 0, offset: "3" }] });
    expect(await admin.fetchTopicOffsets("wire-delete")).toEqual([expect.objectContaining({ partition: 0, low: "3", high: "5" })]);
    const fetched = await raw.request(1, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "wire-delete", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
      forgottenTopicsData: [], rackId: "",
    });
    expect(fetched.responses[0].partitions[0]).toMatchObject({ errorCode: E.OFFSET_OUT_OF_RANGE, logStartOffset: 3n });
    const past = await raw.request(21, 2, { topics: [{ name: "wire-delete", partitions: [{ partitionIndex: 0, offset: 99n }] }], timeoutMs: 5000 });
    expect(past.topics[0].partitions[0].errorCode).toBe(E.OFFSET_OUT_OF_RANGE);
  });

  it("ListOffsets -3 finds the batch with the largest timestamp, wherever it is", async () => {
    await admin.createTopics({ topics: [{ topic: "wire-maxts" }] });
    const now = Date.now();
    for (const t of [now - 3000, now - 1000, now - 2000]) await raw.request(0, 9, produceBody("wire-maxts", await encodeRecordBatch([{ key: null, value: Buffer.from("v"), timestamp: t }])));
    const answer = await raw.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: "wire-maxts", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -3n }] }] });
    expect(answer.topics[0].partitions[0]).toMatchObject({ errorCode: 0, offset: 1n, timestamp: BigInt(now - 1000) });
  });

  it("Produce v8+ names each record that fails its topic's schema", async () => {
    await admin.createTopics({ topics: [{ topic: "wire-schema" }] });
    const registered = await fetch(`${broker.httpUrl}/subjects/wire-schema-value/versions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ schemaType: "JSON", schema: JSON.stringify({ type: "object", required: ["n"], properties: { n: { type: "integer" } } }) }),
    });
    expect(registered.status).toBe(200);
    const batch = await encodeRecordBatch([{ n: 1 }, { n: "two" }, { m: 3 }].map((v) => ({ key: null, value: Buffer.from(JSON.stringify(v)) })));
    const answer = (await raw.request(0, 9, produceBody("wire-schema", batch))).responses[0].partitionResponses[0];
    expect(answer.errorCode).toBe(E.INVALID_RECORD);
    expect(answer.recordErrors.map((e: { batchIndex: number }) => e.batchIndex)).toEqual([1, 2]);
    expect(answer.recordErrors[0].batchIndexErrorMessage).toMatch(/\/n/);
    expect(await fetchBatches("wire-schema")).toHaveLength(0);
  });

  it("dead-letter topics take a Kafka producer's failing records: the rest keep their offsets, the answer names where they went", async () => {
    await admin.createTopics({ topics: [{ topic: "wire-dlq", configEntries: [{ name: "schema.invalid.policy", value: "dead-letter" }] }] });
    const registered = await fetch(`${broker.httpUrl}/subjects/wire-dlq-value/versions`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ schemaType: "JSON", schema: JSON.stringify({ type: "object", required: ["n"], properties: { n: { type: "integer" } } }) }),
    });
    expect(registered.status).toBe(200);
    // An idempotent producer's compressed batch of four, two of them bad.
    const batch = await encodeRecordBatch([{ n: 0 }, { n: "one" }, { n: 2 }, { m: 3 }].map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(JSON.stringify(v)) })),
      { compression: Compression.Gzip, producerId: 11, producerEpoch: 0, baseSequence: 0 });
    const answer = (await raw.request(0, 9, produceBody("wire-dlq", Buffer.from(batch)))).responses[0].partitionResponses[0];
    expect(answer).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(answer.errorMessage).toMatch(/2 of 4 records fail the schema of wire-dlq and were written to wire-dlq\.dlq/);
    expect(answer.recordErrors.map((e: { batchIndex: number }) => e.batchIndex)).toEqual([1, 3]);
    // The producer's retry is recognised: nothing new in the topic.
    expect((await raw.request(0, 9, produceBody("wire-dlq", Buffer.from(batch)))).responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const [kept, ...more] = await fetchBatches("wire-dlq");
    expect(more).toHaveLength(0);
    const decoded = await decodeRecordBatch(kept!);
    expect(decoded.compression).toBe(Compression.Gzip);
    expect(decoded.records.map((r) => [r.offset, r.value!.toString()])).toEqual([[0, '{"n":0}'], [2, '{"n":2}']]);
    // Its next sequence number follows all four records it sent.
    const next = await encodeRecordBatch([{ key: null, value: Buffer.from('{"n":4}') }], { producerId: 11, producerEpoch: 0, baseSequence: 4 });
    expect((await raw.request(0, 9, produceBody("wire-dlq", next))).responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 4n });
    const dead = await (await fetch(`${broker.httpUrl}/topics/wire-dlq.dlq/partitions/0/records?offset=0`)).json() as { records: { key: string; headers: Record<string, string> }[] };
    expect(dead.records.map((r) => r.key).sort()).toEqual(["k1", "k3"]);
    expect(dead.records.map((r) => r.headers["tributary.source.topic"])).toEqual(["wire-dlq", "wire-dlq"]);
    expect(dead.records.find((r) => r.key === "k3")!.headers["tributary.error"]).toMatch(/required property 'n'/);
    // A kafkajs consumer reads past the gaps.
    const consumer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: "wire-dlq-reader" });
    await consumer.connect();
    await consumer.subscribe({ topic: "wire-dlq", fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve) => void consumer.run({ eachMessage: async ({ message }) => {
      seen.push(`${message.offset}:${message.value}`);
      if (seen.length === 3) resolve();
    } }));
    await consumer.disconnect();
    expect(seen).toEqual(['0:{"n":0}', '2:{"n":2}', '4:{"n":4}']);
  });

  it("IncrementalAlterConfigs sets and deletes one config at a time; APPEND on a single-value config is INVALID_CONFIG", async () => {
    await admin.createTopics({ topics: [{ topic: "wire-incremental", configEntries: [{ name: "retention.ms", value: "60000" }] }] });
    const alter = (configs: Record<string, unknown>[]) => raw.request(44, 1, { resources: [{ resourceType: 2, resourceName: "wire-incremental", configs }], validateOnly: false });
    expect((await alter([{ name: "cleanup.policy", configOperation: 0, value: "compact" }])).responses[0].errorCode).toBe(0);
    let described = await describeTopic("wire-incremental", ["retention.ms", "cleanup.policy"]);
    expect(described.configs.map((c: { name: string; value: string }) => [c.name, c.value])).toEqual([["retention.ms", "60000"], ["cleanup.policy", "compact"]]);
    expect((await alter([{ name: "retention.ms", configOperation: 1, value: null }])).responses[0].errorCode).toBe(0);
    described = await describeTopic("wire-incremental", ["retention.ms"]);
    expect(described.configs[0]).toMatchObject({ value: "604800000", configSource: 5 });
    expect((await alter([{ name: "retention.ms", configOperation: 2, value: "1" }])).responses[0].errorCode).toBe(E.INVALID_CONFIG);
  });
});

describe("advertised address", () => {
  it("Metadata and DescribeCluster tell clients the advertised host and port, not the bound ones", async () => {
    const other = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, advertisedHost: "kafka.internal.example", advertisedPort: 19999 });
    try {
      expect(other.brokers).toEqual(["kafka.internal.example:19999"]);
      const client = await RawKafka.connect(`127.0.0.1:${other.kafkaPort}`);
      const metadata = await client.request(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(metadata.brokers).toEqual([expect.objectContaining({ nodeId: 0, host: "kafka.internal.example", port: 19999 })]);
      const cluster = await client.request(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
      expect(cluster.brokers).toEqual([expect.objectContaining({ brokerId: 0, host: "kafka.internal.example", port: 19999 })]);
      client.close();
    } finally {
      await other.stop();
    }
  });
});
