// JoinGroup, versions 0-9: the classic group protocol (KIP-394 member ids
// from v4, static members from v5). Before v7 the protocol name is not
// nullable and an absent one is sent as "".

import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import { invalidGroupId } from "./group-ids.js";
import { Operation, mayGroup } from "./authorize.js";

export const joinGroup: Handler<"JoinGroup"> = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  const nameIfNeeded = (name: string | null) => (version < 7 ? name ?? "" : name);
  const refused = invalidGroupId(request.groupId) ? E.INVALID_GROUP_ID : !mayGroup(ctx, info, Operation.READ, request.groupId) ? E.GROUP_AUTHORIZATION_FAILED : 0;
  if (refused) {
    return { throttleTimeMs: 0, errorCode: refused, generationId: -1, protocolType: null, protocolName: nameIfNeeded(null), leader: "", skipAssignment: false, memberId: request.memberId, members: [] };
  }
  const result = await ctx.groups.group(request.groupId).join({
    groupId: request.groupId,
    memberId: request.memberId,
    groupInstanceId: version >= 5 ? request.groupInstanceId : null,
    clientId: info.header.clientId ?? "",
    clientHost: info.client,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
    protocolType: request.protocolType,
    protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    canRetryWithMemberId: version >= 4,
  });
  return { throttleTimeMs: 0, ...result, protocolName: nameIfNeeded(result.protocolName), skipAssignment: false };
};
