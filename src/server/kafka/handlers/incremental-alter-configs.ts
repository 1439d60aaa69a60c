// IncrementalAlterConfigs, versions 0-1: SET and DELETE one topic config at a
// time; APPEND and SUBTRACT are INVALID_CONFIG (no topic config is a list).
// Broker configs are read-only here (INVALID_REQUEST).

import { kafkaActor, type Handler } from "../kafka-context.js";
import { alterEach } from "./topic-configs.js";

export const incrementalAlterConfigs: Handler<"IncrementalAlterConfigs"> = async (ctx, request, info) => ({
  throttleTimeMs: 0,
  responses: await alterEach(ctx, info, request.resources, request.validateOnly, true, kafkaActor(info)),
});
