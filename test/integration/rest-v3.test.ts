// REST Proxy v3 as Confluent documents it: clusters, brokers, topics with
// configs and partitions, consumer groups with lag, and records produced one
// per request or streamed many to a connection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { SchemaRegistry as RegistryClient, SchemaType } from "@kafkajs/confluent-schema-registry";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { decodeRecordBatch, splitBatches } from "../../src/protocol/record-batch-codec.js";

let broker: Broker;
let cluster: string;
let base: string;

beforeAll(async () => {
  broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0 });
  const clusters = await (await fetch(`${broker.httpUrl}/v3/clusters`)).json();
  cluster = clusters.data[0].cluster_id;
  base = `${broker.httpUrl}/v3/clusters/${cluster}`;
});

afterAll(async () => {
  await broker?.stop();
});

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function storedValues(topic: string, partition = 0): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const batch of splitBatches((await broker.logs.partition(topic, partition).read(0, 1 << 22)).records)) {
    for (const r of (await decodeRecordBatch(batch)).records) out.push(r.value!);
  }
  return out;
}

describe("REST Proxy v3 resources", () => {
  it("describes the cluster and its broker in Confluent's shape", async () => {
    const clusters = await call("GET", `${broker.httpUrl}/v3/clusters`);
    expect(clusters.json).toMatchObject({ kind: "KafkaClusterList", metadata: { self: `${broker.httpUrl}/v3/clusters` }, data: [{ kind: "KafkaCluster", cluster_id: cluster }] });
    expect(clusters.json.data[0].metadata).toEqual({ self: base, resource_name: `crn:///kafka=${cluster}` });
    expect(clusters.json.data[0].topics).toEqual({ related: `${base}/topics` });
    expect((await call("GET", base)).json.cluster_id).toBe(cluster);
    expect(await call("GET", `${broker.httpUrl}/v3/clusters/nope`)).toMatchObject({ status: 404, json: { error_code: 404, message: expect.stringContaining("nope") } });
    const brokers = await call("GET", `${base}/brokers`);
    const [host, port] = broker.brokers[0]!.split(":");
    expect(brokers.json.data).toEqual([expect.objectContaining({ kind: "KafkaBroker", cluster_id: cluster, broker_id: 0, host, port: Number(port) })]);
  });

  it("creates, lists, configures and deletes topics", async () => {
    const created = await call("POST", `${base}/topics`, { topic_name: "v3-topic", partitions_count: 3, replication_factor: 1, configs: [{ name: "retention.ms", value: "60000" }] });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ kind: "KafkaTopic", topic_name: "v3-topic", partitions_count: 3, replication_factor: 1, is_internal: false });
    expect((await call("POST", `${base}/topics`, { topic_name: "v3-topic" })).status).toBe(400);
    expect((await call("GET", `${base}/topics`)).json.data.map((t: { topic_name: string }) => t.topic_name)).toContain("v3-topic");
    const partitions = await call("GET", `${base}/topics/v3-topic/partitions`);
    expect(partitions.json.data.map((p: { partition_id: number }) => p.partition_id)).toEqual([0, 1, 2]);
    expect((await call("GET", `${base}/topics/v3-topic/partitions/7`)).status).toBe(404);
    const configs = await call("GET", `${base}/topics/v3-topic/configs`);
    expect(configs.json.data.find((c: { name: string }) => c.name === "retention.ms")).toMatchObject({ kind: "KafkaTopicConfig", value: "60000", is_default: false, source: "DYNAMIC_TOPIC_CONFIG" });
    expect((await call("PUT", `${base}/topics/v3-topic/configs/cleanup.policy`, { value: "compact" })).status).toBe(204);
    expect((await call("GET", `${base}/topics/v3-topic/configs/cleanup.policy`)).json).toMatchObject({ value: "compact", source: "DYNAMIC_TOPIC_CONFIG" });
    expect((await call("POST", `${base}/topics/v3-topic/configs:alter`, { data: [{ name: "retention.ms", value: "120000" }, { name: "cleanup.policy", operation: "DELETE" }] })).status).toBe(204);
    expect((await call("GET", `${base}/topics/v3-topic/configs/retention.ms`)).json.value).toBe("120000");
    expect((await call("GET", `${base}/topics/v3-topic/configs/cleanup.policy`)).json).toMatchObject({ value: "delete", is_default: true, source: "DEFAULT_CONFIG" });
    const refused = await call("PUT", `${base}/topics/v3-topic/configs/retention.ms`, { value: "soon" });
    expect(refused.status).toBe(422);
    expect(refused.json.message).toMatch(/retention.ms=soon/);
    expect((await call("DELETE", `${base}/topics/v3-topic`)).status).toBe(204);
    expect((await call("GET", `${base}/topics/v3-topic`)).status).toBe(404);
    expect((await call("GET", `${base}/topics/__consumer_offsets/configs`)).status).toBe(403);
  });
});

describe("REST Proxy v3 records", () => {
  it("produces one record per request in each data type, and answers with partition, offset and sizes", async () => {
    await call("POST", `${base}/topics`, { topic_name: "v3-records", partitions_count: 1 });
    const json = await call("POST", `${base}/topics/v3-records/records`, { key: { type: "STRING", data: "k1" }, value: { type: "JSON", data: { total: 3 } }, headers: [{ name: "h", value: Buffer.from("x").toString("base64") }] });
    expect(json).toMatchObject({ status: 200, json: { error_code: 200, cluster_id: cluster, topic_name: "v3-records", partition_id: 0, offset: 0, key: { type: "STRING", size: 2 }, value: { type: "JSON", size: 11 } } });
    expect(Date.parse(json.json.timestamp)).toBeGreaterThan(0);
    const binary = await call("POST", `${base}/topics/v3-records/records`, { value: { type: "BINARY", data: Buffer.from([1, 2, 3]).toString("base64") } });
    expect(binary.json).toMatchObject({ offset: 1, value: { type: "BINARY", size: 3 } });
    expect((await call("POST", `${base}/topics/v3-records/records`, { value: { type: "BINARY", data: "not base64!!" } })).status).toBe(400);
    expect((await call("POST", `${base}/topics/v3-records/records`, { value: { type: "PROTOBUF", data: {} } })).status).toBe(400);
    expect((await call("POST", `${base}/topics/v3-records/records`, { partition_id: 9, value: { data: 1 } })).status).toBe(404);
    const values = await storedValues("v3-records");
    expect(values.map((v) => [...v])).toEqual([[...Buffer.from('{"total":3}')], [1, 2, 3]]);
  });

  it("encodes AVRO values with the schema named or the subject's latest, and refuses what does not fit", async () => {
    const client = new RegistryClient({ host: broker.httpUrl });
    const schema = JSON.stringify({ type: "record", name: "Order", fields: [{ name: "total", type: "double" }] });
    const { id } = await client.register({ type: SchemaType.AVRO, schema }, { subject: "v3-avro-value" });
    const byId = await call("POST", `${base}/topics/v3-avro/records`, { value: { type: "AVRO", schema_id: id, data: { total: 2.5 } } });
    expect(byId.json).toMatchObject({ error_code: 200, topic_name: "v3-avro", value: { type: "AVRO" } });
    const latest = await call("POST", `${base}/topics/v3-avro/records`, { value: { data: { total: 4 } } });
    expect(latest.json).toMatchObject({ error_code: 200, value: { type: "AVRO" } });
    expect((await call("POST", `${base}/topics/v3-avro/records`, { value: { type: "AVRO", data: { total: "many" } } })).status).toBe(422);
    const decoded = await Promise.all((await storedValues("v3-avro", byId.json.partition_id)).map((v) => client.decode(v)));
    expect(decoded).toContainEqual({ total: 2.5 });
  });

  it("streams many records over one connection, one answer each in order, an error answered in its place", async () => {
    await call("POST", `${base}/topics`, { topic_name: "v3-stream", partitions_count: 1 });
    const lines = Array.from({ length: 200 }, (_, i) => (i === 57 ? '{"value":{"type":"BINARY","data":"@@"}}' : JSON.stringify({ value: { type: "JSON", data: { i } } })));
    const encoder = new TextEncoder();
    // Sent in pieces that cut records in two, with no declared length: the streamed form.
    const text = lines.join("\n");
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < text.length; at += 333) controller.enqueue(encoder.encode(text.slice(at, at + 333)));
        controller.close();
      },
    });
    const res = await fetch(`${base}/topics/v3-stream/records`, { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(200);
    const answers = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(answers).toHaveLength(200);
    expect(answers[57]).toMatchObject({ error_code: 400 });
    const offsets = answers.filter((_, i) => i !== 57).map((a) => a.offset);
    expect(offsets).toEqual(Array.from({ length: 199 }, (_, i) => i));
    // Consumed back over HTTP, as a curl user would read them.
    const read = await call("GET", `${broker.httpUrl}/topics/v3-stream/partitions/0/records?offset=0&limit=500`);
    expect(read.json.records.map((r: { value: { i: number } }) => r.value.i)).toEqual(Array.from({ length: 200 }, (_, i) => i).filter((i) => i !== 57));
  });

  it("answers a body that is not a sequence of records with 400 after what came before it", async () => {
    const res = await fetch(`${base}/topics/v3-stream/records`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"value":{"data":1}} {"value":{"data":2}} oops' });
    const answers = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(answers.map((a) => a.error_code)).toEqual([200, 200, 400]);
    expect((await call("POST", `${base}/topics/v3-stream/records`, "[1,2]")).status).toBe(400);
  });
});

describe("REST Proxy v3 consumer groups", () => {
  it("lists a Kafka consumer group with its consumers, lag per partition and lag summary", async () => {
    await call("POST", `${base}/topics`, { topic_name: "v3-lag", partitions_count: 2 });
    for (let i = 0; i < 6; i++) await call("POST", `${base}/topics/v3-lag/records`, { partition_id: i % 2, value: { data: i } });
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: "v3-group", sessionTimeout: 30_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: "v3-lag", fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => void consumer.run({ autoCommit: false, eachMessage: async ({ partition, message }) => {
      // Commit only the first record of partition 0: lag stays behind.
      if (partition === 0 && message.offset === "0") await consumer.commitOffsets([{ topic: "v3-lag", partition: 0, offset: "1" }]);
      if (++seen === 6) resolve();
    } }));
    const groups = await call("GET", `${base}/consumer-groups`);
    expect(groups.json.data).toContainEqual(expect.objectContaining({ kind: "KafkaConsumerGroup", consumer_group_id: "v3-group", state: "STABLE" }));
    const consumers = await call("GET", `${base}/consumer-groups/v3-group/consumers`);
    expect(consumers.json.data).toHaveLength(1);
    const lags = await call("GET", `${base}/consumer-groups/v3-group/lags`);
    expect(lags.json.data).toEqual([expect.objectContaining({ kind: "KafkaConsumerLag", topic_name: "v3-lag", partition_id: 0, current_offset: 1, log_end_offset: 3, lag: 2, consumer_id: consumers.json.data[0].consumer_id })]);
    const summary = await call("GET", `${base}/consumer-groups/v3-group/lag-summary`);
    expect(summary.json).toMatchObject({ kind: "KafkaConsumerGroupLagSummary", max_lag: 2, total_lag: 2, max_lag_topic_name: "v3-lag", max_lag_partition_id: 0 });
    await consumer.disconnect();
    expect((await call("GET", `${base}/consumer-groups/none`)).status).toBe(404);
  });
});
