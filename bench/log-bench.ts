// npm run bench:log: throughput of the log engine against raw-disk references
// measured in the same run on the same disk. Ends with one JSON line.
//
// Figures: durable append (1 KiB records in ~64 KiB batches, 1/4/16 concurrent
// writers; 100-byte records), reads from the page cache, start-up on a 1 GiB log.
// References: the same bytes written sequentially with one fdatasync at the end;
// the same bytes flushed every N x 64 KiB; a bare group commit with 16 writers
// and no engine around it; raw sequential reads of the segment file.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execSync } from "node:child_process";
import { LogManager } from "../src/log/log-manager.js";
import { encodeRecordBatch } from "../src/protocol/record-batch-codec.js";
import { CLEAN_SHUTDOWN_FILE, CHECKPOINT_FILE } from "../src/log/checkpoint-file.js";
import { BareGroupCommit } from "./bare-group-commit.js";

const MiB = 1024 * 1024;
const APPEND_BYTES = Number(process.env.BENCH_APPEND_MIB ?? 256) * MiB;
const STARTUP_LOG_BYTES = Number(process.env.BENCH_STARTUP_MIB ?? 1024) * MiB;
const benchDir = process.env.BENCH_DIR ?? path.join(import.meta.dirname, "out");
fs.mkdirSync(benchDir, { recursive: true });
const root = fs.mkdtempSync(path.join(benchDir, "log-"));
const results: Record<string, number> = {};

function fmt(n: number, digits = 1): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits });
}

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(3));
  console.log(`${name.padEnd(44)} ${fmt(value).padStart(12)} ${unit}`);
}

/**
 * The reference: `bytes` written sequentially in `chunk`-sized writes, with one
 * fdatasync at the end, or (with `syncEvery`) one after every that many bytes.
 */
function sequentialWriteMBps(bytes: number, chunk: Buffer, syncEvery = Infinity): number {
  const file = path.join(root, `reference-${chunk.length}.bin`);
  const fd = fs.openSync(file, "w");
  const start = performance.now();
  let unsynced = 0;
  for (let written = 0; written < bytes; written += chunk.length) {
    fs.writeSync(fd, chunk);
    unsynced += chunk.length;
    if (unsynced >= syncEvery) {
      fs.fdatasyncSync(fd);
      unsynced = 0;
    }
  }
  fs.fdatasyncSync(fd);
  const seconds = (performance.now() - start) / 1000;
  fs.closeSync(fd);
  fs.rmSync(file);
  return bytes / MiB / seconds;
}

/**
 * The reference for group commit itself: `writers` closed-loop writers, each
 * with one 64 KiB buffer in flight, and nothing else (bench/bare-group-commit.ts).
 * What the disk and the runtime allow for that many appends in flight,
 * whatever the engine does.
 */
async function bareGroupCommitMBps(bytes: number, writers: number): Promise<number> {
  const file = path.join(root, "bare-group-commit.bin");
  const commit = new BareGroupCommit(file);
  const chunks = bytes / (64 * 1024);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: writers }, async () => {
    const own = Buffer.alloc(64 * 1024, "g");
    while (next++ < chunks) await commit.write(own);
  }));
  const seconds = (performance.now() - start) / 1000;
  commit.close();
  fs.rmSync(file);
  return bytes / MiB / seconds;
}

async function makeBatch(recordBytes: number, batchBytes: number): Promise<Buffer> {
  const count = Math.max(1, Math.floor(batchBytes / (recordBytes + 10)));
  const value = Buffer.alloc(recordBytes, "v");
  return encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`key-${i}`), value })));
}

interface AppendRun {
  mbPerSecond: number;
  recordsPerSecond: number;
}

async function durableAppend(name: string, recordBytes: number, batchBytes: number, writers: number, totalBytes: number): Promise<AppendRun> {
  const dataDir = path.join(root, name);
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  await logs.createTopic("bench");
  const log = logs.partition("bench", 0);
  const template = await makeBatch(recordBytes, batchBytes);
  const records = template.readInt32BE(57);
  const batches = Math.ceil(totalBytes / template.length);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: writers }, async () => {
    const own = Buffer.from(template);
    while (next++ < batches) await log.append(own);
  }));
  const seconds = (performance.now() - start) / 1000;
  await logs.close();
  fs.rmSync(dataDir, { recursive: true });
  return { mbPerSecond: (batches * template.length) / MiB / seconds, recordsPerSecond: (batches * records) / seconds };
}

async function readThroughput(): Promise<{ logGBps: number; rawGBps: number }> {
  const dataDir = path.join(root, "read");
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  await logs.createTopic("bench", { configs: { flush: "1000" } });
  const log = logs.partition("bench", 0);
  const batch = await makeBatch(1024, 64 * 1024);
  const own = Buffer.from(batch);
  for (let written = 0; written < APPEND_BYTES; written += batch.length) await log.append(own);
  await log.sync();
  const segment = path.join(dataDir, "bench-0", "00000000000000000000.log");
  const size = fs.statSync(segment).size;
  let logSeconds = Infinity;
  let rawSeconds = Infinity;
  for (let round = 0; round < 3; round++) {
    let start = performance.now();
    let offset = 0;
    let bytes = 0;
    while (offset < log.highWatermark) {
      const { records } = await log.read(offset, MiB);
      bytes += records.length;
      // The last batch in the chunk tells where the next read starts.
      let pos = 0;
      let last = 0;
      while (pos < records.length) {
        last = pos;
        pos += 12 + records.readInt32BE(pos + 8);
      }
      offset = Number(records.readBigInt64BE(last)) + records.readInt32BE(last + 23) + 1;
    }
    if (bytes !== size) throw new Error(`read ${bytes} of ${size} bytes`);
    logSeconds = Math.min(logSeconds, (performance.now() - start) / 1000);
    start = performance.now();
    const fd = fs.openSync(segment, "r");
    for (let pos = 0; pos < size; pos += MiB) fs.readSync(fd, Buffer.allocUnsafe(MiB), 0, MiB, pos);
    fs.closeSync(fd);
    rawSeconds = Math.min(rawSeconds, (performance.now() - start) / 1000);
  }
  await logs.close();
  fs.rmSync(dataDir, { recursive: true });
  return { logGBps: size / 1e9 / logSeconds, rawGBps: size / 1e9 / rawSeconds };
}

async function timeOpen(dataDir: string): Promise<number> {
  const start = performance.now();
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  const ms = performance.now() - start;
  await logs.close();
  return ms;
}

async function startup(): Promise<Record<string, number>> {
  const dataDir = path.join(root, "startup");
  const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  await logs.createTopic("bench", { configs: { flush: "1000" } });
  const log = logs.partition("bench", 0);
  const batch = await makeBatch(1024, 64 * 1024);
  const own = Buffer.from(batch);
  for (let written = 0; written < STARTUP_LOG_BYTES; written += batch.length) await log.append(own);
  await logs.close();
  const clean = await timeOpen(dataDir);
  // A crash just after a checkpoint: no clean-shutdown marker, recovery scans from the recovery point.
  fs.rmSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE));
  const afterCrash = await timeOpen(dataDir);
  // Worst case: the checkpoint is gone, every byte of the active segment is verified.
  fs.rmSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE));
  fs.rmSync(path.join(dataDir, CHECKPOINT_FILE));
  const fullScan = await timeOpen(dataDir);
  fs.rmSync(dataDir, { recursive: true });
  return { clean, afterCrash, fullScan };
}

const machine = {
  nproc: os.cpus().length,
  memGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
  runtime: process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.version}`,
};
console.log(`log engine benchmark: ${machine.nproc} cpus, ${machine.memGiB} GiB, ${machine.runtime}, data in ${root}`);
try {
  const chunk = Buffer.alloc(64 * 1024, "r");
  const referenceMBps = sequentialWriteMBps(APPEND_BYTES, chunk);
  report("reference: sequential write + 1 fdatasync", referenceMBps, "MB/s");
  // What the disk allows when every `writers` x 64 KiB must be flushed before the next:
  // the physical bound of group commit with that many appends in flight.
  for (const writers of [1, 4, 16]) {
    const groupMBps = sequentialWriteMBps(APPEND_BYTES, chunk, writers * chunk.length);
    report(`reference: fdatasync every ${writers} x 64KiB`, groupMBps, "MB/s");
    results[`reference_group_${writers}`] = Number(groupMBps.toFixed(3));
  }
  // Group commit with nothing else around it, the engine's policy and 16 writers:
  // the best any engine can do here for the 16-writer figure.
  const bare = await bareGroupCommitMBps(APPEND_BYTES, 16);
  report("reference: bare group commit, 16 writers", bare, "MB/s");
  results.ratio_bare_group_commit_16_to_reference = Number((bare / referenceMBps).toFixed(3));
  console.log(`${"  ratio to reference".padEnd(44)} ${fmt(bare / referenceMBps, 3).padStart(12)}`);
  for (const writers of [1, 4, 16]) {
    const run = await durableAppend(`append-${writers}`, 1024, 64 * 1024, writers, APPEND_BYTES);
    report(`durable append 1KiB x64KiB, ${writers} writers`, run.mbPerSecond, "MB/s");
    report(`durable append 1KiB x64KiB, ${writers} writers rec/s`, run.recordsPerSecond, "records/s");
    results[`ratio_append_${writers}_writers`] = Number((run.mbPerSecond / referenceMBps).toFixed(3));
    console.log(`${"  ratio to reference".padEnd(44)} ${fmt(run.mbPerSecond / referenceMBps, 3).padStart(12)}`);
    const group = results[`reference_group_${writers}`]!;
    results[`ratio_append_${writers}_writers_to_group_reference`] = Number((run.mbPerSecond / group).toFixed(3));
    console.log(`${"  ratio to fdatasync-per-group reference".padEnd(44)} ${fmt(run.mbPerSecond / group, 3).padStart(12)}`);
  }
  const small = await durableAppend("append-100b", 100, 64 * 1024, 4, APPEND_BYTES / 2);
  report("durable append 100B x64KiB, 4 writers", small.mbPerSecond, "MB/s");
  report("durable append 100B x64KiB, 4 writers rec/s", small.recordsPerSecond, "records/s");
  const single = await durableAppend("append-100b-single", 100, 1, 16, 4 * MiB);
  report("durable append 1 record/batch, 16 writers", single.recordsPerSecond, "records/s");
  const reads = await readThroughput();
  report("read from page cache (log.read, CRC checked)", reads.logGBps, "GB/s");
  report("reference: raw sequential read", reads.rawGBps, "GB/s");
  results.ratio_read = Number((reads.logGBps / reads.rawGBps).toFixed(3));
  const start = await startup();
  report(`start-up, ${STARTUP_LOG_BYTES / MiB} MiB log, clean`, start.clean!, "ms");
  report(`start-up, ${STARTUP_LOG_BYTES / MiB} MiB log, after crash`, start.afterCrash!, "ms");
  report(`start-up, ${STARTUP_LOG_BYTES / MiB} MiB log, no checkpoint`, start.fullScan!, "ms");
  results.ratio_append_16_writers_to_bare_group_commit = Number((results["durable append 1KiB x64KiB, 16 writers"]! / bare).toFixed(3));
  console.log(`${"durable append 16 writers / bare group commit".padEnd(44)} ${fmt(results.ratio_append_16_writers_to_bare_group_commit, 3).padStart(12)}`);
  const [bestRatio] = [results.ratio_append_16_writers!];
  console.log(`targets: durable batched append >= 0.70 of reference (16 writers: ${bestRatio}); reads >= 1 GB/s (${fmt(reads.logGBps, 2)}); start-up <= 1000 ms (${fmt(start.afterCrash!, 0)})`);
  let commit = "";
  try {
    commit = execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {
    // not a checkout
  }
  console.log(JSON.stringify({ bench: "log", commit, machine, ...results }));
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
