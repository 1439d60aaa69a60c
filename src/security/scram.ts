// SCRAM (RFC 5802, RFC 7677) as Kafka uses it for SASL: SCRAM-SHA-256 and
// SCRAM-SHA-512, credentials kept only as salt, iterations, StoredKey and
// ServerKey. The server side of the exchange for the listener, the client side
// for the CLI and for reaching a Kafka cluster, and the password check that
// PLAIN and HTTP Basic use against the same salted, slow credential.

import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

interface MechanismInfo {
  hash: "sha256" | "sha512";
  keyBytes: number;
  /** The mechanism's number in Kafka's AlterUserScramCredentials and DescribeUserScramCredentials. */
  kafkaType: number;
}

export const SCRAM_MECHANISMS: Record<ScramMechanism, MechanismInfo> = {
  "SCRAM-SHA-256": { hash: "sha256", keyBytes: 32, kafkaType: 1 },
  "SCRAM-SHA-512": { hash: "sha512", keyBytes: 64, kafkaType: 2 },
};

/** Kafka's bounds on SCRAM iterations. */
export const ITERATIONS_MIN = 4096;
export const ITERATIONS_MAX = 16384;
export const ITERATIONS_DEFAULT = 8192;

export function isScramMechanism(name: string): name is ScramMechanism {
  return Object.hasOwn(SCRAM_MECHANISMS, name);
}

export function mechanismOfKafkaType(type: number): ScramMechanism | undefined {
  return (Object.keys(SCRAM_MECHANISMS) as ScramMechanism[]).find((m) => SCRAM_MECHANISMS[m].kafkaType === type);
}

/** What is stored of a password: never the password, nor anything a client could log in with. */
export interface ScramCredential {
  mechanism: ScramMechanism;
  salt: string; // base64
  iterations: number;
  storedKey: string; // base64
  serverKey: string; // base64
}

function hmac(hash: string, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

/** The credential for a salted password (SaltedPassword = Hi(password, salt, i)), as AlterUserScramCredentials sends it. */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salt: Buffer, iterations: number, saltedPassword: Buffer): ScramCredential {
  const { hash } = SCRAM_MECHANISMS[mechanism];
  const clientKey = hmac(hash, saltedPassword, "Client Key");
  return {
    mechanism,
    salt: salt.toString("base64"),
    iterations,
    storedKey: createHash(hash).update(clientKey).digest("base64"),
    serverKey: hmac(hash, saltedPassword, "Server Key").toString("base64"),
  };
}

export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  const { hash, keyBytes } = SCRAM_MECHANISMS[mechanism];
  return pbkdf2Sync(Buffer.from(password.normalize("NFKC"), "utf8"), salt, iterations, keyBytes, hash);
}

export function newCredential(mechanism: ScramMechanism, password: string, iterations = ITERATIONS_DEFAULT): ScramCredential {
  const salt = randomBytes(24);
  return credentialFromSaltedPassword(mechanism, salt, iterations, saltedPassword(mechanism, password, salt, iterations));
}

/** Whether `password` is the one the credential was made from (PLAIN, HTTP Basic): as slow as a SCRAM login, off the event loop. */
export async function passwordMatches(credential: ScramCredential, password: string): Promise<boolean> {
  const { hash, keyBytes } = SCRAM_MECHANISMS[credential.mechanism];
  const salted = await pbkdf2Async(Buffer.from(password.normalize("NFKC"), "utf8"), Buffer.from(credential.salt, "base64"), credential.iterations, keyBytes, hash);
  const made = credentialFromSaltedPassword(credential.mechanism, Buffer.from(credential.salt, "base64"), credential.iterations, salted);
  return timingSafeEqual(Buffer.from(made.storedKey, "base64"), Buffer.from(credential.storedKey, "base64"));
}

export class ScramError extends Error {}

/** `a=1,b=2` → {a: "1", b: "2"} (a value may hold '='; extensions have longer names). */
function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 1) throw new ScramError(`malformed SCRAM attribute '${part.slice(0, 32)}'`);
    map.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return map;
}

/** saslname decoding: =2C is ',', =3D is '='; any other '=' is an error. */
function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramError("malformed user name");
  return name.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

function encodeSaslName(name: string): string {
  return name.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

/**
 * The server's side of one SCRAM exchange: the client's first message in,
 * the server's first out; the client's final in, the server's final out (or a
 * ScramError). `lookup` finds the user's credential for this mechanism.
 */
export class ScramServer {
  private state: "first" | "final" | "done" = "first";
  private user = "";
  private credential: ScramCredential | undefined;
  private nonce = "";
  private clientFirstBare = "";
  private serverFirst = "";
  /** Set when the client's first message names a token (Kafka's tokenauth extension), which Tributary does not issue over Kafka. */
  tokenAuth = false;

  /** `serverNonce`: the server's part of the nonce (random unless given: RFC test vectors give one). */
  constructor(readonly mechanism: ScramMechanism, private readonly lookup: (user: string) => ScramCredential | undefined,
    private readonly serverNonce = randomBytes(18).toString("base64url")) {}

  get userName(): string {
    return this.user;
  }

  /** The answer to the client's next message; `done` once the client is authenticated. */
  step(message: Buffer): { reply: Buffer; done: boolean } {
    const text = message.toString("utf8");
    if (this.state === "first") return { reply: Buffer.from(this.first(text), "utf8"), done: false };
    if (this.state === "final") return { reply: Buffer.from(this.final(text), "utf8"), done: true };
    throw new ScramError("the SCRAM exchange is already complete");
  }

  private first(text: string): string {
    // gs2-header: "n," or "y," (no channel binding), then an optional "a=authzid", then ",".
    const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
    if (!match) throw new ScramError(text.startsWith("p=") ? "channel binding is not supported" : "malformed client-first-message");
    this.clientFirstBare = match[3]!;
    const attrs = attributes(this.clientFirstBare);
    if (attrs.has("m")) throw new ScramError("mandatory SCRAM extensions are not supported");
    const user = attrs.get("n");
    const clientNonce = attrs.get("r");
    if (!user || !clientNonce || !PRINTABLE_NONCE.test(clientNonce)) throw new ScramError("the client-first-message lacks a user name or a nonce");
    this.user = decodeSaslName(user);
    const authzid = match[2] ? decodeSaslName(match[2].slice(2)) : "";
    if (authzid && authzid !== this.user) throw new ScramError("an authorization id other than the user name is not supported");
    this.tokenAuth = attrs.get("tokenauth") === "true";
    this.credential = this.lookup(this.user);
    // An unknown user still gets a salt and goes on to fail at the proof, as a known one would with a wrong password.
    const salt = this.credential ? this.credential.salt : createHash("sha256").update(`unknown:${this.user}`).digest("base64");
    const iterations = this.credential?.iterations ?? ITERATIONS_DEFAULT;
    this.nonce = clientNonce + this.serverNonce;
    this.serverFirst = `r=${this.nonce},s=${salt},i=${iterations}`;
    this.state = "final";
    return this.serverFirst;
  }

  private final(text: string): string {
    this.state = "done";
    const proofAt = text.lastIndexOf(",p=");
    if (proofAt < 0) throw new ScramError("the client-final-message lacks a proof");
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    // Kafka accepts a final nonce that ends with the server's (some librdkafka versions send the client nonce twice over).
    if (!(attrs.get("r") ?? "").endsWith(this.nonce)) throw new ScramError("the nonce does not match");
    const proof = Buffer.from(text.slice(proofAt + 3), "base64");
    if (!this.credential || this.tokenAuth) throw new ScramError("authentication failed");
    const { hash, keyBytes } = SCRAM_MECHANISMS[this.mechanism];
    if (proof.length !== keyBytes) throw new ScramError("authentication failed");
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const storedKey = Buffer.from(this.credential.storedKey, "base64");
    const clientSignature = hmac(hash, storedKey, authMessage);
    const clientKey = Buffer.alloc(keyBytes);
    for (let i = 0; i < keyBytes; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    if (!timingSafeEqual(createHash(hash).update(clientKey).digest(), storedKey)) throw new ScramError("authentication failed");
    return `v=${hmac(hash, Buffer.from(this.credential.serverKey, "base64"), authMessage).toString("base64")}`;
  }
}

/** The client's side of a SCRAM exchange: first(), then final(serverFirst), then check(serverFinal). */
export class ScramClient {
  private clientFirstBare = "";
  private serverSignature: Buffer | undefined;

  constructor(readonly mechanism: ScramMechanism, private readonly user: string, private readonly password: string,
    private readonly nonce = randomBytes(24).toString("base64url")) {}

  first(): Buffer {
    this.clientFirstBare = `n=${encodeSaslName(this.user)},r=${this.nonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`, "utf8");
  }

  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString("utf8");
    const attrs = attributes(text);
    const nonce = attrs.get("r") ?? "";
    const salt = Buffer.from(attrs.get("s") ?? "", "base64");
    const iterations = Number(attrs.get("i"));
    if (!nonce.startsWith(this.nonce) || salt.length === 0 || !Number.isInteger(iterations) || iterations < 1) {
      throw new ScramError(attrs.has("e") ? `the server refused: ${attrs.get("e")}` : "malformed server-first-message");
    }
    if (iterations > 10 * ITERATIONS_MAX) throw new ScramError(`the server asks for ${iterations} iterations`);
    const { hash, keyBytes } = SCRAM_MECHANISMS[this.mechanism];
    const salted = saltedPassword(this.mechanism, this.password, salt, iterations);
    const clientKey = hmac(hash, salted, "Client Key");
    const storedKey = createHash(hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const signature = hmac(hash, storedKey, authMessage);
    const proof = Buffer.alloc(keyBytes);
    for (let i = 0; i < keyBytes; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.serverSignature = hmac(hash, hmac(hash, salted, "Server Key"), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString("base64")}`, "utf8");
  }

  /** Throws unless the server proved it knows the credential too. */
  check(serverFinal: Buffer): void {
    const attrs = attributes(serverFinal.toString("utf8"));
    if (attrs.has("e")) throw new ScramError(`the server refused: ${attrs.get("e")}`);
    const v = Buffer.from(attrs.get("v") ?? "", "base64");
    if (!this.serverSignature || v.length !== this.serverSignature.length || !timingSafeEqual(v, this.serverSignature)) {
      throw new ScramError("the server's signature does not match: it does not hold this user's credential");
    }
  }
}
