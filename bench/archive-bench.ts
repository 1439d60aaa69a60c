// npm run bench:archive: the S3 archive against the bare AWS SDK on the same
// S3-compatible server (s3rver, started here) in the same run. Ends with one
// JSON line.
//
// Figures: archiving closed segments (the archiver: MD5, indexes, PUTs,
// manifests) against the same segment files PUT with the bare SDK, four at a
// time as the archiver does; a sequential read of a partition from the
// archive (tiered reads: index look-ups, ranged GETs, CRC checks) against bare
// 1 MiB ranged GETs of the same objects; a restore of the whole archive into a
// new data directory (downloads plus the engine's full recovery), with the
// time 1 GiB would take at that rate.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { execSync } from "node:child_process";
import S3rver from "s3rver";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { LogManager } from "../src/log/log-manager.js";
import { Archiver } from "../src/archive/archiver.js";
import { S3Store } from "../src/archive/s3-store.js";
import { TieredLogStore } from "../src/archive/tiered-store.js";
import { restoreDataDir } from "../src/archive/restore.js";
import { encodeRecordBatch } from "../src/protocol/record-batch-codec.js";

const MiB = 1024 * 1024;
const TOTAL_BYTES = Number(process.env.BENCH_ARCHIVE_MIB ?? 256) * MiB;
const SEGMENT_BYTES = 8 * MiB;
const PARTITIONS = 4;
const benchDir = process.env.BENCH_DIR ?? path.join(import.meta.dirname, "out");
fs.mkdirSync(benchDir, { recursive: true });
const root = fs.mkdtempSync(path.join(benchDir, "archive-"));
const results: Record<string, number> = {};
Object.assign(process.env, { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1" });

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(3));
  console.log(`${name.padEnd(52)} ${value.toLocaleString("en-US", { maximumFractionDigits: 2 }).padStart(12)} ${unit}`);
}

const s3 = new S3rver({ port: 0, address: "127.0.0.1", directory: path.join(root, "s3"), silent: true, configureBuckets: [{ name: "bench", configs: [] }] });
const endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
const client = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1", maxAttempts: 1, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" });
console.log(`archive benchmark: ${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${TOTAL_BYTES / MiB} MiB in ${SEGMENT_BYTES / MiB} MiB segments over ${PARTITIONS} partitions, s3rver at ${endpoint}`);

// A log of TOTAL_BYTES in closed segments: 1 KiB records in ~64 KiB batches.
const dataDir = path.join(root, "data");
const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0, topicDefaults: { "remote.storage.enable": "true" } });
await logs.createTopic("bench", { partitions: PARTITIONS, configs: { "segment.bytes": String(SEGMENT_BYTES), "local.retention.ms": "1" } });
const batch = await encodeRecordBatch(Array.from({ length: 64 }, (_, i) => ({ key: null, value: Buffer.alloc(1000, i) })));
for (let written = 0, p = 0; written < TOTAL_BYTES + PARTITIONS * SEGMENT_BYTES; written += batch.length, p = (p + 1) % PARTITIONS) {
  await logs.partition("bench", p).append(Buffer.from(batch));
}
const segments = logs.closedSegments().flatMap((p) => p.segments.map((s) => ({ ...s, partition: p.partition })));
const archivedBytes = segments.reduce((n, s) => n + s.size, 0);

// Reference: the same files, PUT with the bare SDK, four at a time.
async function barePuts(): Promise<number> {
  const started = performance.now();
  const queue = [...segments];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      const md5 = createHash("md5").update(fs.readFileSync(s.files.log)).digest("base64");
      await client.send(new PutObjectCommand({ Bucket: "bench", Key: `bare/${s.partition}/${s.baseOffset}.log`, Body: fs.createReadStream(s.files.log), ContentLength: s.size, ContentMD5: md5 }));
    }
  }));
  return archivedBytes / MiB / ((performance.now() - started) / 1000);
}

const bare = await barePuts();
report("reference: bare SDK PUTs of the segment files", bare, "MB/s");
const archiver = new Archiver(logs, new S3Store({ bucket: "bench", prefix: "archive" }, endpoint), { scanIntervalMs: 3_600_000, retryMaxMs: 1000, registryEntries: () => [] });
const started = performance.now();
await archiver.scan();
await archiver.scan(); // the catalog, and anything a first scan met mid-way
const uploaded = archivedBytes / MiB / ((performance.now() - started) / 1000);
if (archiver.status().some((s) => s.pendingSegments > 0 || s.lastError)) throw new Error(`archiving did not finish: ${JSON.stringify(archiver.status())}`);
report("archive closed segments (MD5, indexes, manifests)", uploaded, "MB/s");
report("  ratio to bare PUTs (target >= 0.8)", uploaded / bare, "");

// Sequential reads of partition 0 from the archive, once its local copies are gone.
await logs.runMaintenance(Date.now() + 60_000);
const tiered = new TieredLogStore(logs, archiver);
const part0 = segments.filter((s) => s.partition === 0);
const part0Bytes = part0.reduce((n, s) => n + s.size, 0);
async function bareRangedGets(): Promise<number> {
  const t = performance.now();
  for (const s of part0) {
    for (let at = 0; at < s.size; at += MiB) {
      const answer = await client.send(new GetObjectCommand({ Bucket: "bench", Key: `bare/0/${s.baseOffset}.log`, Range: `bytes=${at}-${Math.min(s.size, at + MiB) - 1}` }));
      await answer.Body!.transformToByteArray();
    }
  }
  return part0Bytes / MiB / ((performance.now() - t) / 1000);
}
const ranged = await bareRangedGets();
report("reference: bare 1 MiB ranged GETs of partition 0", ranged, "MB/s");
const readStarted = performance.now();
let offset = 0;
const end = part0[part0.length - 1]!.nextOffset;
let read = 0;
while (offset < end) {
  const { records } = await tiered.partition("bench", 0).read(offset, MiB);
  if (records.length === 0) throw new Error(`no records at ${offset}`);
  read += records.length;
  let position = 0;
  while (position < records.length) {
    offset = Number(records.readBigInt64BE(position)) + records.readInt32BE(position + 23) + 1;
    position += 12 + records.readInt32BE(position + 8);
  }
}
const tieredRead = read / MiB / ((performance.now() - readStarted) / 1000);
report("sequential read from the archive (tiered, CRC checked)", tieredRead, "MB/s");
report("  ratio to bare ranged GETs (target >= 0.7)", tieredRead / ranged, "");
await archiver.close();
await logs.close();

// Restore everything into a new directory.
const restoreStarted = performance.now();
const restored = await restoreDataDir(new S3Store({ bucket: "bench", prefix: "archive" }, endpoint), path.join(root, "restored"));
const restoreSeconds = (performance.now() - restoreStarted) / 1000;
report("restore (downloads and full recovery)", restored.bytes / MiB / restoreSeconds, "MB/s");
report("  seconds for 1 GiB at that rate", (1024 * MiB) / (restored.bytes / restoreSeconds), "s");

await s3.close();
fs.rmSync(root, { recursive: true, force: true });
let commit = "unknown";
try {
  commit = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
} catch {
  // not a git checkout
}
console.log(JSON.stringify({ bench: "archive", commit, machine: { nproc: os.cpus().length, memGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)) }, ...results }));
