// Consumer groups over HTTP: state and members (from the coordinator shared with
// Kafka clients) with committed offsets and lag per partition.

import type { Hono } from "hono";
import { groupLag } from "../group-lag.js";
import type { HttpDeps } from "./http-deps.js";
import { HttpError } from "./http-error.js";
import { doc } from "./api-doc.js";
import * as api from "./api-schemas.js";
import { Operation, ResourceType } from "./http-access-checks.js";

export function registerGroupRoutes(app: Hono, deps: HttpDeps): void {
  app.get("/groups", doc({ tags: ["groups"], summary: "consumer groups with state, members and total lag", responses: { 200: api.GroupSummary } }), async (c) => {
    const names = new Set([...await deps.groupView.names(), ...await deps.logs.offsets.groups()]);
    return c.json(await Promise.all([...names].filter((g) => deps.access.may(c, Operation.DESCRIBE, ResourceType.GROUP, g)).sort().map(async (group) => {
      const snapshot = await deps.groupView.describe(group);
      return {
        group,
        state: snapshot?.state ?? "Empty",
        members: snapshot?.members.length ?? 0,
        lag: (await groupLag(deps.logs, group)).reduce((sum, l) => sum + Math.max(0, l.lag), 0),
      };
    })));
  });
  app.get("/groups/:group", doc({ tags: ["groups"], summary: "a group's members, committed offsets and lag per partition", responses: { 200: api.GroupDescription } }), async (c) => {
    const name = c.req.param("group");
    const group = await deps.groupView.describe(name);
    const partitions = await groupLag(deps.logs, name);
    if (!group && partitions.length === 0) throw new HttpError(404, 40404, `consumer group '${name}' not found`);
    return c.json({
      group: name,
      state: group?.state ?? "Empty",
      generation: group?.generation ?? 0,
      protocol: group?.protocolName ?? null,
      members: (group?.members ?? []).map((m) => ({ member_id: m.memberId, client_id: m.clientId, host: m.clientHost, group_instance_id: m.groupInstanceId })),
      partitions,
    });
  });
}
