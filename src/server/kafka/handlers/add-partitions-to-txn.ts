// AddPartitionsToTxn, versions 0-3: the partitions a transactional producer
// is about to write join its open transaction. Needs WRITE on the
// transactional id and on each topic. A partition refused (unknown, not
// allowed) is answered with its error and the others OPERATION_NOT_ATTEMPTED,
// as Kafka answers; nothing is added then. Versions 4+ (KIP-890's batched
// form, between brokers) are not served.

import type { Handler } from "../kafka-context.js";
import type { AddPartitionsToTxnResponse } from "../../../protocol/generated/message-types.js";
import { E, Operation, coordinatorOf, requireTransactionalId, transactionErrorCode } from "./txn-errors.js";
import { mayTopic } from "./authorize.js";

export const addPartitionsToTxn: Handler<"AddPartitionsToTxn"> = async (ctx, request, info) => {
  const transactionalId = request.v3AndBelowTransactionalId;
  const wanted = request.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  const answer = (codeOf: (topic: string, partition: number) => number): AddPartitionsToTxnResponse => ({
    throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [],
    resultsByTopicV3AndBelow: request.v3AndBelowTopics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })) })),
  });
  try {
    requireTransactionalId(ctx, info, Operation.WRITE, transactionalId);
  } catch (err) {
    return answer(() => transactionErrorCode(err, "add partitions to a transaction", info.header.apiVersion, 2));
  }
  const problems = new Map<string, number>();
  for (const { topic, partition } of wanted) {
    if (!mayTopic(ctx, info, Operation.WRITE, topic)) problems.set(`${topic}\u0000${partition}`, E.TOPIC_AUTHORIZATION_FAILED);
    else if (!ctx.logs.hasTopic(topic) || partition < 0 || partition >= ctx.logs.partitionCount(topic)) problems.set(`${topic}\u0000${partition}`, E.UNKNOWN_TOPIC_OR_PARTITION);
  }
  if (problems.size) return answer((topic, partition) => problems.get(`${topic}\u0000${partition}`) ?? E.OPERATION_NOT_ATTEMPTED);
  try {
    await coordinatorOf(ctx).addPartitions(transactionalId, Number(request.v3AndBelowProducerId), request.v3AndBelowProducerEpoch, wanted);
    return answer(() => 0);
  } catch (err) {
    const code = transactionErrorCode(err, "add partitions to a transaction", info.header.apiVersion, 2);
    return answer(() => code);
  }
};
