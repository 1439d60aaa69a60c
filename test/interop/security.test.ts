// Real Kafka clients against Tributary with authentication on: kcat and
// confluent-kafka-python (librdkafka), and kafka-python (which sends its SASL
// tokens bare, after SaslHandshake v0), with PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512, as SASL_PLAINTEXT and as SASL_SSL; wrong passwords and
// unknown users refused; ACLs applied.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { LogManager } from "../../src/log/log-manager.js";
import { SecurityStore } from "../../src/security/security-store.js";
import { Operation, PatternType, Permission, ResourceType } from "../../src/security/acl.js";
import { REPO_ROOT } from "../helpers/binaries.js";
import { makeCertificates, type TestCertificates } from "../helpers/certificates.js";

const PYTHON = "/usr/bin/python3";
const dirs: string[] = [];
let certs: TestCertificates;
let plain: Broker;
let secure: Broker;

function run(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A data dir holding users admin and alice, alice allowed to write and read `orders` and to read groups starting "alice-". */
async function preparedDataDir(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-interop-sasl-"));
  dirs.push(dir);
  const logs = await LogManager.open({ dataDir: dir, maintenanceIntervalMs: 0 });
  const security = new SecurityStore(logs.securityStore);
  await security.setPassword("admin", "admin-secret", ["SCRAM-SHA-256", "SCRAM-SHA-512"]);
  await security.setPassword("alice", "alice-secret", ["SCRAM-SHA-256", "SCRAM-SHA-512"]);
  const allow = (resourceType: number, resourceName: string, operation: number, patternType: number = PatternType.LITERAL) =>
    ({ resourceType, resourceName, patternType, principal: "User:alice", host: "*", operation, permission: Permission.ALLOW });
  await security.addAcls([
    allow(ResourceType.TOPIC, "orders", Operation.WRITE), allow(ResourceType.TOPIC, "orders", Operation.READ),
    allow(ResourceType.GROUP, "alice-", Operation.READ, PatternType.PREFIXED),
  ]);
  await logs.createTopic("orders");
  await logs.createTopic("payroll");
  await logs.close();
  return dir;
}

beforeAll(async () => {
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-interop-certs-"));
  dirs.push(certDir);
  certs = makeCertificates(certDir);
  // The clients retry wrong passwords on their own many times a minute: no lockout here (the integration suite tests it).
  const common = { kafkaPort: 0, httpPort: 0, groupInitialRebalanceDelayMs: 0, saslMechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"], superUsers: ["User:admin"], authFailuresPerMinuteMax: 100_000 };
  plain = await startBroker({ ...common, dataDir: await preparedDataDir() });
  secure = await startBroker({ ...common, dataDir: await preparedDataDir(), tlsCert: certs.serverCert, tlsKey: certs.serverKey });
});

afterAll(async () => {
  await plain?.stop();
  await secure?.stop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe("SASL with real clients", () => {
  for (const [protocol, broker] of [["SASL_PLAINTEXT", () => plain], ["SASL_SSL", () => secure]] as const) {
    it(`confluent-kafka and kafka-python with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 as ${protocol}`, async () => {
      const ca = protocol === "SASL_SSL" ? certs.ca : "-";
      const out = await run(PYTHON, ["test/interop/sasl_clients.py", broker().brokers[0]!, protocol, ca, "orders", "payroll"]);
      expect(out.code, out.stderr).toBe(0);
      const result = JSON.parse(out.stdout.trim().split("\n").at(-1)!);
      for (const mechanism of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]) {
        expect(result.confluent[mechanism]).toEqual({ errors: [], offsets: 1 });
        expect(result.kafka_python[mechanism]).toBe(true);
      }
      expect(result.confluent.denied_topic.errors).toEqual(["TOPIC_AUTHORIZATION_FAILED"]);
      expect(result.confluent.wrong_password).toMatch(/AUTHENTICATION|_TRANSPORT|_ALL_BROKERS_DOWN/);
      expect(result.confluent.unknown_user).toMatch(/AUTHENTICATION|_TRANSPORT|_ALL_BROKERS_DOWN/);
      expect(result.confluent.consumed).toEqual(["ck-PLAIN", "ck-SCRAM-SHA-256", "ck-SCRAM-SHA-512"]);
      expect(result.kafka_python.wrong_password).not.toBe("accepted");
      expect(result.kafka_python.consumed).toEqual(["kp-PLAIN", "kp-SCRAM-SHA-256", "kp-SCRAM-SHA-512"]);
    });

    it(`kcat lists, produces and consumes as ${protocol} with SCRAM-SHA-512, and is refused with a wrong password`, async () => {
      const security = ["-X", `security.protocol=${protocol}`, "-X", "sasl.mechanisms=SCRAM-SHA-512", "-X", "sasl.username=alice",
        ...(protocol === "SASL_SSL" ? ["-X", `ssl.ca.location=${certs.ca}`] : [])];
      const address = broker().brokers[0]!;
      const listed = await run("kcat", ["-b", address, ...security, "-X", "sasl.password=alice-secret", "-L"]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('topic "orders"');
      expect(listed.stdout).not.toContain('topic "payroll"');
      const child = spawn("kcat", ["-b", address, ...security, "-X", "sasl.password=alice-secret", "-P", "-t", "orders"], { stdio: ["pipe", "ignore", "pipe"] });
      child.stdin.end("kcat-1\nkcat-2\n");
      expect(await new Promise((resolve) => child.on("exit", resolve))).toBe(0);
      const consumed = await run("kcat", ["-b", address, ...security, "-X", "sasl.password=alice-secret", "-C", "-t", "orders", "-o", "beginning", "-e", "-q"]);
      expect(consumed.stdout).toContain("kcat-1\nkcat-2");
      const refused = await run("kcat", ["-b", address, ...security, "-X", "sasl.password=wrong", "-L", "-m", "5"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/Authentication failed|SASL authentication error/);
    });
  }
});
