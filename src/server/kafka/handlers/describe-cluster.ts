// DescribeCluster, versions 0-1: one broker, which is also the controller.

import type { Handler } from "../kafka-context.js";
import { Operation, mayCluster } from "./authorize.js";

export const describeCluster: Handler<"DescribeCluster"> = (ctx, _request, info) => ({
  throttleTimeMs: 0,
  ...(mayCluster(ctx, info, Operation.DESCRIBE) ? { errorCode: 0, errorMessage: null }
    : { errorCode: 31, errorMessage: `${info.session.principal} may not describe the cluster` }),
  endpointType: 1,
  clusterId: ctx.logs.clusterId,
  controllerId: ctx.nodeId,
  brokers: [{ brokerId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort, rack: null }],
  clusterAuthorizedOperations: -2147483648,
});
