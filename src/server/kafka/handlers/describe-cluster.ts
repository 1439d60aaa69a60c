// DescribeCluster, versions 0-1: one broker, which is also the controller.

import type { Handler } from "../kafka-context.js";

export const describeCluster: Handler<"DescribeCluster"> = (ctx) => ({
  throttleTimeMs: 0,
  errorCode: 0,
  errorMessage: null,
  endpointType: 1,
  clusterId: ctx.logs.clusterId,
  controllerId: ctx.nodeId,
  brokers: [{ brokerId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort, rack: null }],
  clusterAuthorizedOperations: -2147483648,
});
