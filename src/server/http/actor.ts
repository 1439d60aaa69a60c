// Who sent an HTTP request, for the admin lines of the operations log.
// Until authentication exists, every principal is anonymous.

import type { Context } from "hono";
import type { Actor } from "../../ops/ops-log.js";
import { peerAddress } from "./listen.js";

export function httpActor(c: Context): Actor {
  return { principal: "anonymous", from: peerAddress(c.env, c.req.raw), via: "http" };
}
