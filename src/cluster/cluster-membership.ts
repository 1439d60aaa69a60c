// Membership of REST consumers in a Kafka cluster's own consumer groups
// (server/groups/group-membership.ts): JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup and OffsetCommit sent to the group's coordinator in the cluster.
// Each member's requests take a connection lane of their own: a JoinGroup
// parks until the rebalance completes, and a broker answers a connection's
// requests in order.

import type { OffsetCommit } from "../log/store.js";
import type { KafkaClusterStore } from "./kafka-cluster-store.js";
import type { JoinGroupResponse } from "../protocol/generated/message-types.js";

interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
}

/** What a JoinGroup answers, as the coordinator of this broker answers it too. */
type JoinResult = Omit<JoinGroupResponse, "throttleTimeMs">;

export class ClusterMembership {
  /** Kafka's default group.min.session.timeout.ms. */
  readonly sessionTimeoutMinMs = 6000;

  constructor(private readonly cluster: KafkaClusterStore) {}

  private lane(groupId: string, memberId: string): string {
    return `group:${groupId}:${memberId || "joining"}`;
  }

  async join(request: JoinRequest): Promise<JoinResult> {
    const node = await this.cluster.groupCoordinator(request.groupId);
    return await this.cluster.request("JoinGroup", {
      groupId: request.groupId, sessionTimeoutMs: request.sessionTimeoutMs, rebalanceTimeoutMs: request.rebalanceTimeoutMs, memberId: request.memberId,
      groupInstanceId: null, protocolType: request.protocolType, protocols: request.protocols,
    }, node, request.rebalanceTimeoutMs, this.lane(request.groupId, request.memberId)) as unknown as JoinResult;
  }

  async sync(groupId: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[]): Promise<{ errorCode: number; assignment: Buffer }> {
    const node = await this.cluster.groupCoordinator(groupId);
    return await this.cluster.request("SyncGroup", {
      groupId, generationId, memberId, groupInstanceId: null, protocolType: "consumer", protocolName: "range", assignments,
    }, node, 60_000, this.lane(groupId, memberId)) as { errorCode: number; assignment: Buffer };
  }

  async heartbeat(groupId: string, memberId: string, generationId: number): Promise<number> {
    const node = await this.cluster.groupCoordinator(groupId);
    const answer = await this.cluster.request("Heartbeat", { groupId, generationId, memberId, groupInstanceId: null }, node, 0, this.lane(groupId, memberId)) as { errorCode: number };
    return answer.errorCode;
  }

  async leave(groupId: string, memberId: string): Promise<void> {
    const node = await this.cluster.groupCoordinator(groupId);
    // On the shared lane, after closing the member's own (a JoinGroup of it may be parked there).
    this.cluster.closeLane(this.lane(groupId, memberId));
    await this.cluster.request("LeaveGroup", { groupId, members: [{ memberId, groupInstanceId: null }] }, node).catch(() => undefined);
  }

  async commit(groupId: string, memberId: string, generationId: number, commits: OffsetCommit[]): Promise<number> {
    return this.cluster.offsetsOf(groupId, memberId, generationId, commits);
  }
}

/** The cluster's consumer groups as the HTTP API shows them (server/groups/group-view.ts). */
export class ClusterGroupView {
  constructor(private readonly cluster: KafkaClusterStore) {}

  async names(): Promise<string[]> {
    return this.cluster.offsets.groups();
  }

  async describe(group: string): Promise<{ state: string; generation: number; protocolName: string | null; members: { memberId: string; clientId: string; clientHost: string; groupInstanceId: string | null; assignment: Buffer }[] } | undefined> {
    const node = await this.cluster.groupCoordinator(group);
    const answer = await this.cluster.request("DescribeGroups", { groups: [group], includeAuthorizedOperations: false }, node) as
      { groups: { errorCode: number; groupState: string; protocolData: string; members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberAssignment: Buffer }[] }[] };
    const g = answer.groups[0];
    if (!g || g.errorCode !== 0 || g.groupState === "Dead") return undefined;
    return {
      state: g.groupState, generation: -1, protocolName: g.protocolData || null,
      members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, groupInstanceId: m.groupInstanceId, assignment: m.memberAssignment })),
    };
  }
}
