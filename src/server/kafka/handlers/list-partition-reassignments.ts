// ListPartitionReassignments, version 0: reassignments complete at once on
// one broker, so none is ever in progress.

import type { Handler } from "../kafka-context.js";

export const listPartitionReassignments: Handler<"ListPartitionReassignments"> = () => ({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: [] });
