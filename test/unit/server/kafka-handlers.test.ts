// Kafka request handlers on the in-memory store: no socket, no disk. Requests
// go through the real codec (encoded, then decoded as the listener decodes
// them), so each handler sees exactly what a client's bytes would give it.
import { describe, expect, it } from "vitest";
import { MemoryLogStore } from "../../../src/log/memory-store.js";
import { SchemaRegistry } from "../../../src/schema/schema-registry.js";
import { RecordValidation } from "../../../src/schema/record-validation.js";
import { BrokerMetrics } from "../../../src/server/metrics.js";
import { RecordAccumulator } from "../../../src/server/record-accumulator.js";
import { WritePath } from "../../../src/server/write-path.js";
import { GroupCoordinator } from "../../../src/server/groups/group-coordinator.js";
import { ProducerIds } from "../../../src/server/kafka/producer-ids.js";
import { FetchSessions } from "../../../src/server/kafka/fetch-sessions.js";
import { API_TABLE, apiVersionsList } from "../../../src/server/kafka/api-table.js";
import type { ApiName, Handler, KafkaContext } from "../../../src/server/kafka/kafka-context.js";
import type { ApiMessages } from "../../../src/protocol/generated/message-types.js";
import { decodeRequest, encodeRequest } from "../../../src/protocol/kafka-frame.js";
import { encodeRecordBatch, splitBatches } from "../../../src/protocol/record-batch-codec.js";
import { KafkaErrorCode as E } from "../../../src/protocol/kafka-error-codes.js";
import { SecurityStore } from "../../../src/security/security-store.js";
import { Authentication } from "../../../src/security/authentication.js";
import { Authorizer } from "../../../src/security/acl.js";
import { TransactionCoordinator } from "../../../src/server/transactions/transaction-coordinator.js";

function context(): KafkaContext {
  const logs = new MemoryLogStore();
  const registry = new SchemaRegistry(logs.schemaStore);
  const validation = new RecordValidation(registry);
  const metrics = new BrokerMetrics(logs, validation);
  return {
    apiVersions: apiVersionsList(), logs, groups: new GroupCoordinator(undefined, () => undefined), producerIds: new ProducerIds(logs),
    fetchSessions: new FetchSessions(), validation, writePath: new WritePath(logs, validation, new RecordAccumulator(logs, metrics)), metrics,
    nodeId: 1, advertisedHost: "broker.test", advertisedPort: 9092, autoCreateTopics: true, defaultPartitions: 2, shutdown: new AbortController().signal,
    logDir: "/data/tributary",
    ...openSecurity(logs),
  };
}

/** Authentication off, every request allowed: as a broker started without --sasl-mechanisms. */
function openSecurity(logs: MemoryLogStore) {
  const security = new SecurityStore(logs.securityStore);
  return { security, auth: new Authentication(security, { mechanisms: [], clientCertificates: false, reauthMs: 0 }), authorizer: new Authorizer(false, new Set()) };
}

/** Runs the API's handler on `body`, as the listener would after decoding the client's bytes of `version`. */
async function call<A extends ApiName>(ctx: KafkaContext, api: A, version: number, body: Partial<ApiMessages[A]["request"]>): Promise<ApiMessages[A]["response"] | null> {
  const [apiKey, entry] = [...API_TABLE.entries()].find(([, e]) => e.name === api)!;
  const decoded = decodeRequest(encodeRequest({ apiKey, apiVersion: version, correlationId: 1, clientId: "unit" }, body).subarray(4));
  return await entry.handle(ctx, decoded.body, { header: decoded.header, client: "unit-test", session: { principal: "User:ANONYMOUS", host: "127.0.0.1", authenticated: true, rawTokens: false, expiresAtMs: Infinity } }) as ApiMessages[A]["response"] | null;
}

describe("Kafka handlers on the memory store", () => {
  it("DescribeLogDirs names the data dir and each asked partition's size, leaving out unknown ones", async () => {
    const ctx = context();
    await ctx.logs.createTopic("sized", { partitions: 2 });
    const answer = await call(ctx, "DescribeLogDirs", 4, { topics: [{ topic: "sized", partitions: [1, 7] }, { topic: "missing", partitions: [0] }] });
    expect(answer?.results).toHaveLength(1);
    expect(answer?.results[0]).toMatchObject({ errorCode: 0, logDir: "/data/tributary" });
    expect(answer?.results[0]!.topics).toEqual([{ name: "sized", partitions: [{ partitionIndex: 1, partitionSize: expect.any(BigInt), offsetLag: 0n, isFutureKey: false }] }]);
  });

  it("Metadata creates an unknown topic and names this broker its leader", async () => {
    const ctx = context();
    const answer = await call(ctx, "Metadata", 12, { topics: [{ name: "orders", topicId: "00000000-0000-0000-0000-000000000000" }], allowAutoTopicCreation: true });
    expect(answer?.brokers).toEqual([{ nodeId: 1, host: "broker.test", port: 9092, rack: null }]);
    expect(answer?.topics?.[0]).toMatchObject({ errorCode: 0, name: "orders", topicId: ctx.logs.describeTopicId("orders") });
    expect(answer?.topics?.[0]?.partitions?.map((p) => [p.partitionIndex, p.leaderId])).toEqual([[0, 1], [1, 1]]);
  });

  it("Produce then Fetch gives back the batch as sent, and ListOffsets the offsets", async () => {
    const ctx = context();
    await ctx.logs.createTopic("t");
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.from("one") }, { key: null, value: Buffer.from("two") }]);
    const produced = await call(ctx, "Produce", 9, { acks: -1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: "t", partitionData: [{ index: 0, records: Buffer.from(batch) }] }] });
    expect(produced?.responses?.[0]?.partitionResponses?.[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const fetched = await call(ctx, "Fetch", 12, {
      maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "t", topicId: "00000000-0000-0000-0000-000000000000", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1, replicaDirectoryId: "00000000-0000-0000-0000-000000000000" }] }],
    });
    const partition = fetched?.responses?.[0]?.partitions?.[0];
    expect(partition).toMatchObject({ errorCode: 0, highWatermark: 2n, logStartOffset: 0n });
    const [stored] = splitBatches(partition!.records!);
    expect(stored!.subarray(61)).toEqual(batch.subarray(61));
    const listed = await call(ctx, "ListOffsets", 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: "t", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] });
    expect(listed?.topics?.[0]?.partitions?.[0]).toMatchObject({ errorCode: 0, offset: 2n });
  });

  it("Produce to a dead-letter topic writes the valid records and names where the others went", async () => {
    const ctx = context();
    await ctx.logs.createTopic("t", { configs: { "schema.invalid.policy": "dead-letter" } });
    await ctx.validation.registry.register("t-value", JSON.stringify({ type: "object", required: ["n"] }), "JSON");
    const batch = await encodeRecordBatch([{ n: 1 }, { x: 2 }].map((v) => ({ key: null, value: Buffer.from(JSON.stringify(v)) })));
    const produced = await call(ctx, "Produce", 9, { acks: -1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: "t", partitionData: [{ index: 0, records: batch }] }] });
    const answer = produced?.responses?.[0]?.partitionResponses?.[0];
    expect(answer).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(answer?.recordErrors?.map((e) => e.batchIndex)).toEqual([1]);
    expect(answer?.errorMessage).toMatch(/written to t\.dlq/);
    expect(await ctx.logs.partition("t.dlq", 0).offsets()).toMatchObject({ highWatermark: 1 });
    expect((await ctx.logs.partition("t", 0).offsets()).highWatermark).toBe(2); // offsets 0 and 1 used; 1 is a gap
  });

  it("refuses a transactional producer, writing nothing, where there is no coordinator or the partition is not in its transaction", async () => {
    const ctx = context();
    await ctx.logs.createTopic("t");
    const plain = await encodeRecordBatch([{ key: null, value: Buffer.from("x") }]);
    const produce = (records: Buffer) => call(ctx, "Produce", 9, { acks: -1, timeoutMs: 1000, transactionalId: "tx", topicData: [{ name: "t", partitionData: [{ index: 0, records }] }] });
    expect((await produce(plain))?.responses?.[0]?.partitionResponses?.[0]?.errorCode).toBe(E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    ctx.transactions = new TransactionCoordinator(ctx.logs, (ctx.logs as MemoryLogStore).transactionStore, { maxTimeoutMs: 60_000, checkIntervalMs: 60_000, allocateProducerId: async () => 7 });
    const { producerId, producerEpoch } = await ctx.transactions.initProducerId("tx", 10_000, { producerId: -1, producerEpoch: -1 });
    const transactional = await encodeRecordBatch([{ key: null, value: Buffer.from("x") }], { transactional: true, producerId, producerEpoch, baseSequence: 0 });
    expect((await produce(transactional))?.responses?.[0]?.partitionResponses?.[0]?.errorCode).toBe(E.INVALID_TXN_STATE);
    expect((await produce(plain))?.responses?.[0]?.partitionResponses?.[0]?.errorCode).toBe(E.INVALID_RECORD);
    expect((await ctx.logs.partition("t", 0).offsets()).logEndOffset).toBe(0);
    await ctx.transactions.addPartitions("tx", producerId, producerEpoch, [{ topic: "t", partition: 0 }]);
    expect((await produce(transactional))?.responses?.[0]?.partitionResponses?.[0]?.errorCode).toBe(0);
    expect(await ctx.logs.partition("t", 0).offsets()).toMatchObject({ logEndOffset: 1, lastStableOffset: 0 });
  });

  it("types every handler's answer: a misspelled field does not compile", () => {
    // @ts-expect-error: "errorCod" is no field of the Heartbeat response
    const misspelled: Handler<"Heartbeat"> = () => ({ throttleTimeMs: 0, errorCod: 0 });
    // @ts-expect-error: a Heartbeat request has no "topics"
    const wrongField: Handler<"Heartbeat"> = (_ctx, request) => ({ errorCode: request.topics.length });
    expect([misspelled, wrongField]).toHaveLength(2);
  });
});
