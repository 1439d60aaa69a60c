// npm run bench:security: what TLS and SASL cost. Produce and consume through
// the Kafka protocol against the same broker settings over plain TCP and over
// TLS, in the same run (the ratio is the figure: target >= 0.6); SCRAM and
// PLAIN handshakes per second, with the client's own PBKDF2 rate as the
// reference (each SCRAM login costs the client one PBKDF2 of the password;
// the broker keeps the derived keys and only computes HMACs). Ends with one
// JSON line.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync, type ChildProcess } from "node:child_process";
import { Connection, consumeLoad, produceLoad } from "./kafka-load.js";
import { startBrokerProcess } from "./broker-process.js";
import { encodeRequest, decodeResponse } from "../src/protocol/kafka-frame.js";
import { LogManager } from "../src/log/log-manager.js";
import { SecurityStore } from "../src/security/security-store.js";
import { KafkaConnection, type SaslCredentials } from "../src/cluster/kafka-connection.js";
import { ITERATIONS_DEFAULT, saltedPassword } from "../src/security/scram.js";

const MiB = 1024 * 1024;
const TOTAL = Number(process.env.BENCH_PRODUCE_MIB ?? 256) * MiB;
const PARTITIONS = 4;
const results: Record<string, number> = {};

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(3));
  console.log(`${name.padEnd(56)} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 }).padStart(12)} ${unit}`);
}

function certificates(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=bench CA"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  fs.writeFileSync(path.join(dir, "ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext"]);
  return { ca: path.join(dir, "ca.pem"), cert: path.join(dir, "server.pem"), key: path.join(dir, "server.key") };
}

function startServer(dataDir: string, extra: string[]): Promise<{ child: ChildProcess; host: string; port: number }> {
  return startBrokerProcess(["--data-dir", dataDir, "--no-warehouse", ...extra]);
}

async function createTopic(conn: Connection, name: string): Promise<void> {
  const frame = encodeRequest({ apiKey: 19, apiVersion: 5, correlationId: 1, clientId: "bench" }, {
    topics: [{ name, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10000, validateOnly: false,
  });
  const body = decodeResponse(19, 5, await conn.send(frame)).body;
  if (body.topics[0].errorCode !== 0) throw new Error(`create ${name}: ${body.topics[0].errorMessage}`);
}

async function endOffsets(conn: Connection, topic: string): Promise<number[]> {
  const frame = encodeRequest({ apiKey: 2, apiVersion: 5, correlationId: 2, clientId: "bench" }, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
  });
  const body = decodeResponse(2, 5, await conn.send(frame)).body;
  return body.topics[0].partitions.map((p: { offset: bigint }) => Number(p.offset));
}

/** Produce then consume TOTAL bytes of 1 KiB records over `ca` (TLS) or plain TCP. */
async function throughput(server: { host: string; port: number }, topic: string, ca?: string): Promise<{ produce: number; consume: number }> {
  const admin = await Connection.open(server.host, server.port, ca);
  await createTopic(admin, topic);
  const conns = await Promise.all(Array.from({ length: PARTITIONS }, () => Connection.open(server.host, server.port, ca)));
  const produced = await produceLoad(conns, topic, PARTITIONS, 1024, TOTAL, 8);
  const ends = await endOffsets(admin, topic);
  const consumed = await consumeLoad(admin, topic, PARTITIONS, ends);
  for (const c of [admin, ...conns]) c.close();
  return { produce: produced.mbPerSecond, consume: consumed.gbPerSecond * 1000 };
}

/** Logins per second with `concurrency` at once for `seconds`. */
async function handshakes(address: string, sasl: SaslCredentials | undefined, seconds: number, concurrency: number): Promise<number> {
  let done = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const c = await KafkaConnection.connect(address, "bench", 10_000, undefined, sasl);
      await c.request(18, 0, {}, 10_000);
      c.close();
      done++;
    }
  }));
  return done / seconds;
}

console.log(`security benchmark: ${os.cpus().length} cpus, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, bun ${process.versions.bun}, ${TOTAL / MiB} MiB of 1 KiB records per run`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-security-"));
const certs = certificates(work);
const plain = await startServer(path.join(work, "plain"), []);
const secure = await startServer(path.join(work, "tls"), ["--tls-cert", certs.cert, "--tls-key", certs.key]);
const ca = fs.readFileSync(certs.ca, "utf8");
const runs: { plain: { produce: number; consume: number }; tls: { produce: number; consume: number } }[] = [];
// Alternating runs, so a noisy minute on this shared machine falls on both sides.
for (let round = 0; round < 2; round++) {
  const p = await throughput(plain, `plain-${round}`);
  const t = await throughput(secure, `tls-${round}`, ca);
  runs.push({ plain: p, tls: t });
  console.log(`  round ${round + 1}: produce plain ${p.produce.toFixed(1)} MB/s, TLS ${t.produce.toFixed(1)} MB/s; consume plain ${p.consume.toFixed(1)} MB/s, TLS ${t.consume.toFixed(1)} MB/s`);
}
const best = (pick: (r: (typeof runs)[number]) => number) => Math.max(...runs.map(pick));
report("produce, plain TCP (best of 2)", best((r) => r.plain.produce), "MB/s");
report("produce, TLS (best of 2)", best((r) => r.tls.produce), "MB/s");
report("produce ratio TLS / plain", best((r) => r.tls.produce) / best((r) => r.plain.produce), "(target >= 0.6)");
report("consume, plain TCP (best of 2)", best((r) => r.plain.consume), "MB/s");
report("consume, TLS (best of 2)", best((r) => r.tls.consume), "MB/s");
report("consume ratio TLS / plain", best((r) => r.tls.consume) / best((r) => r.plain.consume), "(target >= 0.6)");
plain.child.kill();
secure.child.kill();

// Handshakes: users made on the data dir before the broker starts.
const saslDir = path.join(work, "sasl");
const logs = await LogManager.open({ dataDir: saslDir, maintenanceIntervalMs: 0 });
await new SecurityStore(logs.securityStore).setPassword("bench", "bench-secret", ["SCRAM-SHA-256", "SCRAM-SHA-512"], ITERATIONS_DEFAULT);
await logs.close();
const sasl = await startServer(saslDir, ["--sasl-mechanisms", "plain,scram-sha-256,scram-sha-512"]);
const address = `${sasl.host}:${sasl.port}`;
const SECONDS = 5;
const CONCURRENCY = 4;
const noSaslServer = await startServer(path.join(work, "nosasl"), []);
report("reference: connect + ApiVersions, no SASL", await handshakes(`${noSaslServer.host}:${noSaslServer.port}`, undefined, SECONDS, CONCURRENCY), "per second");
noSaslServer.child.kill();
for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
  let derived = 0;
  const salt = Buffer.alloc(24, 1);
  const until = performance.now() + 2000;
  while (performance.now() < until) {
    saltedPassword(mechanism, "bench-secret", salt, ITERATIONS_DEFAULT);
    derived++;
  }
  report(`reference: client PBKDF2 (${mechanism}, ${ITERATIONS_DEFAULT} iterations)`, derived / 2, "per second");
  report(`${mechanism} logins (connect, 2 round trips, ApiVersions)`, await handshakes(address, { mechanism, user: "bench", password: "bench-secret" }, SECONDS, CONCURRENCY), "per second");
}
report("PLAIN logins (the broker runs PBKDF2 per login)", await handshakes(address, { mechanism: "PLAIN", user: "bench", password: "bench-secret" }, SECONDS, CONCURRENCY), "per second");
sasl.child.kill();
fs.rmSync(work, { recursive: true, force: true });
console.log(JSON.stringify(results));
process.exit(0);
