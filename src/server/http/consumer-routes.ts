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

const V2 = "application/vnd.kafka.v2+json";

function partitionsOf(body: unknown, field = "partitions"): { topic: string; partition: number }[] {
  const list = (body as Record<string, unknown> | null)?.[field];
  if (!Array.isArray(list)) throw new HttpError(422, 42204, `body must have "${field}": [{ "topic", "partition" }]`);
  return list.map((p, i) => {
    const { topic, partition } = (p ?? {}) as { topic?: unknown; partition?: unknown };
    if (typeof topic !== "string" || !Number.isInteger(partition)) throw new HttpError(422, 42204, `${field}[${i}] needs a string topic and an integer partition`);
    return { topic, partition: partition as number };
  });
}

export function registerConsumerRoutes(app: Hono, deps: HttpDeps): void {
  const consumers = deps.consumers;
  const instance = (c: Context) => consumers.get(c.req.param("group")!, c.req.param("instance")!);

  app.post("/consumers/:group", async (c) => {
    const body = ((await optionalBodyJson(c, deps)) ?? {}) as Record<string, unknown>;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(422, 42204, "body must be a JSON object of consumer settings");
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

  app.delete("/consumers/:group/instances/:instance", (c) => {
    consumers.delete(c.req.param("group"), c.req.param("instance"));
    return c.body(null, 204);
  });

  app.post("/consumers/:group/instances/:instance/subscription", async (c) => {
    const body = (await bodyJson(c, deps)) as { topics?: unknown; topic_pattern?: unknown };
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
      topics = deps.logs.listTopics().map((t) => t.name).filter((t) => pattern.test(t));
    } else throw new HttpError(422, 42204, "body must be { \"topics\": [...] } or { \"topic_pattern\": \"...\" }");
    // Unknown topics are created by the subscription when auto-creation is on, as for a Kafka consumer.
    if (!deps.autoCreate) for (const t of topics) if (!deps.logs.hasTopic(t)) throw new HttpError(404, 40401, `topic '${t}' not found`);
    await instance(c).subscribe(topics, httpActor(c));
    return c.body(null, 204);
  });
  app.get("/consumers/:group/instances/:instance/subscription", (c) => c.json({ topics: instance(c).topics }, 200, { "content-type": V2 }));
  app.delete("/consumers/:group/instances/:instance/subscription", async (c) => {
    await instance(c).subscribe([], httpActor(c));
    return c.body(null, 204);
  });

  app.post("/consumers/:group/instances/:instance/assignments", async (c) => {
    await instance(c).assign(partitionsOf(await bodyJson(c, deps)));
    return c.body(null, 204);
  });
  app.get("/consumers/:group/instances/:instance/assignments", (c) => c.json({ partitions: instance(c).assignedPartitions() }, 200, { "content-type": V2 }));

  app.post("/consumers/:group/instances/:instance/positions", async (c) => {
    const body = (await bodyJson(c, deps)) as { offsets?: unknown };
    if (!Array.isArray(body?.offsets)) throw new HttpError(422, 42204, "body must be { \"offsets\": [{ \"topic\", \"partition\", \"offset\" }] }");
    for (const o of body.offsets as { topic: string; partition: number; offset: number }[]) {
      if (!Number.isInteger(o?.offset) || o.offset < 0) throw new HttpError(422, 42204, "each offset must be a non-negative integer");
      await instance(c).seek(o.topic, o.partition, o.offset);
    }
    return c.body(null, 204);
  });
  for (const where of ["beginning", "end"] as const) {
    app.post(`/consumers/:group/instances/:instance/positions/${where}`, async (c) => {
      for (const p of partitionsOf(await bodyJson(c, deps))) await instance(c).seek(p.topic, p.partition, where);
      return c.body(null, 204);
    });
  }

  app.post("/consumers/:group/instances/:instance/offsets", async (c) => {
    const body = await optionalBodyJson(c, deps) as { offsets?: unknown } | undefined;
    let offsets: { topic: string; partition: number; offset: number }[] | undefined;
    if (body !== undefined) {
      if (!Array.isArray(body?.offsets)) throw new HttpError(422, 42204, "body must be { \"offsets\": [...] } or empty (commit everything fetched)");
      offsets = body.offsets as { topic: string; partition: number; offset: number }[];
    }
    await instance(c).commit(offsets);
    return c.body(null, 200);
  });
  app.get("/consumers/:group/instances/:instance/offsets", async (c) => {
    const body = await optionalBodyJson(c, deps);
    const partitions = body !== undefined ? partitionsOf(body) : instance(c).assignedPartitions();
    return c.json({ offsets: await instance(c).committed(partitions) }, 200, { "content-type": V2 });
  });

  app.get("/consumers/:group/instances/:instance/records", async (c) => {
    const timeout = Math.min(Number(c.req.query("timeout") ?? 1000), 60_000);
    const maxBytes = Number(c.req.query("max_bytes") ?? 1024 * 1024);
    if (!Number.isFinite(timeout) || timeout < 0 || !Number.isFinite(maxBytes) || maxBytes < 1) throw new HttpError(400, 40003, "timeout and max_bytes must be non-negative numbers");
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
