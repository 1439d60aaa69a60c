// DeleteGroups, versions 0-2: a group with members is NON_EMPTY_GROUP; its
// committed offsets go with it.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { errorCodeOf } from "./errors.js";
import { hasOffsets } from "./group-ids.js";
import { Operation, mayGroup } from "./authorize.js";

export const deleteGroups: Handler<"DeleteGroups"> = async (ctx, request, info) => {
  const results = [];
  for (const groupId of request.groupsNames) {
    const group = ctx.groups.existing(groupId);
    try {
      if (!mayGroup(ctx, info, Operation.DELETE, groupId)) results.push({ groupId, errorCode: E.GROUP_AUTHORIZATION_FAILED });
      else if (group && group.members.size > 0) results.push({ groupId, errorCode: E.NON_EMPTY_GROUP });
      else if (!group && !await hasOffsets(ctx, groupId)) results.push({ groupId, errorCode: E.GROUP_ID_NOT_FOUND });
      else {
        await ctx.logs.offsets.delete(groupId);
        ctx.groups.delete(groupId);
        logAdminChange(kafkaActor(info), "group.delete", `deleted group ${groupId}`, { group: groupId });
        results.push({ groupId, errorCode: 0 });
      }
    } catch (err) {
      results.push({ groupId, errorCode: errorCodeOf(err, `delete group ${groupId}`) });
    }
  }
  return { throttleTimeMs: 0, results };
};
