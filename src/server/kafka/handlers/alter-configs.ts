// AlterConfigs, versions 0-2: replaces every override of a topic with the
// given ones. Broker configs are read-only here (INVALID_REQUEST).

import { kafkaActor, type Handler } from "../kafka-context.js";
import { alterEach } from "./topic-configs.js";

export const alterConfigs: Handler<"AlterConfigs"> = async (ctx, request, info) => ({
  throttleTimeMs: 0,
  responses: await alterEach(ctx, info, request.resources, request.validateOnly, false, kafkaActor(info)),
});
