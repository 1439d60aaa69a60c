// ApiVersions, versions 0-4: the ranges of the API table. A request of a
// version above 4 is answered in v0 with UNSUPPORTED_VERSION by the listener,
// as Kafka does, so the client can retry with one it finds there.

import type { Handler } from "../kafka-context.js";

export const apiVersions: Handler<"ApiVersions"> = (ctx) => ({
  errorCode: 0,
  apiKeys: ctx.apiVersions,
  throttleTimeMs: 0,
});
