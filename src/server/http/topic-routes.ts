// Topics over HTTP: admin, native publish (JSON, batch, NDJSON), REST Proxy v2
// produce, and reads by offset or timestamp.

import type { Context, Hono } from "hono";
import { valueSubject } from "../../schema/record-validation.js";
import type { HttpDeps } from "./http-deps.js";
import { bodyJson, bodyText, parseJsonInput } from "./request-body.js";
import { HttpError } from "./http-error.js";
import { ensureTopics } from "./auto-create.js";
import { framed } from "./wire-values.js";
import type { SchemaType } from "../../schema/schema-registry.js";
import { avroFromJson } from "../../schema/avro.js";
import { parseRecord, publish, RECORDS_PER_REQUEST_MAX, type IncomingRecord, type ValueFormat } from "./publish.js";
import { readRecordsFrom, recordToJson, type RecordJson } from "./record-json.js";
import { logAdminChange } from "../../ops/ops-log.js";
import { httpActor } from "./actor.js";
import { checked, doc, queryOf, Done } from "./api-doc.js";
import * as api from "./api-schemas.js";
import * as v from "valibot";
import { Operation, ResourceType, requireCreate } from "./http-access-checks.js";

const REST_PROXY_JSON = "application/vnd.kafka.v2+json";

function integerParam(c: Context, name: string, fallback?: number): number | undefined {
  const raw = c.req.query(name) ?? c.req.param(name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new HttpError(400, 40002, `${name} must be an integer, not '${raw}'`);
  return Number(raw);
}

async function describe(deps: HttpDeps, topic: string) {
  const t = await deps.logs.describeTopic(topic);
  return {
    name: t.name,
    id: t.id,
    configs: Object.fromEntries(Object.entries(t.configs)),
    partitions: t.partitionStates.map((p) => ({
      partition: p.partition, leader: 0, replicas: [{ broker: 0, leader: true, in_sync: true }],
      log_start_offset: p.logStartOffset, high_watermark: p.highWatermark, size_bytes: p.sizeBytes, segments: p.segments,
    })),
  };
}

/**
 * The schema id a REST Proxy v2 request names for its values: `value_schema`
 * (registered under the topic's value subject) or `value_schema_id` (which must
 * be a version of that subject).
 */
async function requestSchemaId(deps: HttpDeps, topic: string, body: Record<string, unknown>, schemaType: SchemaType): Promise<number> {
  const subject = valueSubject(topic);
  if (typeof body.value_schema === "string") return (await deps.registry.register(subject, body.value_schema, schemaType)).id;
  if (typeof body.value_schema_id === "number") {
    const id = deps.registry.getSchema(body.value_schema_id).id;
    if (!deps.registry.subjectHasSchema(subject, id)) throw new HttpError(422, 42202, `value_schema_id ${id} is not a version of subject '${subject}'`);
    return id;
  }
  throw new HttpError(422, 42202, `${schemaType === "AVRO" ? "avro" : "jsonschema"} records need value_schema or value_schema_id`);
}

/** REST Proxy v2 produce: records of one content type, answered per record with Confluent's fields. */
async function restProxyProduce(c: Context, deps: HttpDeps, topic: string, partition?: number) {
  const contentType = c.req.header("content-type") ?? "";
  const embedded = /vnd\.kafka\.(\w+)\.v2/.exec(contentType)?.[1] ?? (/application\/json/.test(contentType) ? "json" : undefined);
  if (!embedded || !["json", "binary", "jsonschema", "avro"].includes(embedded)) {
    throw new HttpError(415, 41501, `content type '${contentType}' is not supported; use application/vnd.kafka.{json,binary,jsonschema,avro}.v2+json`);
  }
  const format: ValueFormat = embedded === "binary" ? "binary" : "json";
  const body = await bodyJson(c, deps) as Record<string, unknown>;
  checked(api.V2Produce, body);
  // REST Proxy clients, like Kafka's, create a topic by producing to it (when auto-creation is on).
  await ensureTopics(deps.logs, deps.autoCreate, [topic], httpActor(c));
  const schemaType: SchemaType | undefined = embedded === "avro" ? "AVRO" : embedded === "jsonschema" ? "JSON" : undefined;
  const valueSchemaId = schemaType ? await requestSchemaId(deps, topic, body, schemaType) : null;
  const avroType = schemaType === "AVRO" ? deps.registry.avroType(valueSchemaId!) : undefined;
  const records = (body.records as unknown[]).map((raw, i) => {
    const r = parseRecord(raw, i, format);
    if (avroType) {
      try {
        r.value = framed(valueSchemaId!, avroFromJson(avroType, (raw as { value: unknown }).value));
      } catch (err) {
        throw new HttpError(422, 42203, `record ${i}: ${(err as Error).message}`);
      }
    } else if (valueSchemaId !== null && r.value) r.value = framed(valueSchemaId, r.value);
    return partition === undefined ? r : { ...r, partition };
  });
  const outcome = await publish(deps, topic, records, `REST client ${c.req.header("user-agent") ?? ""}`);
  return c.json({
    key_schema_id: null,
    value_schema_id: valueSchemaId,
    offsets: outcome.offsets.map((o) => (o ? { partition: o.partition, offset: o.offset, error_code: null, error: null } : { partition: null, offset: null, error_code: 42208, error: "record failed the topic's schema; dead-lettered" })),
  }, 200, { "content-type": REST_PROXY_JSON });
}

export function registerTopicRoutes(app: Hono, deps: HttpDeps): void {
  app.get("/topics", doc({ tags: ["topics"], summary: "topic names", responses: { 200: v.array(v.string()) } }),
    (c) => c.json(deps.logs.listTopics().map((t) => t.name).filter((name) => deps.access.may(c, Operation.DESCRIBE, ResourceType.TOPIC, name))));

  app.post("/topics", doc({ tags: ["topics"], summary: "create a topic", body: api.TopicCreate, responses: { 201: api.TopicDescription } }), async (c) => {
    const body = checked(api.TopicCreate, await bodyJson(c, deps));
    requireCreate(c, deps, body.name);
    const configs = Object.fromEntries(Object.entries(body.configs ?? {}).map(([k, value]) => [k, String(value)]));
    const info = await deps.logs.createTopic(body.name, { partitions: body.partitions ?? 1, configs });
    logAdminChange(httpActor(c), "topic.create", `created topic ${info.name}`, { topic: info.name, partitions: info.partitions, configs });
    return c.json(await describe(deps, info.name), 201);
  });

  app.get("/topics/:topic", doc({ tags: ["topics"], summary: "describe a topic: configs, partitions with offsets and sizes", responses: { 200: api.TopicDescription } }), async (c) => c.json(await describe(deps, c.req.param("topic"))));

  app.delete("/topics/:topic", doc({ tags: ["topics"], summary: "delete a topic and its data", responses: Done }), async (c) => {
    await deps.logs.deleteTopic(c.req.param("topic"));
    logAdminChange(httpActor(c), "topic.delete", `deleted topic ${c.req.param("topic")}`, { topic: c.req.param("topic") });
    return c.body(null, 204);
  });

  const v2Produce = (summary: string) => doc({
    tags: ["REST Proxy v2"], summary, body: api.V2Produce, responses: { 200: api.V2ProduceAnswer },
    bodyMedia: ["application/vnd.kafka.json.v2+json", "application/vnd.kafka.binary.v2+json", "application/vnd.kafka.jsonschema.v2+json", "application/vnd.kafka.avro.v2+json"],
  });
  app.post("/topics/:topic", v2Produce("produce (REST Proxy v2): answered once durable, per record"), (c) => restProxyProduce(c, deps, c.req.param("topic")));
  app.post("/topics/:topic/partitions/:partition", v2Produce("produce to one partition (REST Proxy v2)"),
    (c) => restProxyProduce(c, deps, c.req.param("topic"), integerParam(c, "partition")));

  app.post("/topics/:topic/records", doc({
    tags: ["records"], summary: "publish: one record, { records: [...] }, or NDJSON (a record per line); answered once durable",
    description: `At most ${RECORDS_PER_REQUEST_MAX} records a request. Every record is checked against the topic's schema first: one that fails ` +
      "refuses the request (422, nothing written) unless the topic's schema.invalid.policy dead-letters it.",
    body: api.PublishBody, bodyMedia: ["application/json", "application/x-ndjson"], responses: { 200: api.PublishAnswer },
  }), async (c) => {
    const topic = c.req.param("topic");
    const contentType = c.req.header("content-type") ?? "";
    let records: IncomingRecord[];
    if (/ndjson|jsonl/.test(contentType)) {
      const lines = (await bodyText(c, deps)).split("\n").filter((l) => l.trim() !== "");
      records = lines.map((line, i) => {
        const record = parseJsonInput(line, deps, `line ${i + 1}`);
        checked(api.RecordIn, record);
        return parseRecord(record, i);
      });
    } else {
      const body = await bodyJson(c, deps);
      // Checked against the one of PublishBody's two shapes it means to be, so that a mistake is named.
      checked(body !== null && typeof body === "object" && "records" in body ? api.RecordBatch : api.RecordIn, body);
      const list = body && typeof body === "object" && Array.isArray((body as { records?: unknown }).records) ? (body as { records: unknown[] }).records : [body];
      records = list.map((r, i) => parseRecord(r, i));
    }
    const outcome = await publish(deps, topic, records, "HTTP publisher");
    return c.json({
      offsets: outcome.offsets,
      ...(outcome.deadLettered.length ? { dead_lettered: outcome.deadLettered.map((d) => ({ index: d.index, topic: `${topic}.dlq`, partition: d.partition, offset: d.offset })) } : {}),
    });
  });

  app.get("/topics/:topic/partitions", doc({ tags: ["topics"], summary: "partitions with offsets and sizes", responses: { 200: v.array(api.PartitionState) } }), async (c) => c.json((await describe(deps, c.req.param("topic"))).partitions));

  app.get("/topics/:topic/partitions/:partition", doc({ tags: ["topics"], summary: "one partition", responses: { 200: api.PartitionState } }), async (c) => {
    const p = (await describe(deps, c.req.param("topic"))).partitions.find((x) => x.partition === integerParam(c, "partition"));
    if (!p) throw new HttpError(404, 40402, `partition ${c.req.param("partition")} not found`);
    return c.json(p);
  });

  app.get("/topics/:topic/partitions/:partition/offsets", doc({ tags: ["REST Proxy v2"], summary: "beginning and end offsets", responses: { 200: api.PartitionOffsets } }), async (c) => {
    const log = await deps.logs.partition(c.req.param("topic"), integerParam(c, "partition")!).offsets();
    return c.json({ beginning_offset: log.logStartOffset, end_offset: log.highWatermark });
  });

  app.get("/topics/:topic/partitions/:partition/records", doc({
    tags: ["records"], summary: "read records from an offset or a time", query: api.ReadQuery, responses: { 200: api.RecordsRead },
  }), async (c) => {
    const topic = c.req.param("topic");
    const partition = integerParam(c, "partition")!;
    const log = deps.logs.partition(topic, partition);
    const query = queryOf(c, api.ReadQuery, 40003);
    const limit = query.limit ?? 100;
    const maxBytes = query.max_bytes ?? 1024 * 1024;
    const format = query.format ?? "json";
    let offset = query.offset;
    const timestamp = query.timestamp;
    if (offset === undefined && timestamp !== undefined) offset = (await log.offsetForTimestamp(timestamp))?.offset ?? (await log.offsets()).highWatermark;
    offset ??= (await log.offsets()).logStartOffset;
    const out: RecordJson[] = [];
    let next = offset;
    const read = await readRecordsFrom(log, offset, maxBytes);
    for (const r of read.records.slice(0, limit)) {
      out.push(recordToJson(topic, partition, r, format));
      next = r.offset + 1;
    }
    // Past markers and aborted records too, unless the limit cut the answer short.
    if (read.records.length <= limit) next = Math.max(next, read.nextOffset);
    deps.metrics.served(topic, "http", read.bytes, out.length);
    return c.json({ records: out, next_offset: next, high_watermark: (await log.offsets()).highWatermark });
  });
}
