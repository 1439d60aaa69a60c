// IncrementalAlterConfigs, versions 0-1: SET and DELETE one topic config at a
// time; APPEND and SUBTRACT are INVALID_CONFIG (no topic config is a list).
// Broker configs are read-only here (INVALID_REQUEST).

import type { Handler } from "../kafka-context.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { alterTopicConfigs } from "./topic-configs.js";

export const incrementalAlterConfigs: Handler<"IncrementalAlterConfigs"> = async (ctx, request) => {
  const responses = [];
  for (const r of request.resources) {
    try {
      await alterTopicConfigs(ctx, r, request.validateOnly, true);
      responses.push({ errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
    } catch (err) {
      responses.push({ errorCode: errorCodeOf(err, "alter configs"), errorMessage: errorMessageOf(err), resourceType: r.resourceType, resourceName: r.resourceName });
    }
  }
  return { throttleTimeMs: 0, responses };
};
