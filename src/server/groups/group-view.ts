// What the HTTP API shows of consumer groups (state, members, who holds which
// partition) and checks before an admin change: this broker's coordinator in
// embedded mode, the cluster's (ListGroups, DescribeGroups) in cluster mode.

import type { GroupCoordinator } from "./group-coordinator.js";

export interface GroupMemberView {
  memberId: string;
  clientId: string;
  clientHost: string;
  groupInstanceId: string | null;
  /** The member's assignment as the group's leader encoded it. */
  assignment: Buffer;
}

export interface GroupSnapshot {
  state: string;
  /** -1 where the coordinator does not say (DescribeGroups carries no generation). */
  generation: number;
  protocolName: string | null;
  members: GroupMemberView[];
}

export interface GroupView {
  /** Groups the coordinator knows now, by name. */
  names(): Promise<string[]>;
  /** A group's state and members; undefined when the coordinator has no such group. */
  describe(group: string): Promise<GroupSnapshot | undefined>;
}

export function localGroupView(coordinator: GroupCoordinator): GroupView {
  return {
    names: async () => coordinator.list().map((g) => g.groupId),
    describe: async (name) => {
      const group = coordinator.existing(name);
      if (!group) return undefined;
      return {
        state: group.state, generation: group.generationId, protocolName: group.protocolName,
        members: [...group.members.values()].map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, groupInstanceId: m.groupInstanceId, assignment: m.assignment })),
      };
    },
  };
}
