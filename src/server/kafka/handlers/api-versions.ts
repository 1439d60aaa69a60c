import type { Handler } from "../kafka-context.js";

export const apiVersions: Handler = (ctx) => ({
  errorCode: 0,
  apiKeys: ctx.apiVersions,
  throttleTimeMs: 0,
});
