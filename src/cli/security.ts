// `tributary user`, `tributary acl` and `tributary token`: the users who may
// authenticate, what each may do, and the HTTP tokens that stand for them.
// Offline on a stopped broker's data dir (how the first user is made), or
// against a running broker: users and ACLs over the Kafka protocol
// (AlterUserScramCredentials, CreateAcls, ... as Kafka's own tools use them),
// tokens over its HTTP API. The connection authenticates as TRIBUTARY_USER
// with TRIBUTARY_PASSWORD (SASL TRIBUTARY_SASL_MECHANISM, default
// SCRAM-SHA-512), over TLS when TRIBUTARY_TLS_CA names the CA.

import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Option, type Command } from "commander";
import type { BrokerConfig } from "../config/config.js";
import { DataDirLockedError } from "../log/errors.js";
import { SecurityStore, type TokenInfo } from "../security/security-store.js";
import {
  AclError, CLUSTER_RESOURCE, Operation, PatternType, Permission, ResourceType, describeBinding, operationName, parseName, patternTypeName,
  permissionName, resourceTypeName, type AclBinding, type AclFilter,
} from "../security/acl.js";
import { ITERATIONS_DEFAULT, SCRAM_MECHANISMS, mechanismOfKafkaType, saltedPassword, type ScramMechanism } from "../security/scram.js";
import { KafkaConnection } from "../cluster/kafka-connection.js";
import { openClusterStore } from "../cluster/cluster-config.js";
import type {
  AlterUserScramCredentialsResponse, CreateAclsResponse, DeleteAclsResponse, DescribeAclsResponse, DescribeUserScramCredentialsResponse,
} from "../protocol/generated/message-types.js";
import { kafkaErrorName } from "../protocol/kafka-error-codes.js";
import { addBrokerOptions, brokerOptions } from "./broker-options.js";
import { withLogs } from "./open-logs.js";
import { CliError, printJson, printTable } from "./output.js";
import { LISTENERS_FILE, credentialsFromEnv, listenerOf, tlsFromEnv } from "./kafka-client.js";

interface UserRow {
  user: string;
  mechanisms: string;
  iterations: string;
}

/** What the commands ask, of a data dir or of a running broker. */
interface SecurityAdmin {
  setPassword(user: string, password: string, mechanisms: ScramMechanism[], iterations: number): Promise<void>;
  users(): Promise<UserRow[]>;
  deleteUser(user: string): Promise<void>;
  addAcls(bindings: AclBinding[]): Promise<void>;
  acls(filter: AclFilter): Promise<AclBinding[]>;
  removeAcls(filter: AclFilter): Promise<AclBinding[]>;
  createToken(user: string, expiresMs: number | null): Promise<{ token: string; info: TokenInfo }>;
  tokens(): Promise<TokenInfo[]>;
  revokeToken(id: string): Promise<void>;
  close(): void;
}

function localAdmin(store: SecurityStore): SecurityAdmin {
  return {
    setPassword: (user, password, mechanisms, iterations) => store.setPassword(user, password, mechanisms, iterations),
    users: async () => [...store.users()].map(([user, creds]) => ({
      user, mechanisms: creds.map((c) => c.mechanism).join(","), iterations: creds.map((c) => c.iterations).join(","),
    })),
    deleteUser: async (user) => {
      if (!(await store.deleteUser(user))) throw new CliError(`no user '${user}'`);
    },
    addAcls: (bindings) => store.addAcls(bindings),
    acls: async (filter) => store.acls(filter),
    removeAcls: async (filter) => (await store.removeAcls([filter]))[0]!,
    createToken: (user, expiresMs) => store.createToken(user, expiresMs),
    tokens: async () => store.tokens(),
    revokeToken: async (id) => {
      if (!(await store.revokeToken(id))) throw new CliError(`no token '${id}'`);
    },
    close: () => undefined,
  };
}

function failed(what: string, code: number, message: string | null): CliError {
  return new CliError(`${what}: ${kafkaErrorName(code)}${message ? `: ${message}` : ""}`);
}

async function remoteAdmin(kafkaAddress: string, httpUrl: string | undefined): Promise<SecurityAdmin> {
  const credentials = credentialsFromEnv();
  let connection: KafkaConnection;
  try {
    connection = await KafkaConnection.connect(kafkaAddress, "tributary-cli", 10_000, tlsFromEnv(), credentials);
  } catch (err) {
    throw new CliError(`cannot reach the broker at ${kafkaAddress}: ${(err as Error).message}`);
  }
  const ask = async <T>(apiKey: number, version: number, body: object) => (await connection.request(apiKey, version, body as never, 30_000)) as unknown as T;
  const http = async (method: string, route: string, body?: unknown) => {
    if (!httpUrl) throw new CliError("tokens are kept through the broker's HTTP API: give --http URL (or run on the broker's --data-dir)");
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (credentials) headers.authorization = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString("base64")}`;
    let response: Response;
    try {
      // Bun's fetch takes the CA to trust (TRIBUTARY_TLS_CA); under Node, NODE_EXTRA_CA_CERTS does the same.
      const ca = tlsFromEnv()?.ca;
      response = await fetch(`${httpUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), ...(ca ? { tls: { ca } } : {}) } as RequestInit);
    } catch (err) {
      throw new CliError(`cannot reach ${httpUrl}: ${(err as Error).message}`);
    }
    const answer = await response.json().catch(() => ({})) as Record<string, unknown>;
    if (!response.ok) throw new CliError(`${method} ${route}: ${response.status} ${String(answer.message ?? "")}`);
    return answer;
  };
  const filterBody = (f: AclFilter) => ({
    resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType, principalFilter: f.principal,
    hostFilter: f.host, operation: f.operation, permissionType: f.permission,
  });
  return {
    setPassword: async (user, password, mechanisms, iterations) => {
      const answer = await ask<AlterUserScramCredentialsResponse>(51, 0, {
        deletions: [],
        upsertions: mechanisms.map((m) => {
          const salt = randomBytes(24);
          return { name: user, mechanism: SCRAM_MECHANISMS[m].kafkaType, iterations, salt, saltedPassword: saltedPassword(m, password, salt, iterations) };
        }),
      });
      for (const r of answer.results) if (r.errorCode) throw failed(`setting ${r.user}'s password`, r.errorCode, r.errorMessage);
    },
    users: async () => {
      const answer = await ask<DescribeUserScramCredentialsResponse>(50, 0, { users: null });
      if (answer.errorCode) throw failed("listing users", answer.errorCode, answer.errorMessage);
      return answer.results.map((r) => ({
        user: r.user, mechanisms: r.credentialInfos.map((c) => mechanismOfKafkaType(c.mechanism) ?? c.mechanism).join(","), iterations: r.credentialInfos.map((c) => c.iterations).join(","),
      })).sort((a, b) => a.user.localeCompare(b.user));
    },
    deleteUser: async (user) => {
      const described = await ask<DescribeUserScramCredentialsResponse>(50, 0, { users: [{ name: user }] });
      const found = described.results[0];
      if (!found || found.errorCode) throw failed(`deleting ${user}`, found?.errorCode ?? described.errorCode, found?.errorMessage ?? described.errorMessage);
      const answer = await ask<AlterUserScramCredentialsResponse>(51, 0, { upsertions: [], deletions: found.credentialInfos.map((c) => ({ name: user, mechanism: c.mechanism })) });
      for (const r of answer.results) if (r.errorCode) throw failed(`deleting ${r.user}`, r.errorCode, r.errorMessage);
    },
    addAcls: async (bindings) => {
      const answer = await ask<CreateAclsResponse>(30, 1, {
        creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission })),
      });
      answer.results.forEach((r, i) => {
        if (r.errorCode) throw failed(`adding ${describeBinding(bindings[i]!)}`, r.errorCode, r.errorMessage);
      });
    },
    acls: async (filter) => {
      const answer = await ask<DescribeAclsResponse>(29, 1, filterBody(filter));
      if (answer.errorCode) throw failed("listing ACLs", answer.errorCode, answer.errorMessage);
      return answer.resources.flatMap((r) => r.acls.map((a) => ({
        resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType,
      })));
    },
    removeAcls: async (filter) => {
      const answer = await ask<DeleteAclsResponse>(31, 1, { filters: [filterBody(filter)] });
      const result = answer.filterResults[0]!;
      if (result.errorCode) throw failed("removing ACLs", result.errorCode, result.errorMessage);
      return result.matchingAcls.map((a) => ({ resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host, operation: a.operation, permission: a.permissionType }));
    },
    createToken: async (user, expiresMs) => {
      const answer = await http("POST", "/tokens", { user, expires_at: expiresMs === null ? null : new Date(expiresMs).toISOString() });
      return { token: String(answer.token), info: { id: String(answer.id), user: String(answer.user), createdMs: Date.parse(String(answer.created_at)), expiresMs: answer.expires_at ? Date.parse(String(answer.expires_at)) : null } };
    },
    tokens: async () => {
      const answer = await http("GET", "/tokens") as unknown as { tokens: { id: string; user: string; created_at: string; expires_at: string | null }[] };
      return answer.tokens.map((t) => ({ id: t.id, user: t.user, createdMs: Date.parse(t.created_at), expiresMs: t.expires_at ? Date.parse(t.expires_at) : null }));
    },
    revokeToken: async (id) => void (await http("DELETE", `/tokens/${encodeURIComponent(id)}`)),
    close: () => connection.close(),
  };
}

function httpOf(dataDir: string): string | undefined {
  try {
    const listeners = JSON.parse(fs.readFileSync(path.join(dataDir, LISTENERS_FILE), "utf8")) as { http?: unknown };
    return typeof listeners.http === "string" ? listeners.http : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `work` on the data dir (broker stopped) or, with --broker or a broker serving the data dir, over the network. */
async function withSecurity<T>(options: Record<string, unknown>, work: (admin: SecurityAdmin) => Promise<T>): Promise<T> {
  const config = brokerOptions(options) as Partial<BrokerConfig>;
  const broker = (options.broker as string | undefined) ?? process.env.TRIBUTARY_BROKER;
  const remote = async (kafka: string, http: string | undefined) => {
    const admin = await remoteAdmin(kafka, http);
    try {
      return await work(admin);
    } finally {
      admin.close();
    }
  };
  if (broker) return remote(broker, options.http as string | undefined);
  if (config.kafkaCluster) {
    // Cluster mode: the HTTP tier's users, ACLs and tokens live in the cluster's security topic.
    const cluster = await openClusterStore(config as BrokerConfig, "tributary-cli");
    try {
      return await work(localAdmin(new SecurityStore(cluster.securityStore)));
    } finally {
      await cluster.close();
    }
  }
  const dataDir = config.dataDir ?? "./data";
  try {
    return await withLogs(config, (logs) => work(localAdmin(new SecurityStore(logs.securityStore))));
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    const listener = listenerOf(dataDir);
    if (!listener) throw err;
    return remote(listener, (options.http as string | undefined) ?? httpOf(dataDir));
  }
}

function withTarget(command: Command): Command {
  return addBrokerOptions(command, "--config-file <file>")
    .addOption(new Option("--broker <host:port>", "a running broker's Kafka listener (env TRIBUTARY_BROKER); authenticate with TRIBUTARY_USER and TRIBUTARY_PASSWORD"))
    .addOption(new Option("--http <url>", "a running broker's HTTP API, for tokens (default: the one serving --data-dir)"))
    .addOption(new Option("--kafka-cluster <brokers>", "cluster mode: act on the cluster's security topic, which the HTTP tier in front of it reads (env TRIBUTARY_KAFKA_CLUSTER)"))
    .addOption(new Option("--kafka-cluster-tls", "with --kafka-cluster: over TLS"))
    .addOption(new Option("--kafka-cluster-ca <file>", "with --kafka-cluster-tls: the CA of the brokers' certificates"))
    .addOption(new Option("--kafka-cluster-sasl <mechanism>", "with --kafka-cluster: SASL plain, scram-sha-256 or scram-sha-512 (password in TRIBUTARY_KAFKA_CLUSTER_PASSWORD)"))
    .addOption(new Option("--kafka-cluster-user <user>", "with --kafka-cluster-sasl: the user"));
}

async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (!text) throw new CliError("no password on standard input", 2);
  return text;
}

const MECHANISM_CHOICES = ["scram-sha-256", "scram-sha-512", "all"];

/** "30d", "12h", "90m", "3600s" or an ISO date → epoch ms; "never" → null. */
export function parseExpiry(text: string, now = Date.now()): number | null {
  if (text === "never") return null;
  const match = /^(\d+)([smhd])$/.exec(text);
  if (match) return now + Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s"]!;
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new CliError(`--expires '${text}': give 30d, 12h, 90m, 3600s, an ISO date or never`, 2);
  if (at <= now) throw new CliError(`--expires '${text}' is in the past`, 2);
  return at;
}

function bindingsFrom(options: Record<string, unknown>, forFilter: boolean): { bindings: AclBinding[]; filter: AclFilter } {
  const targets: [number, string][] = [];
  if (options.topic) targets.push([ResourceType.TOPIC, String(options.topic)]);
  if (options.group) targets.push([ResourceType.GROUP, String(options.group)]);
  if (options.transactionalId) targets.push([ResourceType.TRANSACTIONAL_ID, String(options.transactionalId)]);
  if (options.cluster) targets.push([ResourceType.CLUSTER, CLUSTER_RESOURCE]);
  if (targets.length > 1) throw new CliError("name one resource: --topic, --group, --transactional-id or --cluster", 2);
  if (!forFilter && targets.length === 0) throw new CliError("name the resource: --topic NAME, --group NAME, --transactional-id ID or --cluster", 2);
  if (!forFilter && !options.principal) throw new CliError("name the principal: --principal User:NAME", 2);
  if (options.allow && options.deny) throw new CliError("--allow or --deny, not both", 2);
  let operations: number[];
  try {
    operations = options.operation ? String(options.operation).split(",").map((o) => parseName(Operation, "operation", o)) : [];
  } catch (err) {
    if (err instanceof AclError) throw new CliError(err.message, 2);
    throw err;
  }
  if (!forFilter && operations.length === 0) throw new CliError("name the operation(s): --operation read,write,...", 2);
  const [resourceType, resourceName] = targets[0] ?? [ResourceType.ANY, null];
  const patternType = options.prefixed ? PatternType.PREFIXED : targets.length ? PatternType.LITERAL : PatternType.ANY;
  const permission = options.deny ? Permission.DENY : options.allow || !forFilter ? Permission.ALLOW : Permission.ANY;
  const principal = (options.principal as string | undefined) ?? null;
  const host = (options.host as string | undefined) ?? (forFilter ? null : "*");
  const filter: AclFilter = { resourceType, resourceName, patternType: forFilter && !options.prefixed ? PatternType.ANY : patternType, principal, host, operation: operations.length === 1 ? operations[0]! : Operation.ANY, permission };
  const bindings = operations.map((operation) => ({ resourceType, resourceName: resourceName ?? "", patternType, principal: principal ?? "", host: host ?? "*", operation, permission }));
  return { bindings, filter };
}

function aclRows(bindings: AclBinding[]) {
  return bindings.map((b) => ({
    principal: b.principal, host: b.host, permission: permissionName(b.permission).toLowerCase(), operation: operationName(b.operation).toLowerCase(),
    resource: resourceTypeName(b.resourceType).toLowerCase(), name: b.resourceName, pattern: patternTypeName(b.patternType).toLowerCase(),
  }));
}

function aclTargetOptions(command: Command): Command {
  return command
    .addOption(new Option("--principal <principal>", "User:NAME (User:* for everyone)"))
    .addOption(new Option("--host <ip>", "the client address the ACL applies to (default * for any)"))
    .addOption(new Option("--operation <ops>", "read, write, create, delete, alter, describe, describe-configs, alter-configs, idempotent-write, cluster-action, all (comma-separated)"))
    .addOption(new Option("--topic <name>", "a topic (with --prefixed: every topic whose name starts so)"))
    .addOption(new Option("--group <name>", "a consumer group"))
    .addOption(new Option("--transactional-id <id>", "a transactional id"))
    .addOption(new Option("--cluster", "the cluster"))
    .addOption(new Option("--prefixed", "the name is a prefix"))
    .addOption(new Option("--allow", "allow (the default)"))
    .addOption(new Option("--deny", "deny (deny wins over allow)"))
    .addOption(new Option("--json", "print JSON"));
}

export function registerSecurity(program: Command): void {
  const user = program.command("user").description("users who may authenticate (SASL PLAIN and SCRAM, HTTP Basic)");
  withTarget(user.command("create").description("create a user, or set an existing user's password (read from standard input)")
    .argument("<name>", "user name")
    .requiredOption("--password-stdin", "read the password from standard input")
    .addOption(new Option("--mechanism <mechanism>", "SCRAM credential(s) to store").choices(MECHANISM_CHOICES).default("all"))
    .addOption(new Option("--iterations <n>", "PBKDF2 iterations (4096-16384)").default(String(ITERATIONS_DEFAULT))))
    .action(async (name: string, options: Record<string, unknown>) => {
      const password = await readPassword();
      const mechanisms: ScramMechanism[] = options.mechanism === "all" ? ["SCRAM-SHA-256", "SCRAM-SHA-512"] : [String(options.mechanism).toUpperCase() as ScramMechanism];
      await withSecurity(options, (admin) => admin.setPassword(name, password, mechanisms, Number(options.iterations)));
      process.stdout.write(`user ${name}: ${mechanisms.join(", ")} credentials stored (the password itself is not)\n`);
    });
  withTarget(user.command("list").description("users and their SCRAM mechanisms").addOption(new Option("--json", "print JSON")))
    .action(async (options: Record<string, unknown>) => {
      const rows = await withSecurity(options, (admin) => admin.users());
      if (options.json) printJson(rows);
      else printTable(rows as unknown as Record<string, unknown>[]);
    });
  withTarget(user.command("delete").description("delete a user (and its tokens)").argument("<name>", "user name"))
    .action(async (name: string, options: Record<string, unknown>) => {
      await withSecurity(options, (admin) => admin.deleteUser(name));
      process.stdout.write(`user ${name} deleted\n`);
    });

  const acl = program.command("acl").description("access control lists in Kafka's model (principal, host, operation, allow/deny, resource)");
  withTarget(aclTargetOptions(acl.command("add").description("allow or deny principals operations on a resource")))
    .action(async (options: Record<string, unknown>) => {
      const { bindings } = bindingsFrom(options, false);
      await withSecurity(options, (admin) => admin.addAcls(bindings));
      for (const b of bindings) process.stdout.write(`added: ${describeBinding(b)}\n`);
    });
  withTarget(aclTargetOptions(acl.command("list").description("ACLs, all or those matching the options")))
    .action(async (options: Record<string, unknown>) => {
      const bindings = await withSecurity(options, (admin) => admin.acls(bindingsFrom(options, true).filter));
      if (options.json) printJson(aclRows(bindings));
      else printTable(aclRows(bindings));
    });
  withTarget(aclTargetOptions(acl.command("remove").description("remove the ACLs matching the options")))
    .action(async (options: Record<string, unknown>) => {
      const { filter } = bindingsFrom(options, true);
      if (filter.resourceType === ResourceType.ANY && filter.principal === null) throw new CliError("name a resource or a principal: removing every ACL at once is not done here", 2);
      const removed = await withSecurity(options, (admin) => admin.removeAcls(filter));
      if (removed.length === 0) throw new CliError("no ACL matched");
      for (const b of removed) process.stdout.write(`removed: ${describeBinding(b)}\n`);
    });

  const token = program.command("token").description("bearer tokens for the HTTP API, each standing for a user");
  withTarget(token.command("create").description("create a token (printed once; only its hash is kept)")
    .requiredOption("--user <name>", "the user the token stands for")
    .addOption(new Option("--expires <when>", "30d, 12h, 90m, 3600s, an ISO date, or never").default("90d"))
    .addOption(new Option("--json", "print JSON")))
    .action(async (options: Record<string, unknown>) => {
      const expiresMs = parseExpiry(String(options.expires));
      const { token: text, info } = await withSecurity(options, (admin) => admin.createToken(String(options.user), expiresMs));
      if (options.json) printJson({ token: text, id: info.id, user: info.user, expires_at: info.expiresMs === null ? null : new Date(info.expiresMs).toISOString() });
      else process.stdout.write(`${text}\n`);
    });
  withTarget(token.command("list").description("tokens (ids, users, expiry; never the secrets)").addOption(new Option("--json", "print JSON")))
    .action(async (options: Record<string, unknown>) => {
      const rows = (await withSecurity(options, (admin) => admin.tokens())).map((t) => ({
        id: t.id, user: t.user, created_at: new Date(t.createdMs).toISOString(), expires_at: t.expiresMs === null ? "never" : new Date(t.expiresMs).toISOString(),
      }));
      if (options.json) printJson(rows);
      else printTable(rows);
    });
  withTarget(token.command("revoke").description("revoke a token: it stops working at once").argument("<id>", "the token's id (token list)"))
    .action(async (id: string, options: Record<string, unknown>) => {
      await withSecurity(options, (admin) => admin.revokeToken(id));
      process.stdout.write(`token ${id} revoked\n`);
    });
}
