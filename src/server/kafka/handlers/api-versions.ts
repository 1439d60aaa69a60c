import type { Handler } from "../kafka-context.js";
import { apiVersionsList } from "../kafka-listener.js";

export const apiVersions: Handler = () => ({
  errorCode: 0,
  apiKeys: apiVersionsList(),
  throttleTimeMs: 0,
});
