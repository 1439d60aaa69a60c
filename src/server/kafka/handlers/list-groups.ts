// ListGroups, versions 0-5: groups with members, and groups with only
// committed offsets (state Empty). Every group is of the classic type.

import type { Handler } from "../kafka-context.js";
import { knownGroups } from "./group-ids.js";
import { Operation, mayCluster, mayGroup } from "./authorize.js";

export const listGroups: Handler<"ListGroups"> = async (ctx, request, info) => {
  const everyGroup = mayCluster(ctx, info, Operation.DESCRIBE);
  const states = request.statesFilter.map((s) => s.toLowerCase());
  const types = request.typesFilter.map((s) => s.toLowerCase());
  const groups = (await knownGroups(ctx))
    .map(({ groupId, group }) => ({ groupId, protocolType: group?.protocolType ?? "consumer", groupState: group?.state ?? "Empty", groupType: "classic" }))
    .filter((g) => everyGroup || mayGroup(ctx, info, Operation.DESCRIBE, g.groupId))
    .filter((g) => (states.length === 0 || states.includes(g.groupState.toLowerCase())) && (types.length === 0 || types.includes("classic")));
  return { throttleTimeMs: 0, errorCode: 0, groups };
};
