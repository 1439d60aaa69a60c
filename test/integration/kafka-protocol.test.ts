import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { encodeRecordBatch } from "../../src/protocol/record-batch-codec.js";
import { Compression } from "../../src/protocol/compression.js";
import { KafkaErrorCode as E } from "../../src/protocol/kafka-error-codes.js";
import { RawKafka } from "../helpers/raw-kafka.js";
import { tempDir } from "../helpers/temp-dir.js";

let broker: Broker;
let client: RawKafka;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, kafkaRequestReadTimeoutMs: 300, groupInitialRebalanceDelayMs: 0 });
  client = await RawKafka.connect(broker.brokers[0]!);
  await broker.logs.createTopic("raw", { partitions: 2 });
});

afterAll(async () => {
  client?.close();
  await broker?.stop();
});

function produceBody(topic: string, partition: number, records: Buffer | null, acks = -1): Record<string, unknown> {
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] };
}

function fetchBody(topic: string, partition: number, offset: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: broker.logs.describeTopicId(topic), partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    forgottenTopicsData: [], rackId: "", ...extra,
  };
}

const firstPartition = (r: Record<string, any>) => r.responses[0].partitionResponses?.[0] ?? r.responses[0].partitions[0];

describe("Kafka protocol over raw frames", () => {
  it("stores a batch as sent and fetches it back byte-identical, in every version of Produce and Fetch", async () => {
    for (let version = 3; version <= 11; version++) {
      const batch = await encodeRecordBatch([{ key: Buffer.from("k"), value: Buffer.from(`v${version}`), headers: [{ key: "h", value: Buffer.from("x") }] }], { compression: Compression.Zstd });
      const response = await client.request(0, version, produceBody("raw", 0, Buffer.from(batch)));
      const p = firstPartition(response);
      expect(p.errorCode).toBe(0);
      for (const fetchVersion of [4, 11, 12, 13, 16, 17]) {
        const fetched = firstPartition(await client.request(1, fetchVersion, fetchBody("raw", 0, Number(p.baseOffset))));
        const stored = fetched.records as Buffer;
        expect(stored.subarray(16).equals(batch.subarray(16))).toBe(true); // all but baseOffset and leader epoch
        expect(stored.readBigInt64BE(0)).toBe(p.baseOffset);
      }
    }
  });

  it("answers ApiVersions it does not speak in v0 with UNSUPPORTED_VERSION and its list", async () => {
    const raw = await RawKafka.connect(broker.brokers[0]!);
    const frame = Buffer.alloc(4 + 10);
    frame.writeInt32BE(10, 0);
    frame.writeInt16BE(18, 4);
    frame.writeInt16BE(99, 6);
    frame.writeInt32BE(7, 8);
    frame.writeInt16BE(-1, 12);
    const response = await raw.send(frame);
    expect(response.readInt32BE(0)).toBe(7);
    expect(response.readInt16BE(4)).toBe(E.UNSUPPORTED_VERSION);
    const v3 = await raw.request(18, 3, { clientSoftwareName: "raw", clientSoftwareVersion: "1" });
    const produce = v3.apiKeys.find((k: { apiKey: number }) => k.apiKey === 0);
    expect(produce).toMatchObject({ minVersion: 0, maxVersion: 11 });
    raw.close();
  });

  it("refuses bad produce input per partition, and keeps the connection", async () => {
    const good = await encodeRecordBatch([{ key: null, value: Buffer.from("ok") }]);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 1]! ^= 0xff;
    const cases: [string, Record<string, unknown>, number][] = [
      ["two batches", produceBody("raw", 1, Buffer.concat([good, good])), E.INVALID_RECORD],
      ["a corrupt batch", produceBody("raw", 1, corrupt), E.CORRUPT_MESSAGE],
      ["null records", produceBody("raw", 1, null), E.INVALID_RECORD],
      ["an unknown topic", produceBody("no-such-topic", 0, Buffer.from(good)), E.UNKNOWN_TOPIC_OR_PARTITION],
      ["an unknown partition", produceBody("raw", 9, Buffer.from(good)), E.UNKNOWN_TOPIC_OR_PARTITION],
      ["an internal topic", produceBody("__consumer_offsets", 0, Buffer.from(good)), E.INVALID_TOPIC_EXCEPTION],
      ["acks=2", produceBody("raw", 1, Buffer.from(good), 2), E.INVALID_REQUIRED_ACKS],
    ];
    for (const [what, body, code] of cases) {
      const p = firstPartition(await client.request(0, 9, body));
      expect({ what, code: p.errorCode }).toEqual({ what, code });
      if (code !== E.INVALID_REQUIRED_ACKS) expect(p.errorMessage).toBeTruthy();
    }
    expect((await broker.logs.partition("raw", 1).offsets()).logEndOffset).toBe(0);
    const tooLarge = await encodeRecordBatch([{ key: null, value: Buffer.alloc(2 * 1024 * 1024) }]);
    expect(firstPartition(await client.request(0, 9, produceBody("raw", 1, tooLarge))).errorCode).toBe(E.MESSAGE_TOO_LARGE);
  });

  it("answers a fetch outside the log with OFFSET_OUT_OF_RANGE and the log's bounds", async () => {
    const p = firstPartition(await client.request(1, 12, fetchBody("raw", 0, 1_000_000)));
    expect(p.errorCode).toBe(E.OFFSET_OUT_OF_RANGE);
    expect(p.highWatermark).toBe(BigInt((await broker.logs.partition("raw", 0).offsets()).highWatermark));
  });

  it("holds a fetch until data arrives (max wait, min bytes) and answers as soon as it does", async () => {
    await broker.logs.createTopic("longpoll");
    const waiting = client.request(1, 12, fetchBody("longpoll", 0, 0, { maxWaitMs: 30_000, minBytes: 1 }));
    const other = await RawKafka.connect(broker.brokers[0]!);
    await other.request(0, 9, produceBody("longpoll", 0, await encodeRecordBatch([{ key: null, value: Buffer.from("wake") }])));
    const p = firstPartition(await waiting);
    expect((p.records as Buffer).length).toBeGreaterThan(0);
    other.close();
  });

  it("runs incremental fetch sessions: only partitions with news come back", async () => {
    await broker.logs.createTopic("sessions", { partitions: 3 });
    const id = broker.logs.describeTopicId("sessions");
    const partition = (p: number, offset = 0) => ({ partition: p, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n });
    const base = { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, forgottenTopicsData: [], rackId: "" };
    const full = await client.request(1, 13, { ...base, sessionId: 0, sessionEpoch: 0, topics: [{ topicId: id, partitions: [0, 1, 2].map((p) => partition(p)) }] });
    expect(full.sessionId).toBeGreaterThan(0);
    expect(full.responses[0].partitions).toHaveLength(3);
    const quiet = await client.request(1, 13, { ...base, sessionId: full.sessionId, sessionEpoch: 1, topics: [] });
    expect(quiet.errorCode).toBe(0);
    expect(quiet.responses).toEqual([]);
    await broker.logs.partition("sessions", 2).append(await encodeRecordBatch([{ key: null, value: Buffer.from("news") }]));
    const news = await client.request(1, 13, { ...base, sessionId: full.sessionId, sessionEpoch: 2, topics: [] });
    expect(news.responses[0].partitions.map((p: { partitionIndex: number }) => p.partitionIndex)).toEqual([2]);
    const stale = await client.request(1, 13, { ...base, sessionId: full.sessionId, sessionEpoch: 2, topics: [] });
    expect(stale.errorCode).toBe(E.INVALID_FETCH_SESSION_EPOCH);
    const unknown = await client.request(1, 13, { ...base, sessionId: 987654, sessionEpoch: 1, topics: [] });
    expect(unknown.errorCode).toBe(E.FETCH_SESSION_ID_NOT_FOUND);
  });

  it("accepts bytes after a complete request body, as Kafka does (current librdkafka sends 3 after Metadata v12), and counts them", async () => {
    const { encodeRequest, decodeResponse } = await import("../../src/protocol/kafka-frame.js");
    const request = encodeRequest({ apiKey: 3, apiVersion: 12, correlationId: 4242, clientId: "rdkafka" },
      { topics: null, allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    const padded = Buffer.concat([request, Buffer.from([0, 0, 0])]);
    padded.writeInt32BE(padded.length - 4, 0);
    const answer = decodeResponse(3, 12, await client.send(padded));
    expect(answer.correlationId).toBe(4242);
    expect((answer.body.topics as { name: string }[]).map((t) => t.name)).toContain("raw");
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/tributary_kafka_request_trailing_bytes_total\{request="Metadata v12"\} 3/);
  });

  it("answers every request frame recorded from real clients (kcat, librdkafka 2.0 and current, kafka-python, kafkajs) as sent", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const { decodeResponse } = await import("../../src/protocol/kafka-frame.js");
    const recorded = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "../fixtures/client-frames.json"), "utf8")) as
      { client: string; apiKey: number; apiVersion: number; hex: string }[];
    expect(new Set(recorded.map((r) => r.client))).toContain("librdkafka-current");
    const raw = await RawKafka.connect(broker.brokers[0]!);
    for (const r of recorded) {
      const frame = Buffer.from(r.hex, "hex");
      const acksZero = r.apiKey === 0 && frame.readInt16BE(10 + frame.readInt16BE(8) + (r.apiVersion >= 3 ? 2 : 0)) === 0;
      if (acksZero) continue; // acks=0: no answer, as in Kafka
      const sized = Buffer.concat([Buffer.alloc(4), frame]);
      sized.writeInt32BE(frame.length, 0);
      const answer = decodeResponse(r.apiKey, r.apiVersion, await raw.send(sized));
      expect(answer.correlationId, `${r.client} api ${r.apiKey} v${r.apiVersion}`).toBe(frame.readInt32BE(4));
    }
    expect(raw.closed).toBe(false);
    raw.close();
  });

  it("never shows a half-made topic: a Metadata request that lands while CreateTopics runs is answered, not dropped", async () => {
    const { encodeRequest, decodeResponse } = await import("../../src/protocol/kafka-frame.js");
    const create = encodeRequest({ apiKey: 19, apiVersion: 5, correlationId: 501, clientId: "race" }, {
      topics: [{ name: "racing", numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false,
    });
    const describe = encodeRequest({ apiKey: 3, apiVersion: 9, correlationId: 502, clientId: "race" },
      { topics: [{ name: "racing" }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const racer = await RawKafka.connect(broker.brokers[0]!);
    // Both frames in one write: the broker starts the Metadata request while the topic is being created.
    const [created, described] = await racer.sendPipelined(Buffer.concat([create, describe]), 2);
    expect(decodeResponse(19, 5, created!).correlationId).toBe(501);
    const metadata = decodeResponse(3, 9, described!);
    racer.close();
    const topic = (metadata.body.topics as { errorCode: number; partitions: unknown[] }[])[0]!;
    // Never half made: either still being created (no partitions shown) or whole.
    expect([0, E.LEADER_NOT_AVAILABLE]).toContain(topic.errorCode);
    expect(topic.partitions).toHaveLength(topic.errorCode === 0 ? 3 : 0);
    const settled = await client.request(3, 9, { topics: [{ name: "racing" }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    expect(settled.topics[0]).toMatchObject({ errorCode: 0, partitions: [expect.anything(), expect.anything(), expect.anything()] });
  });

  it("gives topic ids in Metadata v12 and fetches by id", async () => {
    const metadata = await client.request(3, 12, { topics: [{ topicId: "00000000-0000-0000-0000-000000000000", name: "raw" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(metadata.topics[0].topicId).toBe(broker.logs.describeTopicId("raw"));
    expect(metadata.clusterId).toBe(broker.logs.clusterId);
    const cluster = await client.request(60, 0, { includeClusterAuthorizedOperations: false });
    expect(cluster.brokers).toEqual([{ brokerId: 0, host: "127.0.0.1", port: broker.kafkaPort, rack: null }]);
  });
});

describe("idempotent producer over raw frames", () => {
  it("answers a retried batch with its original offset, refuses gaps and stale epochs, across a restart", async () => {
    const dataDir = tempDir();
    let own = await startBroker({ dataDir, kafkaPort: 0, httpPort: 0 });
    await own.logs.createTopic("idem-raw");
    let raw = await RawKafka.connect(own.brokers[0]!);
    const init = await raw.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(init.errorCode).toBe(0);
    const pid = Number(init.producerId);
    const batch = (seq: number, epoch = init.producerEpoch) => encodeRecordBatch([{ key: null, value: Buffer.from(`seq-${seq}`) }], { producerId: pid, producerEpoch: epoch, baseSequence: seq });
    const send = async (seq: number, epoch?: number) => firstPartition(await raw.request(0, 9, produceBody("idem-raw", 0, await batch(seq, epoch))));
    expect(await send(0)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await send(1)).toMatchObject({ errorCode: 0, baseOffset: 1n });
    expect(await send(1)).toMatchObject({ errorCode: 0, baseOffset: 1n }); // retry: same offset, nothing written
    expect((await send(5)).errorCode).toBe(E.OUT_OF_ORDER_SEQUENCE_NUMBER);
    raw.close();
    // Crash-free restart: the producer state comes back from the checkpoint.
    await own.stop();
    own = await startBroker({ dataDir, kafkaPort: 0, httpPort: 0 });
    raw = await RawKafka.connect(own.brokers[0]!);
    expect(await send(1)).toMatchObject({ errorCode: 0, baseOffset: 1n });
    expect(await send(2)).toMatchObject({ errorCode: 0, baseOffset: 2n });
    const bumped = await raw.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: BigInt(pid), producerEpoch: init.producerEpoch });
    expect(bumped).toMatchObject({ errorCode: 0, producerId: BigInt(pid), producerEpoch: init.producerEpoch + 1 });
    expect(await send(0, init.producerEpoch + 1)).toMatchObject({ errorCode: 0, baseOffset: 3n });
    expect((await send(3, init.producerEpoch)).errorCode).toBe(E.INVALID_PRODUCER_EPOCH);
    expect((await own.logs.partition("idem-raw", 0).offsets()).logEndOffset).toBe(4);
    const second = await raw.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(Number(second.producerId)).not.toBe(pid);
    // A transactional id gets an id of its own, and each InitProducerId for it a new epoch (fencing the one before).
    const transactional = await raw.request(22, 4, { transactionalId: "tx", transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(transactional.errorCode).toBe(0);
    expect(Number(transactional.producerId)).not.toBe(pid);
    const again = await raw.request(22, 4, { transactionalId: "tx", transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(again).toMatchObject({ errorCode: 0, producerId: transactional.producerId, producerEpoch: transactional.producerEpoch + 1 });
    raw.close();
    await own.stop();
  });
});

describe("misbehaving clients", () => {
  async function closesConnection(bytes: Buffer): Promise<void> {
    const raw = await RawKafka.connect(broker.brokers[0]!);
    raw.write(bytes);
    await raw.closedPromise;
    expect(raw.closed).toBe(true);
  }

  function header(apiKey: number, version: number, size = 10): Buffer {
    const frame = Buffer.alloc(4 + size);
    frame.writeInt32BE(size, 0);
    frame.writeInt16BE(apiKey, 4);
    frame.writeInt16BE(version, 6);
    frame.writeInt32BE(1, 8);
    frame.writeInt16BE(-1, 12);
    return frame;
  }

  it("closes only the offending connection, and everyone else keeps being served", async () => {
    const oversize = Buffer.alloc(4);
    oversize.writeInt32BE(200 * 1024 * 1024, 0);
    await closesConnection(oversize);
    const tiny = Buffer.alloc(8);
    tiny.writeInt32BE(4, 0);
    await closesConnection(tiny);
    await closesConnection(header(999, 0));
    await closesConnection(header(3, 13));
    await closesConnection(Buffer.concat([header(3, 9, 40), Buffer.alloc(30, 0xff)]));
    // Half a request, then silence: dropped after the read timeout (300 ms here).
    const half = header(3, 9, 100).subarray(0, 20);
    await closesConnection(half);
    const meta = await client.request(3, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(meta.brokers).toHaveLength(1);
  });

  it("keeps serving with two thousand idle connections open", async () => {
    const idle = await Promise.all(Array.from({ length: 2000 }, () => RawKafka.connect(broker.brokers[0]!)));
    const fresh = await RawKafka.connect(broker.brokers[0]!);
    const versions = await fresh.request(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    expect(versions.errorCode).toBe(0);
    for (const c of idle) c.close();
    fresh.close();
  });
});
