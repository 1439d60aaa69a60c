// Who may call which HTTP route. With authentication on (--sasl-mechanisms),
// every request but /healthz and /readyz (and /metrics with --metrics-open)
// carries `Authorization: Basic` (a user of the security store) or `Bearer`
// (a token of `tributary token create`); 401 without, 403 when the ACLs do
// not allow the route's operation. Routes map onto Kafka's operations as the
// Kafka APIs doing the same do: reading records is READ on the topic,
// publishing WRITE, deleting DELETE, topic configs ALTER_CONFIGS, REST
// consumers READ on their group. Registry routes take the rights Confluent's
// registry asks for, on the topic the subject names (`orders-value` →
// `orders`; any other subject names itself): SUBJECT_READ → DESCRIBE,
// SUBJECT_WRITE → WRITE, SUBJECT_DELETE → DELETE, subject compatibility and
// mode → DESCRIBE_CONFIGS / ALTER_CONFIGS, the global ones on the cluster.
// Every route has a rule here; a route without one refuses to start the app.

import type { Context } from "hono";
import { HttpError } from "./http-error.js";
import { peerAddress } from "./listen.js";
import type { Authentication } from "../../security/authentication.js";
import { ANONYMOUS, CLUSTER_RESOURCE, Operation, ResourceType, hostOf, operationName, type Authorizer, type Session } from "../../security/acl.js";

export { Operation, ResourceType };
import type { SchemaRegistry } from "../../schema/schema-registry.js";

export interface HttpAuthDeps {
  authentication: Authentication;
  authorizer: Authorizer;
  /** /metrics answers without credentials. */
  metricsOpen: boolean;
}

type Need =
  | { kind: "open" }
  /** Any authenticated principal; the route itself filters or checks what it touches. */
  | { kind: "any" }
  | { kind: "acl"; op: number; type: number; name: string }
  /** A schema id: DESCRIBE on the topic of one of the subjects using it. */
  | { kind: "schema"; id: number };

const open: Need = { kind: "open" };
const any: Need = { kind: "any" };
const topic = (op: number) => (name: string): Need => ({ kind: "acl", op, type: ResourceType.TOPIC, name });
const group = (op: number) => (name: string): Need => ({ kind: "acl", op, type: ResourceType.GROUP, name });
const cluster = (op: number): Need => ({ kind: "acl", op, type: ResourceType.CLUSTER, name: CLUSTER_RESOURCE });

/** The topic a registry subject stands for (TopicNameStrategy), or the subject itself. */
export function subjectTopic(subject: string): string {
  return subject.replace(/-(key|value)$/, "");
}
const subject = (op: number) => (name: string): Need => topic(op)(subjectTopic(name));

const S = "([^/]+)";
const RULES: [string, RegExp, (...params: string[]) => Need][] = [
  ["GET", /^\/healthz$/, () => open],
  ["GET", /^\/readyz$/, () => open],
  ["GET", /^\/(openapi\.json|docs|brokers)$/, () => any],
  ["GET", /^\/(archive|warehouse)$/, () => cluster(Operation.DESCRIBE)],
  ["POST", /^\/sql$/, () => topic(Operation.READ)("*")],
  // Topics
  ["GET", /^\/topics$/, () => any],
  ["POST", /^\/topics$/, () => any],
  ["GET", new RegExp(`^/topics/${S}$`), topic(Operation.DESCRIBE)],
  ["POST", new RegExp(`^/topics/${S}$`), topic(Operation.WRITE)],
  ["DELETE", new RegExp(`^/topics/${S}$`), topic(Operation.DELETE)],
  ["PATCH", new RegExp(`^/topics/${S}/configs$`), topic(Operation.ALTER_CONFIGS)],
  ["GET", new RegExp(`^/topics/${S}/partitions$`), topic(Operation.DESCRIBE)],
  ["POST", new RegExp(`^/topics/${S}/partitions$`), topic(Operation.ALTER)],
  ["GET", new RegExp(`^/topics/${S}/partitions/${S}$`), topic(Operation.DESCRIBE)],
  ["POST", new RegExp(`^/topics/${S}/partitions/${S}$`), topic(Operation.WRITE)],
  ["GET", new RegExp(`^/topics/${S}/partitions/${S}/offsets$`), topic(Operation.DESCRIBE)],
  ["GET", new RegExp(`^/topics/${S}/partitions/${S}/(records|stream)$`), topic(Operation.READ)],
  ["GET", new RegExp(`^/topics/${S}/stream$`), topic(Operation.READ)],
  ["POST", new RegExp(`^/topics/${S}/records$`), topic(Operation.WRITE)],
  // Groups
  ["GET", /^\/groups$/, () => any],
  ["GET", new RegExp(`^/groups/${S}$`), group(Operation.DESCRIBE)],
  ["DELETE", new RegExp(`^/groups/${S}$`), group(Operation.DELETE)],
  ["POST", new RegExp(`^/groups/${S}/reset-offsets$`), group(Operation.READ)],
  // REST Proxy v2 consumers: READ on the group; the topics they subscribe to are checked by the route.
  ["POST", new RegExp(`^/consumers/${S}$`), group(Operation.READ)],
  ["*", new RegExp(`^/consumers/${S}/instances/${S}(/.*)?$`), group(Operation.READ)],
  // REST v3
  ["GET", /^\/v3\/clusters(\/[^/]+)?$/, () => any],
  ["GET", /^\/v3\/clusters\/[^/]+\/brokers(\/[^/]+)?$/, () => any],
  ["GET", /^\/v3\/clusters\/[^/]+\/topics$/, () => any],
  ["POST", /^\/v3\/clusters\/[^/]+\/topics$/, () => any],
  ["GET", new RegExp(`^/v3/clusters/[^/]+/topics/${S}$`), topic(Operation.DESCRIBE)],
  ["DELETE", new RegExp(`^/v3/clusters/[^/]+/topics/${S}$`), topic(Operation.DELETE)],
  ["GET", new RegExp(`^/v3/clusters/[^/]+/topics/${S}/configs(/[^/]+)?$`), (t) => topic(Operation.DESCRIBE_CONFIGS)(t)],
  ["PUT", new RegExp(`^/v3/clusters/[^/]+/topics/${S}/configs/[^/]+$`), topic(Operation.ALTER_CONFIGS)],
  ["DELETE", new RegExp(`^/v3/clusters/[^/]+/topics/${S}/configs/[^/]+$`), topic(Operation.ALTER_CONFIGS)],
  ["GET", new RegExp(`^/v3/clusters/[^/]+/topics/${S}/partitions(/[^/]+)?$`), (t) => topic(Operation.DESCRIBE)(t)],
  ["POST", new RegExp(`^/v3/clusters/[^/]+/topics/${S}/records$`), topic(Operation.WRITE)],
  ["POST", new RegExp(`^/v3/clusters/[^/]+/topics/${S}/[^/]+$`), topic(Operation.ALTER)],
  ["GET", /^\/v3\/clusters\/[^/]+\/consumer-groups$/, () => any],
  ["GET", new RegExp(`^/v3/clusters/[^/]+/consumer-groups/${S}(/consumers|/lag-summary|/lags)?$`), (g) => group(Operation.DESCRIBE)(g)],
  // Schema registry (also under /schema-registry)
  ["GET", /^\/schemas\/types$/, () => any],
  // Tokens: the routes check whose (your own, or anyone's with rights on the cluster).
  ["POST", /^\/tokens$/, () => any],
  ["GET", /^\/tokens$/, () => any],
  ["DELETE", /^\/tokens\/[^/]+$/, () => any],
  ["GET", /^\/schemas\/ids\/(\d+)(\/schema|\/versions)?$/, (id) => ({ kind: "schema", id: Number(id) })],
  ["GET", /^\/subjects$/, () => any],
  ["GET", new RegExp(`^/subjects/${S}/versions(/[^/]+(/schema|/referencedby)?)?$`), subject(Operation.DESCRIBE)],
  ["POST", new RegExp(`^/subjects/${S}$`), subject(Operation.DESCRIBE)],
  ["POST", new RegExp(`^/subjects/${S}/versions$`), subject(Operation.WRITE)],
  ["POST", new RegExp(`^/compatibility/subjects/${S}/versions(/[^/]+)?$`), subject(Operation.WRITE)],
  ["DELETE", new RegExp(`^/subjects/${S}(/versions/[^/]+)?$`), subject(Operation.DELETE)],
  ["GET", /^\/(config|mode)$/, () => cluster(Operation.DESCRIBE_CONFIGS)],
  ["PUT", /^\/(config|mode)$/, () => cluster(Operation.ALTER_CONFIGS)],
  ["DELETE", /^\/config$/, () => cluster(Operation.ALTER_CONFIGS)],
  ["GET", new RegExp(`^/(?:config|mode)/${S}$`), subject(Operation.DESCRIBE_CONFIGS)],
  ["PUT", new RegExp(`^/(?:config|mode)/${S}$`), subject(Operation.ALTER_CONFIGS)],
  ["DELETE", new RegExp(`^/(?:config|mode)/${S}$`), subject(Operation.ALTER_CONFIGS)],
];

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** What a request needs, or undefined when no rule covers it (no such route: 404 follows). */
export function needOf(method: string, path: string, metricsOpen: boolean): Need | undefined {
  const bare = path.startsWith("/schema-registry/") ? path.slice("/schema-registry".length) : path;
  if (bare === "/metrics" && method === "GET") return metricsOpen ? open : cluster(Operation.DESCRIBE);
  const m = method === "HEAD" ? "GET" : method;
  for (const [ruleMethod, pattern, need] of RULES) {
    if (ruleMethod !== "*" && ruleMethod !== m) continue;
    const match = pattern.exec(bare);
    if (match) return need(...match.slice(1).map((p) => (p === undefined ? p! : decode(p))));
  }
  return undefined;
}

const SESSION = "tributarySession";

/** The request's principal (anonymous while authentication is off). */
export function sessionOf(c: Context): Session {
  return (c.get(SESSION as never) as Session | undefined) ?? { principal: ANONYMOUS, host: "" };
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 40101, message, {});
}

/** The principal named by the request's Authorization header; 401 when it names none or a wrong one. */
async function authenticate(c: Context, auth: Authentication): Promise<string> {
  const header = c.req.header("authorization") ?? "";
  const from = peerAddress(c.env, c.req.raw);
  const space = header.indexOf(" ");
  const scheme = (space > 0 ? header.slice(0, space) : header).toLowerCase();
  const value = space > 0 ? header.slice(space + 1).trim() : "";
  const locked = async (user: string) => {
    if (!auth.lockedOut(from, user)) return;
    await auth.failureDelay();
    throw new HttpError(429, 42901, `too many failed authentications${user ? ` of ${user.slice(0, 128)}` : ""} from this address in the last minute; try again later`, {});
  };
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const user = colon > 0 ? decoded.slice(0, colon) : "";
    await locked(user);
    const principal = user ? await auth.basic(user, decoded.slice(colon + 1)) : undefined;
    if (principal) return principal;
    auth.failed("BASIC", from, user, "wrong user name or password");
    await auth.failureDelay();
    throw unauthorized("wrong user name or password");
  }
  if (scheme === "bearer") {
    await locked("");
    const checked = auth.store.checkToken(value);
    if ("user" in checked) return `User:${checked.user}`;
    auth.failed("BEARER", from, "", `${checked.problem} token`);
    await auth.failureDelay();
    throw unauthorized(checked.problem === "expired" ? "the token has expired" : checked.problem === "malformed" ? "malformed token" : "unknown or revoked token");
  }
  throw unauthorized("credentials required: Authorization: Basic (user and password) or Bearer (a token of `tributary token create`)");
}

function forbidden(session: Session, op: number, type: number, name: string): HttpError {
  const what = type === ResourceType.CLUSTER ? "the cluster" : `${type === ResourceType.TOPIC ? "topic" : type === ResourceType.GROUP ? "group" : "resource"} ${name}`;
  return new HttpError(403, 40301, `${session.principal} may not ${operationName(op).toLowerCase()} ${what}`);
}

/**
 * Authentication and ACLs for the HTTP API: the middleware every request
 * passes, and the checks routes make for what only their body names (a topic
 * to create, topics to subscribe to) or for lists they filter. Without SASL
 * the API takes no credentials and checks nothing (with client certificates,
 * the TLS handshake admitted the client).
 */
export class HttpAccess {
  constructor(private readonly deps: HttpAuthDeps | undefined) {}

  get enabled(): boolean {
    return this.deps?.authentication.saslEnabled === true;
  }

  middleware(registry: SchemaRegistry) {
    return async (c: Context, next: () => Promise<void>) => {
      const deps = this.deps;
      if (!deps || !this.enabled) return next();
      const need = needOf(c.req.method, c.req.path, deps.metricsOpen);
      if (need === undefined || need.kind === "open") return next();
      const principal = await authenticate(c, deps.authentication);
      const peer = peerAddress(c.env, c.req.raw);
      const session: Session = { principal, host: hostOf(peer) };
      c.set(SESSION as never, session as never);
      if (need.kind === "acl") this.require(c, need.op, need.type, need.name);
      if (need.kind === "schema") {
        let users: { subject: string }[] = [];
        try {
          users = registry.subjectsOfSchema(need.id);
        } catch {
          // an unknown id: the route answers 404
        }
        if (users.length > 0 && !users.some((u) => this.may(c, Operation.DESCRIBE, ResourceType.TOPIC, subjectTopic(u.subject)))) {
          throw forbidden(session, Operation.DESCRIBE, ResourceType.TOPIC, `of a subject of schema ${need.id}`);
        }
      }
      return next();
    };
  }

  /** Whether the request's principal may do `op` on the resource (for lists a route filters). */
  may(c: Context, op: number, type: number, name: string): boolean {
    return !this.enabled || this.deps!.authorizer.allows(sessionOf(c), op, type, name);
  }

  /** 403 unless the request's principal may do `op` on the resource. */
  require(c: Context, op: number, type: number, name: string): void {
    if (!this.may(c, op, type, name)) throw forbidden(sessionOf(c), op, type, name);
  }

  /** The principal for the operations log. */
  principal(c: Context): string {
    return this.enabled ? sessionOf(c).principal : "anonymous";
  }
}
