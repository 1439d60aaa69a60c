// Admin over HTTP, with the rules of the CLI and Kafka's tools: change a
// topic's configs, add partitions, delete a group, reset a group's offsets
// (a dry run unless asked to execute; refused while the group has members).

import type { Hono } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { HttpError } from "./http-error.js";
import { bodyJson } from "./request-body.js";
import { resetOffsets, type ResetTarget } from "../offset-reset.js";
import { logAdminChange } from "../../ops/ops-log.js";
import { httpActor } from "./actor.js";
import { checked, doc, Done } from "./api-doc.js";
import * as api from "./api-schemas.js";
import type * as v from "valibot";

function resetTarget(body: v.InferOutput<typeof api.ResetOffsets>): ResetTarget {
  const number = (key: string) => {
    const n = body[key as "offset" | "by"];
    if (typeof n !== "number" || !Number.isInteger(n)) throw new HttpError(422, 42201, `'${key}' must be an integer with "to": "${String(body.to)}"`);
    return n;
  };
  switch (body.to) {
    case "earliest":
    case "latest":
      return { to: body.to };
    case "offset":
      return { to: "offset", offset: number("offset") };
    case "shift":
      return { to: "shift", by: number("by") };
    case "datetime": {
      const timestamp = typeof body.datetime === "string" ? Date.parse(body.datetime) : NaN;
      if (Number.isNaN(timestamp)) throw new HttpError(422, 42201, "'datetime' must be an ISO date and time with \"to\": \"datetime\"");
      return { to: "datetime", timestamp };
    }
    default:
      throw new HttpError(422, 42201, "'to' must be one of earliest, latest, offset (with \"offset\"), datetime (with \"datetime\"), shift (with \"by\")");
  }
}

/** 409 while the group has members: its offsets are its consumers' to move. */
async function refuseIfActive(deps: HttpDeps, group: string, what: string): Promise<void> {
  const members = (await deps.groupView.describe(group))?.members.length ?? 0;
  if (members > 0) throw new HttpError(409, 40902, `group '${group}' has ${members} member${members > 1 ? "s" : ""}: ${what} only while it is empty`);
}

export function registerAdminRoutes(app: Hono, deps: HttpDeps): void {
  app.patch("/topics/:topic/configs", doc({
    tags: ["topics"], summary: "change a topic's configs; answers every config with its source", body: api.TopicConfigPatch, responses: { 200: api.ConfigList },
  }), async (c) => {
    const topic = c.req.param("topic");
    const body = checked(api.TopicConfigPatch, await bodyJson(c, deps));
    const remove = body.remove ?? [];
    const changes = Object.fromEntries(Object.entries(body.set ?? {}).map(([k, value]) => [k, String(value)]));
    await deps.logs.alterTopicConfig(topic, { set: changes, remove });
    logAdminChange(httpActor(c), "topic.alter_configs", `changed the configs of topic ${topic}`, { topic, configs: { ...changes, ...Object.fromEntries(remove.map((k) => [k, null])) } });
    return c.json(deps.logs.effectiveConfig(topic).map((s) => ({ name: s.name, value: s.value, source: s.source })));
  });

  app.post("/topics/:topic/partitions", doc({ tags: ["topics"], summary: "add partitions", body: api.PartitionsAdd, responses: { 200: api.PartitionsAdded } }), async (c) => {
    const topic = c.req.param("topic");
    const body = checked(api.PartitionsAdd, await bodyJson(c, deps));
    const before = deps.logs.partitionCount(topic);
    const info = await deps.logs.createPartitions(topic, body.count);
    logAdminChange(httpActor(c), "topic.add_partitions", `topic ${topic} grew from ${before} to ${info.partitions} partitions`, { topic, partitions: info.partitions, before });
    return c.json({ topic: info.name, partitions: info.partitions });
  });

  app.delete("/groups/:group", doc({ tags: ["groups"], summary: "delete a group and its committed offsets (409 while it has members)", responses: Done }), async (c) => {
    const group = c.req.param("group");
    await refuseIfActive(deps, group, "it can be deleted");
    if (!(await deps.groupView.describe(group)) && (await deps.logs.offsets.list(group)).length === 0) throw new HttpError(404, 40404, `consumer group '${group}' not found`);
    await deps.logs.offsets.delete(group);
    deps.groups.delete(group);
    logAdminChange(httpActor(c), "group.delete", `deleted group ${group}`, { group });
    return c.body(null, 204);
  });

  app.post("/groups/:group/reset-offsets", doc({
    tags: ["groups"], summary: "move a group's offsets of a topic; a dry run unless execute (409 while it has members)", body: api.ResetOffsets, responses: { 200: api.ResetAnswer },
  }), async (c) => {
    const group = c.req.param("group");
    const body = checked(api.ResetOffsets, await bodyJson(c, deps));
    const target = resetTarget(body);
    const execute = body.execute === true;
    await refuseIfActive(deps, group, "offsets can be reset");
    if (!deps.logs.hasTopic(body.topic)) throw new HttpError(404, 40401, `topic '${body.topic}' not found`);
    const changes = await resetOffsets(deps.logs, group, body.topic, target, execute);
    if (execute) {
      logAdminChange(httpActor(c), "group.reset_offsets", `reset the offsets of group ${group} on ${body.topic}`,
        { group, topic: body.topic, partitions: changes.map((p) => ({ partition: p.partition, from: p.current, to: p.next })) });
    }
    return c.json({ group, executed: execute, partitions: changes });
  });
}
