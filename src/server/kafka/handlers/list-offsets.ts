// ListOffsets, versions 0-9: latest (the high watermark), earliest, by
// timestamp, max timestamp (v7+), earliest-local (v8+, the log start: no
// tiers yet) and latest-tiered (v9+, none: -1). v0 answers the one offset v1+
// would give as its list of old-style offsets; Kafka's v0 could also list
// segment boundaries before a timestamp, which no client of v0 asks for.
// With isolation_level read_committed (v2+), latest is the last stable offset.

import type { Handler, KafkaContext, RequestInfo } from "../kafka-context.js";
import type { ListOffsetsRequest, ListOffsetsResponse } from "../../../protocol/generated/message-types.js";
import { errorCodeOf } from "./errors.js";
import { Operation, requireTopic } from "./authorize.js";

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
/** v8 (KIP-405): the first offset on local disk; without tiered storage, the log start. */
const EARLIEST_LOCAL = -4;
/** v9 (KIP-1005): the last offset in tiered storage; without it, none. */
const LATEST_TIERED = -5;

async function listPartition(ctx: KafkaContext, info: RequestInfo, topic: string, p: ListOffsetsRequest.ListOffsetsPartition, readCommitted: boolean): Promise<ListOffsetsResponse.ListOffsetsPartitionResponse> {
  const answer = (offset: number, timestamp = -1) => ({
    partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: offset >= 0 && p.maxNumOffsets > 0 ? [BigInt(offset)] : [],
    timestamp: BigInt(timestamp), offset: BigInt(offset), leaderEpoch: offset >= 0 ? 0 : -1,
  });
  try {
    requireTopic(ctx, info, Operation.DESCRIBE, topic);
    const log = ctx.logs.partition(topic, p.partitionIndex);
    const target = Number(p.timestamp);
    if (target === LATEST) {
      const offsets = await log.offsets();
      return answer(readCommitted ? offsets.lastStableOffset : offsets.highWatermark);
    }
    if (target === EARLIEST || target === EARLIEST_LOCAL) return answer((await log.offsets()).logStartOffset);
    if (target === LATEST_TIERED) return answer(-1);
    const found = target === MAX_TIMESTAMP ? await log.maxTimestampOffset() : await log.offsetForTimestamp(target);
    return found ? answer(found.offset, found.timestamp) : answer(-1);
  } catch (err) {
    return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(err, `list offsets of ${topic}`), oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
  }
}

export const listOffsets: Handler<"ListOffsets"> = async (ctx, request, info) => ({
  throttleTimeMs: 0,
  topics: await Promise.all(request.topics.map(async (t) => ({
    name: t.name,
    partitions: await Promise.all(t.partitions.map((p) => listPartition(ctx, info, t.name, p, info.header.apiVersion >= 2 && request.isolationLevel === 1))),
  }))),
});
