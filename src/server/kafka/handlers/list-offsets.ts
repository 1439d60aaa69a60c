import type { Handler, KafkaContext } from "../kafka-context.js";
import type { Message } from "../../../protocol/message-codec.js";
import { errorCodeOf } from "./errors.js";

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

async function listPartition(ctx: KafkaContext, topic: string, p: Message): Promise<Message> {
  const answer = (offset: number, timestamp = -1) => ({
    partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: [], timestamp: BigInt(timestamp), offset: BigInt(offset), leaderEpoch: offset >= 0 ? 0 : -1,
  });
  try {
    const log = ctx.logs.partition(topic, p.partitionIndex);
    const target = Number(p.timestamp);
    if (target === LATEST) return answer(log.highWatermark);
    if (target === EARLIEST) return answer(log.logStartOffset);
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

export const offsetForLeaderEpoch: Handler = (ctx, request) => ({
  throttleTimeMs: 0,
  topics: (request.topics as Message[]).map((t) => ({
    topic: t.topic,
    partitions: (t.partitions as Message[]).map((p) => {
      try {
        // One broker, one leader epoch (0): its end is the log end.
        const log = ctx.logs.partition(t.topic, p.partition);
        const known = p.leaderEpoch === 0;
        return { errorCode: 0, partition: p.partition, leaderEpoch: known ? 0 : -1, endOffset: known ? BigInt(log.logEndOffset) : -1n };
      } catch (err) {
        return { errorCode: errorCodeOf(err, "offset for leader epoch"), partition: p.partition, leaderEpoch: -1, endOffset: -1n };
      }
    }),
  })),
});
