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

function object(body: unknown, shape: string): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError(422, 42201, `body must be ${shape}`);
  return body as Record<string, unknown>;
}

function resetTarget(body: Record<string, unknown>): ResetTarget {
  const number = (key: string) => {
    const n = body[key];
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
function refuseIfActive(deps: HttpDeps, group: string, what: string): void {
  const members = deps.groups.existing(group)?.members.size ?? 0;
  if (members > 0) throw new HttpError(409, 40902, `group '${group}' has ${members} member${members > 1 ? "s" : ""}: ${what} only while it is empty`);
}

export function registerAdminRoutes(app: Hono, deps: HttpDeps): void {
  app.patch("/topics/:topic/configs", async (c) => {
    const topic = c.req.param("topic");
    const body = object(await bodyJson(c, deps), '{ "set"?: { name: value }, "remove"?: [name] }');
    const set = body.set === undefined ? {} : object(body.set, '{ "set": { name: value } }');
    const remove = body.remove ?? [];
    if (!Array.isArray(remove) || remove.some((k) => typeof k !== "string")) throw new HttpError(422, 42201, "'remove' must be an array of config names");
    const changes = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, String(v)]));
    await deps.logs.alterTopicConfig(topic, { set: changes, remove: remove as string[] });
    logAdminChange(httpActor(c), "topic.alter_configs", `changed the configs of topic ${topic}`, { topic, configs: { ...changes, ...Object.fromEntries((remove as string[]).map((k) => [k, null])) } });
    return c.json(deps.logs.effectiveConfig(topic).map((s) => ({ name: s.name, value: s.value, source: s.source })));
  });

  app.post("/topics/:topic/partitions", async (c) => {
    const topic = c.req.param("topic");
    const body = object(await bodyJson(c, deps), '{ "count": total partitions }');
    if (typeof body.count !== "number") throw new HttpError(422, 42201, "'count' must be the topic's new total of partitions");
    const before = deps.logs.partitionCount(topic);
    const info = await deps.logs.createPartitions(topic, body.count);
    logAdminChange(httpActor(c), "topic.add_partitions", `topic ${topic} grew from ${before} to ${info.partitions} partitions`, { topic, partitions: info.partitions, before });
    return c.json({ topic: info.name, partitions: info.partitions });
  });

  app.delete("/groups/:group", async (c) => {
    const group = c.req.param("group");
    refuseIfActive(deps, group, "it can be deleted");
    if (!deps.groups.existing(group) && (await deps.logs.offsets.list(group)).length === 0) throw new HttpError(404, 40404, `consumer group '${group}' not found`);
    await deps.logs.offsets.delete(group);
    deps.groups.delete(group);
    logAdminChange(httpActor(c), "group.delete", `deleted group ${group}`, { group });
    return c.body(null, 204);
  });

  app.post("/groups/:group/reset-offsets", async (c) => {
    const group = c.req.param("group");
    const body = object(await bodyJson(c, deps), '{ "topic": name, "to": earliest|latest|offset|datetime|shift, "offset"?, "datetime"?, "by"?, "execute"?: boolean }');
    if (typeof body.topic !== "string") throw new HttpError(422, 42201, "'topic' must be the topic whose offsets move");
    const target = resetTarget(body);
    const execute = body.execute === true;
    refuseIfActive(deps, group, "offsets can be reset");
    if (!deps.logs.hasTopic(body.topic)) throw new HttpError(404, 40401, `topic '${body.topic}' not found`);
    const changes = await resetOffsets(deps.logs, group, body.topic, target, execute);
    if (execute) {
      logAdminChange(httpActor(c), "group.reset_offsets", `reset the offsets of group ${group} on ${body.topic}`,
        { group, topic: body.topic, partitions: changes.map((p) => ({ partition: p.partition, from: p.current, to: p.next })) });
    }
    return c.json({ group, executed: execute, partitions: changes });
  });
}
