import type { Handler, KafkaContext } from "../kafka-context.js";
import type { Message } from "../../../protocol/message-codec.js";
import { errorCodeOf } from "./errors.js";

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
/** v8 (KIP-405): the first offset on local disk; without tiered storage, the log start. */
const EARLIEST_LOCAL = -4;
/** v9 (KIP-1005): the last offset in tiered storage; without it, none. */
const LATEST_TIERED = -5;

/**
 * v0 answers with a list of offsets ("old style"): the one offset that v1+
 * would give, or none when there is none. Kafka's v0 could also list segment
 * boundaries before a timestamp (up to maxNumOffsets); clients of v0 ask for
 * the earliest or latest offset, which this answers exactly.
 */
async function listPartition(ctx: KafkaContext, topic: string, p: Message): Promise<Message> {
  const answer = (offset: number, timestamp = -1) => ({
    partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: offset >= 0 && p.maxNumOffsets > 0 ? [BigInt(offset)] : [],
    timestamp: BigInt(timestamp), offset: BigInt(offset), leaderEpoch: offset >= 0 ? 0 : -1,
  });
  try {
    const log = ctx.logs.partition(topic, p.partitionIndex);
    const target = Number(p.timestamp);
    if (target === LATEST) return answer((await log.offsets()).highWatermark);
    if (target === EARLIEST || target === EARLIEST_LOCAL) return answer((await log.offsets()).logStartOffset);
    if (target === LATEST_TIERED) return answer(-1);
    const found = target === MAX_TIMESTAMP ? await log.maxTimestampOffset() : await log.offsetForTimestamp(target);
    return found ? answer(found.offset, found.timestamp) : answer(-1);
  } catch (err) {
    return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(err, `list offsets of ${topic}`), oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
  }
}

export const listOffsets: Handler = async (ctx, request) => ({
  throttleTimeMs: 0,
  topics: await Promise.all((request.topics as Message[]).map(async (t) => ({
    name: t.name,
    partitions: await Promise.all((t.partitions as Message[]).map((p) => listPartition(ctx, t.name, p))),
  }))),
});

export const offsetForLeaderEpoch: Handler = async (ctx, request) => ({
  throttleTimeMs: 0,
  topics: await Promise.all((request.topics as Message[]).map(async (t) => ({
    topic: t.topic,
    partitions: await Promise.all((t.partitions as Message[]).map(async (p) => {
      try {
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
