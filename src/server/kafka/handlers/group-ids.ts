// What the group handlers share: the check of a group id, and the list of
// every group the broker knows (with members in memory, or only committed offsets).

import type { KafkaContext } from "../kafka-context.js";
import type { Group } from "../../groups/group-coordinator.js";

export function invalidGroupId(groupId: string | null): boolean {
  return typeof groupId !== "string" || groupId.length === 0;
}

export async function knownGroups(ctx: KafkaContext): Promise<{ groupId: string; group?: Group }[]> {
  const out = new Map<string, Group | undefined>();
  for (const g of ctx.groups.list()) out.set(g.groupId, g);
  for (const id of await ctx.logs.offsets.groups()) if (!out.has(id)) out.set(id, undefined);
  return [...out.entries()].map(([groupId, group]) => ({ groupId, group }));
}

/** Whether a group has committed offsets (an "Empty" group, rather than none at all). */
export async function hasOffsets(ctx: KafkaContext, groupId: string): Promise<boolean> {
  return (await ctx.logs.offsets.list(groupId)).length > 0;
}
