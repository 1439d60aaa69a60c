// Who a client is: SASL exchanges for the Kafka listener (PLAIN, SCRAM-SHA-256,
// SCRAM-SHA-512), HTTP Basic and Bearer for the HTTP API, all against the
// users of the security store. Failed attempts are logged (principal,
// address, mechanism), at most a few lines per address a minute, counted for
// /metrics, answered only after a delay, and limited per address: an address
// past its failures of the minute (a minute from its first failure) is
// refused without a check until that minute ends, so guessing passwords is slow and cannot make the broker run
// PBKDF2 without end.

import { createHash } from "node:crypto";
import { opsLog } from "../ops/ops-log.js";
import { ScramError, ScramServer, isScramMechanism, type ScramMechanism } from "./scram.js";
import type { SecurityStore } from "./security-store.js";
import { hostOf } from "./acl.js";

export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export function isSaslMechanism(name: string): name is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(name);
}

export class AuthenticationError extends Error {}

/** Refused unchecked: the user failed too often from this address this minute (not counted as another failure). */
export class LockedOutError extends AuthenticationError {}

/** One SASL exchange on one connection: step() until it names the principal. */
export interface SaslExchange {
  readonly mechanism: SaslMechanism;
  /** The reply to the client's bytes, and the principal once authenticated; AuthenticationError when refused. */
  step(bytes: Buffer): Promise<{ reply: Buffer; principal?: string }>;
  /** The user named so far (for the failure's log line). */
  readonly userName: string;
}

/** Refuses a user name locked out from the client's address (AuthenticationError), before any password is checked. */
type Gate = (user: string) => void;

class PlainExchange implements SaslExchange {
  readonly mechanism = "PLAIN";
  userName = "";

  constructor(private readonly store: SecurityStore, private readonly gate: Gate) {}

  async step(bytes: Buffer): Promise<{ reply: Buffer; principal?: string }> {
    const parts = bytes.toString("utf8").split("\0");
    if (parts.length !== 3 || !parts[1] || !parts[2]) throw new AuthenticationError("malformed PLAIN message (authzid NUL user NUL password)");
    const [authzid, user, password] = parts as [string, string, string];
    this.userName = user;
    if (authzid && authzid !== user) throw new AuthenticationError("an authorization id other than the user name is not supported");
    this.gate(user);
    if (!(await this.store.checkPassword(user, password))) throw new AuthenticationError("invalid credentials");
    return { reply: Buffer.alloc(0), principal: `User:${user}` };
  }
}

class ScramExchange implements SaslExchange {
  private readonly server: ScramServer;

  constructor(readonly mechanism: ScramMechanism, store: SecurityStore, private readonly gate: Gate) {
    this.server = new ScramServer(mechanism, (user) => store.credential(user, mechanism));
  }

  get userName(): string {
    return this.server.userName;
  }

  async step(bytes: Buffer): Promise<{ reply: Buffer; principal?: string }> {
    try {
      const { reply, done } = this.server.step(bytes);
      // The user is named in the first message: a locked-out one goes no further.
      this.gate(this.server.userName);
      return done ? { reply, principal: `User:${this.server.userName}` } : { reply };
    } catch (err) {
      if (err instanceof ScramError) throw new AuthenticationError(err.message);
      throw err;
    }
  }
}

export interface AuthenticationOptions {
  /** The SASL mechanisms Kafka clients may use; none: authentication is off. */
  mechanisms: SaslMechanism[];
  /** Clients present a certificate signed by the configured CA (mutual TLS). */
  clientCertificates: boolean;
  /** Longest a Kafka session lasts before the client must re-authenticate (connections.max.reauth.ms); 0: no limit. */
  reauthMs: number;
  /** A Kafka connection that has not authenticated this long after it opened is closed. */
  authenticationTimeoutMs?: number;
  /** Failed authentications one address may have in a minute; past it, its attempts are refused unchecked until the minute ends. */
  failuresPerMinuteMax?: number;
  /** How long a failed attempt waits before it is answered (Kafka's connection.failed.authentication.delay.ms). */
  failureDelayMs?: number;
}

const FAILURE_LINES_PER_MINUTE = 5;
const VERIFIED_CACHE_MAX = 10_000;
const VERIFIED_FOR_MS = 5 * 60_000;

export class Authentication {
  /** Failed attempts by mechanism (PLAIN, SCRAM-…, BASIC, BEARER, TLS). */
  readonly failures = new Map<string, number>();
  /** Per client address and user name: failures in the minute from the first one. */
  private readonly lockouts = new Map<string, { sinceMs: number; failures: number }>();
  /** Per client address: the minute its failures are counted in (from its first failure), log lines written, lines left out, failures. */
  private readonly failureLines = new Map<string, { sinceMs: number; lines: number; suppressed: number; failures: number }>();
  /** sha256(user NUL password) of recently verified Basic credentials, so that each HTTP request does not cost a PBKDF2 run. */
  private readonly verified = new Map<string, { user: string; untilMs: number; version: number }>();

  constructor(readonly store: SecurityStore, readonly options: AuthenticationOptions) {}

  /** Whether clients must say who they are. */
  get enabled(): boolean {
    return this.options.mechanisms.length > 0 || this.options.clientCertificates;
  }

  get saslEnabled(): boolean {
    return this.options.mechanisms.length > 0;
  }

  /** A new exchange for `mechanism`, or undefined when it is not enabled. */
  saslExchange(mechanism: string, address: string): SaslExchange | undefined {
    if (!isSaslMechanism(mechanism) || !this.options.mechanisms.includes(mechanism)) return undefined;
    const gate: Gate = (user) => {
      if (this.lockedOut(address, user)) throw new LockedOutError(`too many failed authentications of ${user.slice(0, 128)} from ${hostOf(address)} in the last minute; try again later`);
    };
    return mechanism === "PLAIN" ? new PlainExchange(this.store, gate) : isScramMechanism(mechanism) ? new ScramExchange(mechanism, this.store, gate) : undefined;
  }

  /** HTTP Basic: the principal, or undefined for wrong credentials. */
  async basic(user: string, password: string): Promise<string | undefined> {
    const key = createHash("sha256").update(`${user}\0${password}`).digest("hex");
    const now = Date.now();
    const hit = this.verified.get(key);
    if (hit && hit.untilMs > now && hit.version === this.store.version) return `User:${hit.user}`;
    if (!(await this.store.checkPassword(user, password))) return undefined;
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
    this.verified.set(key, { user, untilMs: now + VERIFIED_FOR_MS, version: this.store.version });
    return `User:${user}`;
  }

  /** Whether `user` has failed from `address` ("ip:port") too often this minute: its attempts are refused unchecked. ("" for tokens.) */
  lockedOut(address: string, user: string): boolean {
    const entry = this.lockouts.get(`${hostOf(address)}\u0000${user}`);
    return entry !== undefined && Date.now() - entry.sinceMs < 60_000 && entry.failures >= (this.options.failuresPerMinuteMax ?? 20);
  }

  /** Waits as long as a failed attempt waits before it is answered. */
  failureDelay(): Promise<void> {
    const ms = this.options.failureDelayMs ?? 100;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  /** Counts a failed attempt and logs it, a few lines per address a minute at most. */
  failed(mechanismGiven: string, address: string, principalGiven: string, reason: string): void {
    // What a client sent may be long and odd: cut for the log and the metric's label.
    const mechanism = isSaslMechanism(mechanismGiven) || ["SASL", "TLS", "BASIC", "BEARER"].includes(mechanismGiven) ? mechanismGiven : "OTHER";
    const principal = principalGiven.slice(0, 128);
    this.failures.set(mechanism, (this.failures.get(mechanism) ?? 0) + 1);
    const host = hostOf(address);
    const now = Date.now();
    let entry = this.failureLines.get(host);
    if (!entry || now - entry.sinceMs >= 60_000) {
      if (entry?.suppressed) opsLog("auth").warn({ from: host, suppressed: entry.suppressed }, `${entry.suppressed} more failed authentications from ${host} were not logged`);
      if (this.failureLines.size > 10_000) this.failureLines.clear();
      entry = { sinceMs: now, lines: 0, suppressed: 0, failures: 0 };
      this.failureLines.set(host, entry);
    }
    entry.failures++;
    const lockoutKey = `${host}\u0000${principal}`;
    let lockout = this.lockouts.get(lockoutKey);
    if (!lockout || now - lockout.sinceMs >= 60_000) {
      if (this.lockouts.size > 100_000) this.lockouts.clear();
      lockout = { sinceMs: now, failures: 0 };
      this.lockouts.set(lockoutKey, lockout);
    }
    lockout.failures++;
    if (entry.lines >= FAILURE_LINES_PER_MINUTE) {
      entry.suppressed++;
      return;
    }
    entry.lines++;
    opsLog("auth").warn({ principal: principal || undefined, from: address, mechanism }, `authentication failed: ${principal || "(no user)"} from ${address} with ${mechanism}: ${reason}`);
  }
}
