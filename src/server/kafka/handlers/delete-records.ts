// DeleteRecords, versions 0-2: moves a partition's log start forward (-1:
// to the high watermark); internal topics refuse it.

import type { Handler } from "../kafka-context.js";
import { errorCodeOf } from "./errors.js";

export const deleteRecords: Handler<"DeleteRecords"> = async (ctx, request) => ({
  throttleTimeMs: 0,
  topics: await Promise.all(request.topics.map(async (t) => ({
    name: t.name,
    partitions: await Promise.all(t.partitions.map(async (p) => {
      try {
        return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(await ctx.logs.deleteRecords(t.name, p.partitionIndex, Number(p.offset))), errorCode: 0 };
      } catch (err) {
        return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(err, "delete records") };
      }
    })),
  }))),
});
