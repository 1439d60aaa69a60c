// Users, ACLs and HTTP tokens, kept in the broker's security topic (a
// compacted internal topic, as Kafka keeps SCRAM credentials and ACLs in its
// metadata log): `user/NAME/MECHANISM` holds a SCRAM credential, `acl/…` a
// binding, `token/ID` a token's owner, expiry and the SHA-256 of its secret.
// No password and no token secret is ever stored.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { KeyValueStore } from "../log/store.js";
import { AclError, checkBinding, filterMatches, type AclBinding, type AclFilter } from "./acl.js";
import { ITERATIONS_DEFAULT, ITERATIONS_MAX, ITERATIONS_MIN, SCRAM_MECHANISMS, newCredential, passwordMatches, type ScramCredential, type ScramMechanism } from "./scram.js";

export interface TokenRecord {
  user: string;
  /** SHA-256 of the secret, hex. */
  secretHash: string;
  createdMs: number;
  /** Epoch ms after which the token no longer works; null: never. */
  expiresMs: number | null;
}

export interface TokenInfo extends Omit<TokenRecord, "secretHash"> {
  id: string;
}

export class SecurityError extends Error {}

const USER_NAME = /^[^\s/\0]{1,256}$/u;
const TOKEN_PREFIX = "trb";

export function checkUserName(name: string): void {
  if (!USER_NAME.test(name)) throw new SecurityError(`user name '${name.slice(0, 64)}' must be 1 to 256 characters without spaces or '/'`);
}

function aclKey(b: AclBinding): string {
  return `acl/${JSON.stringify([b.resourceType, b.patternType, b.resourceName, b.principal, b.host, b.operation, b.permission])}`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class SecurityStore {
  private listeners: (() => void)[] = [];
  /** Bumped on every change: caches of verified passwords are dropped with it. */
  version = 0;

  constructor(private readonly store: KeyValueStore<unknown>) {}

  /** Called after every change made here or read from elsewhere (another instance, a restart). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Tells the listeners that the store's content changed underneath (re-read from its topic). */
  changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  private async put(changes: [string, unknown][]): Promise<void> {
    await this.store.put(changes);
    this.changed();
  }

  // Users

  credential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.store.get(`user/${user}/${mechanism}`) as ScramCredential | undefined;
  }

  credentials(user: string): ScramCredential[] {
    return (Object.keys(SCRAM_MECHANISMS) as ScramMechanism[]).map((m) => this.credential(user, m)).filter((c): c is ScramCredential => c !== undefined);
  }

  /** Users and the mechanisms each has a credential for, by name. */
  users(): Map<string, ScramCredential[]> {
    const users = new Map<string, ScramCredential[]>();
    for (const [key, value] of this.store.entries()) {
      if (!key.startsWith("user/")) continue;
      const name = key.slice(5, key.lastIndexOf("/"));
      users.set(name, [...(users.get(name) ?? []), value as ScramCredential]);
    }
    return new Map([...users].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Creates or replaces the user's credentials for the mechanisms given, from a password (never stored). */
  async setPassword(user: string, password: string, mechanisms: ScramMechanism[], iterations = ITERATIONS_DEFAULT): Promise<void> {
    checkUserName(user);
    if (password.length === 0) throw new SecurityError("the password is empty");
    checkIterations(iterations);
    await this.put(mechanisms.map((m) => [`user/${user}/${m}`, newCredential(m, password, iterations)]));
  }

  /** Stores credentials as computed elsewhere (AlterUserScramCredentials sends salted passwords). */
  async putCredentials(changes: { user: string; mechanism: ScramMechanism; credential: ScramCredential | null }[]): Promise<void> {
    for (const c of changes) checkUserName(c.user);
    await this.put(changes.map((c) => [`user/${c.user}/${c.mechanism}`, c.credential]));
  }

  /** Deletes the user's credentials and tokens; false when there was no such user. */
  async deleteUser(user: string): Promise<boolean> {
    const keys = [...this.store.entries()].filter(([key, value]) =>
      key.startsWith(`user/${user}/`) && key.lastIndexOf("/") === `user/${user}`.length || key.startsWith("token/") && (value as TokenRecord).user === user).map(([key]) => key);
    if (!keys.some((k) => k.startsWith("user/"))) return false;
    await this.put(keys.map((k) => [k, null]));
    return true;
  }

  /** Whether `password` is the user's (any of its SCRAM credentials; PBKDF2 as slow as a SCRAM login). */
  async checkPassword(user: string, password: string): Promise<boolean> {
    const credential = this.credentials(user).at(-1);
    return credential !== undefined && passwordMatches(credential, password);
  }

  // ACLs

  acls(filter?: AclFilter): AclBinding[] {
    const all: AclBinding[] = [];
    for (const [key, value] of this.store.entries()) if (key.startsWith("acl/")) all.push(value as AclBinding);
    return filter ? all.filter((b) => filterMatches(filter, b)) : all;
  }

  /** Adds bindings (one already present is kept once); AclError naming the first bad one. */
  async addAcls(bindings: AclBinding[]): Promise<void> {
    for (const b of bindings) checkBinding(b);
    await this.put(bindings.map((b) => [aclKey(b), { ...b }]));
  }

  /** Removes the bindings matching each filter; what each removed. */
  async removeAcls(filters: AclFilter[]): Promise<AclBinding[][]> {
    const removed = filters.map((f) => this.acls(f));
    const keys = new Set(removed.flat().map(aclKey));
    if (keys.size) await this.put([...keys].map((k) => [k, null]));
    return removed;
  }

  // Tokens

  /** A new token for `user`: its secret is in the returned text only. */
  async createToken(user: string, expiresMs: number | null): Promise<{ token: string; info: TokenInfo }> {
    if (this.credentials(user).length === 0) throw new SecurityError(`user '${user}' does not exist`);
    const id = randomBytes(8).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const record: TokenRecord = { user, secretHash: sha256(secret), createdMs: Date.now(), expiresMs };
    await this.put([[`token/${id}`, record]]);
    return { token: `${TOKEN_PREFIX}_${id}_${secret}`, info: { id, user, createdMs: record.createdMs, expiresMs } };
  }

  tokens(): TokenInfo[] {
    const tokens: TokenInfo[] = [];
    for (const [key, value] of this.store.entries()) {
      if (!key.startsWith("token/")) continue;
      const { secretHash: _, ...rest } = value as TokenRecord;
      tokens.push({ id: key.slice(6), ...rest });
    }
    return tokens.sort((a, b) => a.createdMs - b.createdMs);
  }

  async revokeToken(id: string): Promise<boolean> {
    if (this.store.get(`token/${id}`) === undefined) return false;
    await this.put([[`token/${id}`, null]]);
    return true;
  }

  /** The user a token stands for, or why it does not. */
  checkToken(token: string, nowMs = Date.now()): { user: string } | { problem: "malformed" | "unknown" | "expired" } {
    const match = /^trb_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return { problem: "malformed" };
    const record = this.store.get(`token/${match[1]}`) as TokenRecord | undefined;
    if (!record || !timingSafeEqual(Buffer.from(record.secretHash, "hex"), Buffer.from(sha256(match[2]!), "hex"))) return { problem: "unknown" };
    if (record.expiresMs !== null && nowMs >= record.expiresMs) return { problem: "expired" };
    return { user: record.user };
  }
}

export function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < ITERATIONS_MIN || iterations > ITERATIONS_MAX) {
    throw new SecurityError(`iterations must be an integer in [${ITERATIONS_MIN}, ${ITERATIONS_MAX}]`);
  }
}

export { AclError };
