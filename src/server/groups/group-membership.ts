// What a consumer that is not a Kafka connection (a REST Proxy consumer
// instance) needs to be a member of a consumer group: join, sync, heartbeat,
// leave, and commit as a member of a generation. In embedded mode it is this
// broker's coordinator; in cluster mode the cluster's (cluster/cluster-membership.ts),
// so REST consumers share groups with the cluster's Kafka consumers.

import type { LogStore, OffsetCommit } from "../../log/store.js";
import type { GroupCoordinator, JoinRequest, JoinResult } from "./group-coordinator.js";

export interface GroupMembership {
  /** The shortest session timeout the coordinator takes. */
  readonly sessionTimeoutMinMs: number;
  join(request: JoinRequest): Promise<JoinResult>;
  sync(groupId: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[]): Promise<{ errorCode: number; assignment: Buffer }>;
  /** The coordinator's answer: 0, or REBALANCE_IN_PROGRESS, UNKNOWN_MEMBER_ID, ... */
  heartbeat(groupId: string, memberId: string, generationId: number): Promise<number>;
  leave(groupId: string, memberId: string): Promise<void>;
  /** Commits as `memberId` of `generationId` (-1 and "": a consumer outside the group's protocol); the group's refusal is its error code. */
  commit(groupId: string, memberId: string, generationId: number, commits: OffsetCommit[]): Promise<number>;
}

/** Membership in this broker's own coordinator, committing to its store. */
export function localMembership(coordinator: GroupCoordinator, store: LogStore): GroupMembership {
  return {
    sessionTimeoutMinMs: coordinator.options.sessionTimeoutMinMs,
    join: (request) => coordinator.group(request.groupId).join(request),
    sync: (groupId, memberId, generationId, assignments) => coordinator.group(groupId).sync(memberId, generationId, null, assignments),
    heartbeat: async (groupId, memberId, generationId) => coordinator.existing(groupId)?.heartbeat(memberId, generationId, null) ?? 25, // UNKNOWN_MEMBER_ID
    leave: async (groupId, memberId) => void coordinator.existing(groupId)?.leave(memberId, null),
    commit: async (groupId, memberId, generationId, commits) => {
      if (generationId >= 0) {
        const code = coordinator.group(groupId).validateCommit(memberId, generationId, null);
        if (code !== 0) return code;
      }
      await store.offsets.commit(groupId, commits);
      return 0;
    },
  };
}
