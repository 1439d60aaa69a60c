// AddPartitionsToTxn, versions 0-5: the partitions a transactional producer
// is about to write join its open transaction. Needs WRITE on the
// transactional id and on each topic. A partition refused (unknown, not
// allowed) is answered with its error and the others OPERATION_NOT_ATTEMPTED,
// as Kafka answers; nothing is added then. Versions 4+ carry several
// transactions (KIP-890, sent by brokers); one with verifyOnly only checks
// that its partitions are in the transaction (INVALID_TXN_STATE where not).

import type { Handler } from "../kafka-context.js";
import type { AddPartitionsToTxnResponse } from "../../../protocol/generated/message-types.js";
import { E, Operation, coordinatorOf, requireTransactionalId, transactionErrorCode } from "./txn-errors.js";
import { mayTopic } from "./authorize.js";

type TopicResults = AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult[];

export const addPartitionsToTxn: Handler<"AddPartitionsToTxn"> = async (ctx, request, info) => {
  const version = info.header.apiVersion;
  if (version <= 3) {
    const results = await addOne(ctx, info, request.v3AndBelowTransactionalId, request.v3AndBelowProducerId, request.v3AndBelowProducerEpoch, request.v3AndBelowTopics, false, version);
    return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [], resultsByTopicV3AndBelow: results };
  }
  const resultsByTransaction = [];
  for (const t of request.transactions) {
    resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: await addOne(ctx, info, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly, version) });
  }
  return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction, resultsByTopicV3AndBelow: [] };
};

async function addOne(ctx: Parameters<Handler<"AddPartitionsToTxn">>[0], info: Parameters<Handler<"AddPartitionsToTxn">>[2], transactionalId: string, producerIdBig: bigint,
  producerEpoch: number, topics: { name: string; partitions: number[] }[], verifyOnly: boolean, version: number): Promise<TopicResults> {
  const wanted = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  const answer = (codeOf: (topic: string, partition: number) => number): TopicResults =>
    topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: codeOf(t.name, p) })) }));
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
    if (verifyOnly) {
      const coordinator = coordinatorOf(ctx);
      const refused = new Map<string, number>();
      for (const { topic, partition } of wanted) {
        try {
          coordinator.checkProduce(transactionalId, Number(producerIdBig), producerEpoch, topic, partition);
        } catch (err) {
          refused.set(`${topic}\u0000${partition}`, transactionErrorCode(err, "verify a transaction's partitions", version, 2));
        }
      }
      return answer((topic, partition) => refused.get(`${topic}\u0000${partition}`) ?? 0);
    }
    await coordinatorOf(ctx).addPartitions(transactionalId, Number(producerIdBig), producerEpoch, wanted);
    return answer(() => 0);
  } catch (err) {
    const code = transactionErrorCode(err, "add partitions to a transaction", version, 2);
    return answer(() => code);
  }
}
