import type { Handler, KafkaContext } from "../kafka-context.js";
import type { Message } from "../../../protocol/message-codec.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import type { Group } from "../../groups/group-coordinator.js";
import { errorCodeOf } from "./errors.js";

const TRANSACTION_KEY_TYPE = 1;

export const findCoordinator: Handler = (ctx, request, info) => {
  const keyType = request.keyType as number;
  // Transactions are not implemented yet: a non-retriable answer makes a
  // transactional producer fail at once instead of retrying for a coordinator.
  const error = keyType === TRANSACTION_KEY_TYPE ? E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : 0;
  const message = error ? "transactions are not supported by this broker yet" : null;
  const coordinator = { nodeId: error ? -1 : ctx.nodeId, host: error ? "" : ctx.advertisedHost, port: error ? -1 : ctx.advertisedPort };
  if (info.header.apiVersion >= 4) {
    return {
      throttleTimeMs: 0,
      coordinators: (request.coordinatorKeys as string[]).map((key) => ({ key, ...coordinator, errorCode: error, errorMessage: message })),
    };
  }
  return { throttleTimeMs: 0, errorCode: error, errorMessage: message, ...coordinator };
};

function invalidGroupId(groupId: unknown): boolean {
  return typeof groupId !== "string" || groupId.length === 0;
}

export const joinGroup: Handler = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  const nameIfNeeded = (name: string | null) => (version < 7 ? name ?? "" : name);
  if (invalidGroupId(request.groupId)) {
    return { throttleTimeMs: 0, errorCode: E.INVALID_GROUP_ID, generationId: -1, protocolType: null, protocolName: nameIfNeeded(null), leader: "", skipAssignment: false, memberId: request.memberId, members: [] };
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
    protocols: (request.protocols as Message[]).map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    canRetryWithMemberId: version >= 4,
  });
  return { throttleTimeMs: 0, ...result, protocolName: nameIfNeeded(result.protocolName), skipAssignment: false };
};

export const syncGroup: Handler = async (ctx, request, info) => {
  const group = ctx.groups.existing(request.groupId);
  const base = { throttleTimeMs: 0, protocolType: request.protocolType ?? null, protocolName: request.protocolName ?? null };
  if (!group) return { ...base, errorCode: E.UNKNOWN_MEMBER_ID, assignment: Buffer.alloc(0) };
  const result = await group.sync(request.memberId, request.generationId, info.header.apiVersion >= 3 ? request.groupInstanceId : null,
    (request.assignments as Message[]).map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })));
  return { ...base, protocolType: group.protocolType, protocolName: group.protocolName, errorCode: result.errorCode, assignment: result.assignment };
};

export const heartbeat: Handler = (ctx, request, info) => {
  const group = ctx.groups.existing(request.groupId);
  const errorCode = group ? group.heartbeat(request.memberId, request.generationId, info.header.apiVersion >= 3 ? request.groupInstanceId : null) : E.UNKNOWN_MEMBER_ID;
  return { throttleTimeMs: 0, errorCode };
};

export const leaveGroup: Handler = (ctx, request, info) => {
  const group = ctx.groups.existing(request.groupId);
  if (info.header.apiVersion < 3) {
    return { throttleTimeMs: 0, errorCode: group ? group.leave(request.memberId, null) : E.UNKNOWN_MEMBER_ID, members: [] };
  }
  const members = (request.members as Message[]).map((m) => ({
    memberId: m.memberId, groupInstanceId: m.groupInstanceId,
    errorCode: group ? group.leave(m.memberId, m.groupInstanceId) : E.UNKNOWN_MEMBER_ID,
  }));
  return { throttleTimeMs: 0, errorCode: 0, members };
};

/** Every group the broker knows: with members in memory, or with committed offsets only. */
async function knownGroups(ctx: KafkaContext): Promise<{ groupId: string; group?: Group }[]> {
  const out = new Map<string, Group | undefined>();
  for (const g of ctx.groups.list()) out.set(g.groupId, g);
  for (const id of await ctx.logs.offsets.groups()) if (!out.has(id)) out.set(id, undefined);
  return [...out.entries()].map(([groupId, group]) => ({ groupId, group }));
}

export const listGroups: Handler = async (ctx, request) => {
  const states = ((request.statesFilter ?? []) as string[]).map((s) => s.toLowerCase());
  const types = ((request.typesFilter ?? []) as string[]).map((s) => s.toLowerCase());
  const groups = (await knownGroups(ctx))
    .map(({ groupId, group }) => ({ groupId, protocolType: group?.protocolType ?? "consumer", groupState: group?.state ?? "Empty", groupType: "classic" }))
    .filter((g) => (states.length === 0 || states.includes(g.groupState.toLowerCase())) && (types.length === 0 || types.includes("classic")));
  return { throttleTimeMs: 0, errorCode: 0, groups };
};

export const describeGroups: Handler = async (ctx, request) => ({
  throttleTimeMs: 0,
  groups: await Promise.all((request.groups as string[]).map(async (groupId) => {
    const group = ctx.groups.existing(groupId);
    const hasOffsets = (await ctx.logs.offsets.list(groupId)).length > 0;
    return {
      errorCode: invalidGroupId(groupId) ? E.INVALID_GROUP_ID : 0,
      groupId,
      groupState: group?.state ?? (hasOffsets ? "Empty" : "Dead"),
      protocolType: group?.protocolType ?? "",
      protocolData: group?.protocolName ?? "",
      members: group ? [...group.members.values()].map((m) => ({
        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
        memberMetadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? Buffer.alloc(0),
        memberAssignment: m.assignment,
      })) : [],
      authorizedOperations: -2147483648,
    };
  })),
});

export const deleteGroups: Handler = async (ctx, request) => {
  const results = [];
  for (const groupId of request.groupsNames as string[]) {
    const group = ctx.groups.existing(groupId);
    const hasOffsets = (await ctx.logs.offsets.list(groupId)).length > 0;
    try {
      if (group && group.members.size > 0) results.push({ groupId, errorCode: E.NON_EMPTY_GROUP });
      else if (!group && !hasOffsets) results.push({ groupId, errorCode: E.GROUP_ID_NOT_FOUND });
      else {
        await ctx.logs.offsets.delete(groupId);
        ctx.groups.delete(groupId);
        results.push({ groupId, errorCode: 0 });
      }
    } catch (err) {
      results.push({ groupId, errorCode: errorCodeOf(err, `delete group ${groupId}`) });
    }
  }
  return { throttleTimeMs: 0, results };
};
