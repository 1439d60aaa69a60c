// Who sent an HTTP request, for the admin lines of the operations log: the
// authenticated principal, or "anonymous" while authentication is off.

import type { Context } from "hono";
import type { Actor } from "../../ops/ops-log.js";
import { peerAddress } from "./listen.js";
import { ANONYMOUS } from "../../security/acl.js";
import { sessionOf } from "./http-auth.js";

export function httpActor(c: Context): Actor {
  const principal = sessionOf(c).principal;
  return { principal: principal === ANONYMOUS ? "anonymous" : principal, from: peerAddress(c.env, c.req.raw), via: "http" };
}
