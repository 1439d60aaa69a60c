// SCRAM against RFC 7677's SCRAM-SHA-256 example, both sides, and the
// exchanges a client may get wrong.
import { describe, expect, it } from "vitest";
import { ScramClient, ScramError, ScramServer, credentialFromSaltedPassword, newCredential, passwordMatches, saltedPassword } from "../../../src/security/scram.js";

// RFC 7677, section 3: user "user", password "pencil".
const SALT = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
const CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO";
const SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const rfcCredential = credentialFromSaltedPassword("SCRAM-SHA-256", SALT, 4096, saltedPassword("SCRAM-SHA-256", "pencil", SALT, 4096));

describe("SCRAM", () => {
  it("reproduces RFC 7677's SCRAM-SHA-256 exchange on the client and the server side", () => {
    const client = new ScramClient("SCRAM-SHA-256", "user", "pencil", CLIENT_NONCE);
    const server = new ScramServer("SCRAM-SHA-256", (user) => (user === "user" ? rfcCredential : undefined), SERVER_NONCE);
    const clientFirst = client.first();
    expect(clientFirst.toString()).toBe("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const serverFirst = server.step(clientFirst);
    expect(serverFirst.reply.toString()).toBe("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
    const clientFinal = client.final(serverFirst.reply);
    expect(clientFinal.toString()).toBe("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    const serverFinal = server.step(clientFinal);
    expect(serverFinal).toEqual({ reply: Buffer.from("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), done: true });
    expect(() => client.check(serverFinal.reply)).not.toThrow();
    expect(server.userName).toBe("user");
  });

  it("refuses a wrong password, an unknown user (after a salt like a known one's), a changed nonce and a server without the credential", () => {
    const lookup = (user: string) => (user === "user" ? rfcCredential : undefined);
    const run = (client: ScramClient, server: ScramServer, tamper = (b: Buffer) => b) => {
      const first = server.step(client.first()).reply;
      return server.step(tamper(client.final(first)));
    };
    expect(() => run(new ScramClient("SCRAM-SHA-256", "user", "pen"), new ScramServer("SCRAM-SHA-256", lookup))).toThrow(ScramError);
    const unknown = new ScramServer("SCRAM-SHA-256", lookup);
    const reply = unknown.step(new ScramClient("SCRAM-SHA-256", "nobody", "x").first()).reply.toString();
    expect(reply).toMatch(/^r=.+,s=[A-Za-z0-9+/]+=*,i=\d+$/);
    expect(() => run(new ScramClient("SCRAM-SHA-256", "nobody", "x"), new ScramServer("SCRAM-SHA-256", lookup))).toThrow("authentication failed");
    expect(() => run(new ScramClient("SCRAM-SHA-256", "user", "pencil"), new ScramServer("SCRAM-SHA-256", lookup),
      (b) => Buffer.from(b.toString().replace(/,r=[^,]+/, ",r=other")))).toThrow("the nonce does not match");
    // A final nonce that ends with the server's is taken, as Kafka takes it (some librdkafka versions repeat the client's part).
    const client = new ScramClient("SCRAM-SHA-256", "user", "pencil", CLIENT_NONCE);
    const server = new ScramServer("SCRAM-SHA-256", lookup, SERVER_NONCE);
    server.step(client.first());
    expect(() => server.step(Buffer.from(`c=biws,r=${CLIENT_NONCE}${CLIENT_NONCE}${SERVER_NONCE},p=AAAA`))).toThrow("authentication failed");
    // The client checks the server's signature: a server that does not hold the credential cannot fake it.
    const impostor = new ScramClient("SCRAM-SHA-256", "user", "pencil", "abc");
    impostor.first();
    impostor.final(Buffer.from("r=abczz,s=c2FsdA==,i=4096"));
    expect(() => impostor.check(Buffer.from("v=AAAA"))).toThrow(/signature does not match/);
  });

  it("refuses malformed messages with a reason, never a crash", () => {
    const server = () => new ScramServer("SCRAM-SHA-512", () => undefined);
    for (const message of ["", "x", "p=tls-server-end-point,,n=u,r=1", "n,,n=u", "n,,r=abc", "n,,n=u,r=a,m=ext", "n,a=other,n=u,r=abc", "n,,n=bad=name,r=abc"]) {
      expect(() => server().step(Buffer.from(message)), message).toThrow(ScramError);
    }
    const s = server();
    s.step(Buffer.from("n,,n=u,r=abc"));
    expect(() => s.step(Buffer.from("c=biws,r=abc"))).toThrow("lacks a proof");
    expect(() => s.step(Buffer.from("again"))).toThrow("already complete");
  });

  it("keeps only salt, iterations and keys, and checks a PLAIN password against them", async () => {
    const credential = newCredential("SCRAM-SHA-512", "correct horse", 4096);
    expect(Object.keys(credential).sort()).toEqual(["iterations", "mechanism", "salt", "serverKey", "storedKey"]);
    expect(JSON.stringify(credential)).not.toContain("correct horse");
    expect(await passwordMatches(credential, "correct horse")).toBe(true);
    expect(await passwordMatches(credential, "correct horse ")).toBe(false);
    expect(await passwordMatches(rfcCredential, "pencil")).toBe(true);
  });
});
