// DescribeTransactions, version 0: each transactional id's state, timeout,
// start, producer and partitions. Needs DESCRIBE on each transactional id;
// an unknown one is TRANSACTIONAL_ID_NOT_FOUND.

import type { Handler } from "../kafka-context.js";
import { ResourceType } from "../../../security/acl.js";
import { E, Operation } from "./txn-errors.js";

const TRANSACTIONAL_ID_NOT_FOUND = 105;

export const describeTransactions: Handler<"DescribeTransactions"> = (ctx, request, info) => ({
  throttleTimeMs: 0,
  transactionStates: request.transactionalIds.map((transactionalId) => {
    const none = { transactionalId, transactionState: "", transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
    if (!ctx.authorizer.allows(info.session, Operation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, transactionalId)) return { ...none, errorCode: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const record = ctx.transactions?.get(transactionalId);
    if (!record) return { ...none, errorCode: TRANSACTIONAL_ID_NOT_FOUND };
    const byTopic = new Map<string, number[]>();
    for (const key of record.partitions) {
      const cut = key.lastIndexOf("\u0000");
      byTopic.set(key.slice(0, cut), [...(byTopic.get(key.slice(0, cut)) ?? []), Number(key.slice(cut + 1))]);
    }
    return {
      errorCode: 0, transactionalId, transactionState: record.state, transactionTimeoutMs: record.timeoutMs, transactionStartTimeMs: BigInt(record.startMs),
      producerId: BigInt(record.producerId), producerEpoch: record.producerEpoch, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }),
});
