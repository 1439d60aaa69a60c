// The checks routes make themselves, for what only a request's body names.

import type { Context } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { Operation, ResourceType, CLUSTER_RESOURCE } from "../../security/acl.js";

export { Operation, ResourceType };
export { subjectTopic } from "./http-auth.js";

/** Creating a topic: CREATE on the cluster, or on the topic (as CreateTopics). */
export function requireCreate(c: Context, deps: HttpDeps, topic: string): void {
  if (!deps.access.may(c, Operation.CREATE, ResourceType.CLUSTER, CLUSTER_RESOURCE)) deps.access.require(c, Operation.CREATE, ResourceType.TOPIC, topic);
}
