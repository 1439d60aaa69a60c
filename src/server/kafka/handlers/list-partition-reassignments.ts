// ListPartitionReassignments, version 0: reassignments complete at once on
// one broker, so none is ever in progress.

import type { Handler } from "../kafka-context.js";
import { Operation, mayCluster } from "./authorize.js";

export const listPartitionReassignments: Handler<"ListPartitionReassignments"> = (ctx, _request, info) => (mayCluster(ctx, info, Operation.DESCRIBE)
  ? { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: [] }
  : { throttleTimeMs: 0, errorCode: 31, errorMessage: `${info.session.principal} may not describe the cluster`, topics: [] });
