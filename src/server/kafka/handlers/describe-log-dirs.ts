// DescribeLogDirs, versions 0-4: the broker's one log dir (its data dir) with
// each partition's size on local disk; offsetLag is 0 (no replicas), there is
// no future replica. Unknown topics and partitions are left out, as Kafka
// leaves them out. totalBytes and usableBytes (v4) come from the file system.

import * as fs from "node:fs";
import type { Handler } from "../kafka-context.js";
import { KafkaErrorCode as E } from "../../../protocol/kafka-error-codes.js";
import type { DescribeLogDirsResponse } from "../../../protocol/generated/message-types.js";
import { Operation, mayCluster } from "./authorize.js";

function diskBytes(dir: string): { totalBytes: bigint; usableBytes: bigint } {
  try {
    const s = fs.statfsSync(dir);
    return { totalBytes: BigInt(s.blocks) * BigInt(s.bsize), usableBytes: BigInt(s.bavail) * BigInt(s.bsize) };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

export const describeLogDirs: Handler<"DescribeLogDirs"> = async (ctx, request, info) => {
  if (!mayCluster(ctx, info, Operation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: E.CLUSTER_AUTHORIZATION_FAILED, results: [] };
  const wanted = request.topics === null
    ? ctx.logs.listTopics({ includeInternal: true }).map((t) => ({ topic: t.name, partitions: null as number[] | null }))
    : request.topics.map((t) => ({ topic: t.topic, partitions: t.partitions as number[] | null }));
  const topics: DescribeLogDirsResponse.DescribeLogDirsTopic[] = [];
  for (const w of wanted) {
    if (!ctx.logs.hasTopic(w.topic)) continue;
    const states = (await ctx.logs.describeTopic(w.topic)).partitionStates.filter((p) => w.partitions === null || w.partitions.includes(p.partition));
    if (states.length === 0) continue;
    topics.push({ name: w.topic, partitions: states.map((p) => ({ partitionIndex: p.partition, partitionSize: BigInt(Math.max(0, p.sizeBytes)), offsetLag: 0n, isFutureKey: false })) });
  }
  return { throttleTimeMs: 0, errorCode: 0, results: [{ errorCode: 0, logDir: ctx.logDir, topics, ...diskBytes(ctx.logDir) }] };
};
