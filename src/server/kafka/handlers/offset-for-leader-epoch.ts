// OffsetForLeaderEpoch, versions 0-4. One broker has one leader epoch, 0:
// its end offset is the log end; any other epoch is unknown (-1).

import type { Handler } from "../kafka-context.js";
import { errorCodeOf } from "./errors.js";
import { Operation, requireTopic } from "./authorize.js";

export const offsetForLeaderEpoch: Handler<"OffsetForLeaderEpoch"> = async (ctx, request, info) => ({
  throttleTimeMs: 0,
  topics: await Promise.all(request.topics.map(async (t) => ({
    topic: t.topic,
    partitions: await Promise.all(t.partitions.map(async (p) => {
      try {
        requireTopic(ctx, info, Operation.DESCRIBE, t.topic);
        // One broker, one leader epoch (0): its end is the log end.
        const log = ctx.logs.partition(t.topic, p.partition);
        const known = p.leaderEpoch === 0;
        return { errorCode: 0, partition: p.partition, leaderEpoch: known ? 0 : -1, endOffset: known ? BigInt((await log.offsets()).logEndOffset) : -1n };
      } catch (err) {
        return { errorCode: errorCodeOf(err, "offset for leader epoch"), partition: p.partition, leaderEpoch: -1, endOffset: -1n };
      }
    })),
  }))),
});
