// DeleteRecords, versions 0-2: moves a partition's log start forward (-1:
// to the high watermark); internal topics refuse it.

import { logAdminChange } from "../../../ops/ops-log.js";
import { kafkaActor, type Handler } from "../kafka-context.js";
import { errorCodeOf } from "./errors.js";
import { Operation, requireTopic } from "./authorize.js";

export const deleteRecords: Handler<"DeleteRecords"> = async (ctx, request, info) => ({
  throttleTimeMs: 0,
  topics: await Promise.all(request.topics.map(async (t) => ({
    name: t.name,
    partitions: await Promise.all(t.partitions.map(async (p) => {
      try {
        requireTopic(ctx, info, Operation.DELETE, t.name);
        const lowWatermark = await ctx.logs.deleteRecords(t.name, p.partitionIndex, Number(p.offset));
        logAdminChange(kafkaActor(info), "topic.delete_records", `deleted the records of ${t.name}-${p.partitionIndex} before offset ${lowWatermark}`,
          { topic: t.name, partition: p.partitionIndex, log_start_offset: lowWatermark });
        return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(lowWatermark), errorCode: 0 };
      } catch (err) {
        return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(err, "delete records") };
      }
    })),
  }))),
});
