// Bearer tokens over HTTP: a user makes tokens for itself; making, listing or
// revoking anyone's needs ALTER on the cluster (listing all: DESCRIBE). The
// secret is in the creating answer only; the broker keeps its hash. With
// authentication off there are no users to stand for: 409.

import type { Context, Hono } from "hono";
import type { HttpDeps } from "./http-deps.js";
import { HttpError } from "./http-error.js";
import { bodyJson } from "./request-body.js";
import { logAdminChange } from "../../ops/ops-log.js";
import { httpActor } from "./actor.js";
import { checked, doc, Done } from "./api-doc.js";
import * as api from "./api-schemas.js";
import { sessionOf } from "./http-auth.js";
import { CLUSTER_RESOURCE, Operation, ResourceType } from "../../security/acl.js";
import { SecurityError, type SecurityStore, type TokenInfo } from "../../security/security-store.js";

function tokenJson(t: TokenInfo) {
  return { id: t.id, user: t.user, created_at: new Date(t.createdMs).toISOString(), expires_at: t.expiresMs === null ? null : new Date(t.expiresMs).toISOString() };
}

export function registerTokenRoutes(app: Hono, deps: HttpDeps): void {
  const self = (c: Context) => sessionOf(c).principal.replace(/^User:/, "");
  const mayAdminister = (c: Context, op: number) => deps.access.may(c, op, ResourceType.CLUSTER, CLUSTER_RESOURCE);
  const needAuthentication = (): SecurityStore => {
    if (!deps.access.enabled || !deps.security) throw new HttpError(409, 40901, "authentication is off (serve --sasl-mechanisms ...): tokens would stand for no one");
    return deps.security;
  };
  app.post("/tokens", doc({ tags: ["security"], summary: "create a bearer token for yourself (or, with ALTER on the cluster, for any user)", body: api.TokenCreate, responses: { 201: api.TokenCreated } }), async (c) => {
    const security = needAuthentication();
    const body = checked(api.TokenCreate, await bodyJson(c, deps));
    const user = body.user ?? self(c);
    if (user !== self(c) && !mayAdminister(c, Operation.ALTER)) throw new HttpError(403, 40301, `${sessionOf(c).principal} may only create tokens for itself`);
    let expiresMs: number | null = null;
    if (body.expires_at) {
      expiresMs = Date.parse(body.expires_at);
      if (Number.isNaN(expiresMs) || expiresMs <= Date.now()) throw new HttpError(422, 42201, "expires_at must be an ISO date and time in the future");
    }
    try {
      const { token, info } = await security.createToken(user, expiresMs);
      logAdminChange(httpActor(c), "token.create", `created token ${info.id} for ${user}`, { token_id: info.id, user });
      return c.json({ token, ...tokenJson(info) }, 201);
    } catch (err) {
      if (err instanceof SecurityError) throw new HttpError(404, 40404, err.message);
      throw err;
    }
  });
  app.get("/tokens", doc({ tags: ["security"], summary: "your tokens (with DESCRIBE on the cluster: everyone's); never their secrets", responses: { 200: api.TokenList } }), (c) => {
    const security = needAuthentication();
    const all = mayAdminister(c, Operation.DESCRIBE);
    return c.json({ tokens: security.tokens().filter((t) => all || t.user === self(c)).map(tokenJson) });
  });
  app.delete("/tokens/:id", doc({ tags: ["security"], summary: "revoke a token: yours, or with ALTER on the cluster anyone's", responses: Done }), async (c) => {
    const security = needAuthentication();
    const id = c.req.param("id");
    const found = security.tokens().find((t) => t.id === id);
    if (!found || (found.user !== self(c) && !mayAdminister(c, Operation.ALTER))) throw new HttpError(404, 40404, `no token '${id}' of yours`);
    await security.revokeToken(id);
    logAdminChange(httpActor(c), "token.revoke", `revoked token ${id} of ${found.user}`, { token_id: id, user: found.user });
    return c.body(null, 204);
  });
}
