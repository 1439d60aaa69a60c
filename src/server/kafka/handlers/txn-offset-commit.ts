// TxnOffsetCommit, versions 0-4: group offsets committed inside a
// transaction, visible to the group only once the transaction commits (and
// never if it aborts). Needs WRITE on the transactional id, READ on the
// group and on each topic.

import type { Handler } from "../kafka-context.js";
import type { OffsetCommit } from "../../../log/store.js";
import { E, Operation, coordinatorOf, requireTransactionalId, transactionErrorCode } from "./txn-errors.js";
import { mayGroup, mayTopic } from "./authorize.js";

export const txnOffsetCommit: Handler<"TxnOffsetCommit"> = async (ctx, request, info) => {
  const answer = (codeOf: (topic: string, partition: number) => number) => ({
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codeOf(t.name, p.partitionIndex) })) })),
  });
  try {
    requireTransactionalId(ctx, info, Operation.WRITE, request.transactionalId);
  } catch (err) {
    return answer(() => transactionErrorCode(err, "commit offsets in a transaction", info.header.apiVersion, 2));
  }
  if (!mayGroup(ctx, info, Operation.READ, request.groupId)) return answer(() => E.GROUP_AUTHORIZATION_FAILED);
  const problems = new Map<string, number>();
  const offsets: OffsetCommit[] = [];
  for (const t of request.topics) {
    for (const p of t.partitions) {
      if (!mayTopic(ctx, info, Operation.READ, t.name)) problems.set(`${t.name}\u0000${p.partitionIndex}`, E.TOPIC_AUTHORIZATION_FAILED);
      else if (!ctx.logs.hasTopic(t.name) || p.partitionIndex >= ctx.logs.partitionCount(t.name)) problems.set(`${t.name}\u0000${p.partitionIndex}`, E.UNKNOWN_TOPIC_OR_PARTITION);
      else offsets.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
    }
  }
  try {
    if (offsets.length) await coordinatorOf(ctx).commitOffsets(request.transactionalId, Number(request.producerId), request.producerEpoch, request.groupId, offsets);
    return answer((topic, partition) => problems.get(`${topic}\u0000${partition}`) ?? 0);
  } catch (err) {
    const code = transactionErrorCode(err, "commit offsets in a transaction", info.header.apiVersion, 2);
    return answer((topic, partition) => problems.get(`${topic}\u0000${partition}`) ?? code);
  }
};
