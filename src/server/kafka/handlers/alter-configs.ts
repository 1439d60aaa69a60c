// AlterConfigs, versions 0-2: replaces every override of a topic with the
// given ones. Broker configs are read-only here (INVALID_REQUEST).

import type { Handler } from "../kafka-context.js";
import { errorCodeOf, errorMessageOf } from "./errors.js";
import { alterTopicConfigs } from "./topic-configs.js";

export const alterConfigs: Handler<"AlterConfigs"> = async (ctx, request) => {
  const responses = [];
  for (const r of request.resources) {
    try {
      await alterTopicConfigs(ctx, r, request.validateOnly, false);
      responses.push({ errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
    } catch (err) {
      responses.push({ errorCode: errorCodeOf(err, "alter configs"), errorMessage: errorMessageOf(err), resourceType: r.resourceType, resourceName: r.resourceName });
    }
  }
  return { throttleTimeMs: 0, responses };
};
