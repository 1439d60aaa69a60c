// REST Proxy v2 consumers: instances, subscriptions, assignments, positions,
// offsets and records.

import type { Context, Hono } from "hono";
import { RE2JS } from "re2js";
import type { HttpDeps } from "./http-deps.js";
import { bodyJson, optionalBodyJson } from "./request-body.js";
import { keepOpen } from "./listen.js";
import { HttpError } from "./http-error.js";
import type { ConsumerSettings } from "./http-consumer.js";
import { httpActor } from "./actor.js";
import { checked, doc, queryOf, Done } from "./api-doc.js";
import * as api from "./api-schemas.js";
import { Operation, ResourceType } from "./http-access-checks.js";

const V2 = "application/vnd.kafka.v2+json";

export function registerConsumerRoutes(app: Hono, deps: HttpDeps): void {
  const consumers = deps.consumers;
  const instance = (c: Context) => consumers.get(c.req.param("group")!, c.req.param("instance")!);

  app.post("/consumers/:group", doc({ tags: ["REST Proxy v2"], summary: "create a consumer instance in a group", body: api.V2ConsumerCreate, bodyRequired: false,
    bodyMedia: [V2, "application/json"], responses: { 200: api.V2ConsumerCreated } }), async (c) => {
    const body = checked(api.V2ConsumerCreate, (await optionalBodyJson(c, deps)) ?? {}, 422, 42204) as Record<string, unknown>;
    const format = (body.format ?? "json") as ConsumerSettings["format"];
    if (!["json", "binary", "jsonschema", "avro"].includes(format)) throw new HttpError(422, 42204, `format '${format}' is not supported (json, binary, jsonschema, avro)`);
    const reset = (body["auto.offset.reset"] ?? "latest") as string;
    if (reset !== "earliest" && reset !== "latest" && reset !== "smallest" && reset !== "largest") throw new HttpError(422, 42204, `auto.offset.reset '${reset}' must be earliest or latest`);
    const consumer = consumers.create(c.req.param("group"), body.name as string | undefined, {
      format,
      autoOffsetReset: reset === "earliest" || reset === "smallest" ? "earliest" : "latest",
      autoCommit: String(body["auto.commit.enable"] ?? "true") === "true",
    });
    const base = new URL(c.req.url);
    return c.json({ instance_id: consumer.name, base_uri: `${base.origin}/consumers/${consumer.group}/instances/${consumer.name}` }, 200, { "content-type": V2 });
  });

  app.delete("/consumers/:group/instances/:instance", doc({ tags: ["REST Proxy v2"], summary: "delete a consumer instance (it leaves its group)", responses: Done }), (c) => {
    consumers.delete(c.req.param("group"), c.req.param("instance"));
    return c.body(null, 204);
  });

  app.post("/consumers/:group/instances/:instance/subscription", doc({ tags: ["REST Proxy v2"], summary: "subscribe to topics or a topic_pattern", body: api.V2Subscription, bodyMedia: [V2, "application/json"], responses: Done }), async (c) => {
    const body = checked(api.V2Subscription, await bodyJson(c, deps), 422, 42204);
    let topics: string[];
    if (Array.isArray(body?.topics) && body.topics.every((t) => typeof t === "string")) topics = body.topics as string[];
    else if (typeof body?.topic_pattern === "string") {
      let pattern: RE2JS;
      try {
        // Linear time: a client's pattern must not be able to stall the broker.
        pattern = RE2JS.compile(`^(?:${RE2JS.translateRegExp(body.topic_pattern)})$`);
      } catch (err) {
        throw new HttpError(422, 42204, `topic_pattern is not a valid regular expression: ${(err as Error).message}`);
      }
      // A pattern takes in only the topics the principal may read.
      topics = deps.logs.listTopics().map((t) => t.name).filter((t) => pattern.test(t) && deps.access.may(c, Operation.READ, ResourceType.TOPIC, t));
    } else throw new HttpError(422, 42204, "body must be { \"topics\": [...] } or { \"topic_pattern\": \"...\" }");
    for (const t of topics) deps.access.require(c, Operation.READ, ResourceType.TOPIC, t);
    // Unknown topics are created by the subscription when auto-creation is on, as for a Kafka consumer.
    if (!deps.autoCreate) for (const t of topics) if (!deps.logs.hasTopic(t)) throw new HttpError(404, 40401, `topic '${t}' not found`);
    await instance(c).subscribe(topics, httpActor(c));
    return c.body(null, 204);
  });
  app.get("/consumers/:group/instances/:instance/subscription", doc({ tags: ["REST Proxy v2"], summary: "the current subscription", responses: { 200: api.V2SubscriptionAnswer } }), (c) => c.json({ topics: instance(c).topics }, 200, { "content-type": V2 }));
  app.delete("/consumers/:group/instances/:instance/subscription", doc({ tags: ["REST Proxy v2"], summary: "unsubscribe", responses: Done }), async (c) => {
    await instance(c).subscribe([], httpActor(c));
    return c.body(null, 204);
  });

  app.post("/consumers/:group/instances/:instance/assignments", doc({ tags: ["REST Proxy v2"], summary: "assign partitions manually", body: api.V2Partitions, bodyMedia: [V2, "application/json"], responses: Done }), async (c) => {
    const partitions = checked(api.V2Partitions, await bodyJson(c, deps), 422, 42204).partitions;
    for (const p of partitions) deps.access.require(c, Operation.READ, ResourceType.TOPIC, p.topic);
    await instance(c).assign(partitions);
    return c.body(null, 204);
  });
  app.get("/consumers/:group/instances/:instance/assignments", doc({ tags: ["REST Proxy v2"], summary: "assigned partitions", responses: { 200: api.V2Partitions } }), (c) => c.json({ partitions: instance(c).assignedPartitions() }, 200, { "content-type": V2 }));

  app.post("/consumers/:group/instances/:instance/positions", doc({ tags: ["REST Proxy v2"], summary: "seek to offsets", body: api.V2Offsets, bodyMedia: [V2, "application/json"], responses: Done }), async (c) => {
    for (const o of checked(api.V2Offsets, await bodyJson(c, deps), 422, 42204).offsets) {
      await instance(c).seek(o.topic, o.partition, o.offset);
    }
    return c.body(null, 204);
  });
  for (const where of ["beginning", "end"] as const) {
    app.post(`/consumers/:group/instances/:instance/positions/${where}`, doc({ tags: ["REST Proxy v2"], summary: `seek to the ${where}`, body: api.V2Partitions, bodyMedia: [V2, "application/json"], responses: Done }), async (c) => {
      for (const p of checked(api.V2Partitions, await bodyJson(c, deps), 422, 42204).partitions) await instance(c).seek(p.topic, p.partition, where);
      return c.body(null, 204);
    });
  }

  app.post("/consumers/:group/instances/:instance/offsets", doc({
    tags: ["REST Proxy v2"], summary: "commit offsets (no body: everything fetched so far)", body: api.V2Offsets, bodyRequired: false, bodyMedia: [V2, "application/json"],
    responses: { 200: { description: "committed" } },
  }), async (c) => {
    const body = await optionalBodyJson(c, deps);
    const offsets = body === undefined ? undefined : checked(api.V2Offsets, body, 422, 42204).offsets;
    await instance(c).commit(offsets);
    return c.body(null, 200);
  });
  app.get("/consumers/:group/instances/:instance/offsets", doc({
    tags: ["REST Proxy v2"], summary: "committed offsets of the given partitions (a body, as Confluent's) or of the assigned ones", body: api.V2Partitions, bodyRequired: false,
    responses: { 200: api.V2TopicOffsets },
  }), async (c) => {
    const body = await optionalBodyJson(c, deps);
    const partitions = body !== undefined ? checked(api.V2Partitions, body, 422, 42204).partitions : instance(c).assignedPartitions();
    return c.json({ offsets: await instance(c).committed(partitions) }, 200, { "content-type": V2 });
  });

  app.get("/consumers/:group/instances/:instance/records", doc({
    tags: ["REST Proxy v2"], summary: "fetch records, waiting up to ?timeout= ms (at most 60000) for some", query: api.V2RecordsQuery,
    responses: { 200: { description: "records in the consumer's format", media: ["application/vnd.kafka.json.v2+json", "application/vnd.kafka.binary.v2+json", "application/vnd.kafka.jsonschema.v2+json", "application/vnd.kafka.avro.v2+json"], schema: api.V2RecordsAnswer } },
  }), async (c) => {
    const query = queryOf(c, api.V2RecordsQuery, 40003);
    const timeout = Math.min(query.timeout ?? 1000, 60_000);
    const maxBytes = query.max_bytes ?? 1024 * 1024;
    const format = instance(c).settings.format;
    const accept = c.req.header("accept");
    // Confluent answers 406 when the Accept names another embedded format than the consumer's.
    const named = [...(accept ?? "").matchAll(/application\/vnd\.kafka\.(\w+)\.v2\+json/g)].map((m) => m[1]);
    if (named.length > 0 && !named.includes(format)) {
      throw new HttpError(406, 40601, `consumer format ${format} does not match the requested ${named.join(", ")} (Accept: ${accept})`);
    }
    if (timeout > 0) keepOpen(c.env, c.req.raw);
    const { records, bytes } = await instance(c).poll(timeout, maxBytes);
    if (records.length > 0) deps.metrics.served(records[0]!.topic, "http", bytes, records.length);
    return c.json(records, 200, { "content-type": `application/vnd.kafka.${instance(c).settings.format}.v2+json` });
  });
}
