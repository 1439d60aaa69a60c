import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PartitionLog } from "../../src/log/partition-log.js";
import { resolveTopicConfig } from "../../src/log/topic-config.js";
import { Compression } from "../../src/protocol/compression.js";
import { encodeRecordBatch, splitBatches } from "../../src/protocol/record-batch-codec.js";

// A crash image of an active segment (log + its indexes, no checkpoint, no
// clean-shutdown marker) is damaged at random, then opened: every batch before
// the damage must come back byte for byte, nothing after it, and the log must
// take new appends at the right offset.

const config = resolveTopicConfig({ "index.interval.bytes": "300", flush: "60000" });
let root: string;
let pristine: { log: Buffer; index: Buffer; timeindex: Buffer };
let batches: { position: number; size: number; bytes: Buffer; lastOffset: number }[];
const SEGMENT = "00000000000000000000";

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-recovery-"));
  const dir = path.join(root, "image", "r-0");
  const { log } = PartitionLog.open(dir, "r", 0, config, undefined, false);
  const codecs = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];
  for (let b = 0; b < 40; b++) {
    const records = Array.from({ length: 1 + (b * 7) % 13 }, (_, i) => ({
      key: i % 3 ? Buffer.from(`key-${b}-${i}`) : null,
      value: Buffer.from(`value-${b}-${i}-${"v".repeat((b * 31 + i * 17) % 200)}`),
      timestamp: 1_700_000_000_000 + b * 1000 + i,
    }));
    await log.append(await encodeRecordBatch(records, { compression: codecs[b % codecs.length] }));
  }
  await log.sync();
  pristine = {
    log: fs.readFileSync(path.join(dir, `${SEGMENT}.log`)),
    index: fs.readFileSync(path.join(dir, `${SEGMENT}.index`)),
    timeindex: fs.readFileSync(path.join(dir, `${SEGMENT}.timeindex`)),
  };
  await log.close();
  let position = 0;
  batches = splitBatches(pristine.log).map((bytes) => {
    const entry = { position, size: bytes.length, bytes, lastOffset: Number(bytes.readBigInt64BE(0)) + bytes.readInt32BE(23) };
    position += bytes.length;
    return entry;
  });
  expect(position).toBe(pristine.log.length);
  expect(pristine.index.length).toBeGreaterThan(0);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let caseNumber = 0;

/** Opens a damaged copy and checks the outcome; `intact` batches must survive. */
async function checkRecovery(damagedLog: Buffer, intact: number): Promise<void> {
  const dir = path.join(root, `case-${caseNumber++}`, "r-0");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${SEGMENT}.log`), damagedLog);
  fs.writeFileSync(path.join(dir, `${SEGMENT}.index`), pristine.index);
  fs.writeFileSync(path.join(dir, `${SEGMENT}.timeindex`), pristine.timeindex);
  const { log, report } = PartitionLog.open(dir, "r", 0, config, undefined, false);
  try {
    const expectedEnd = intact === 0 ? 0 : batches[intact - 1]!.lastOffset + 1;
    expect(log.logEndOffset).toBe(expectedEnd);
    expect(report.truncatedBytes).toBe(damagedLog.length - (intact === 0 ? 0 : batches[intact - 1]!.position + batches[intact - 1]!.size));
    const served: Buffer[] = [];
    let offset = 0;
    while (offset < log.highWatermark) {
      const { records } = await log.read(offset, 700);
      for (const b of splitBatches(records)) {
        served.push(b);
        offset = Number(b.readBigInt64BE(0)) + b.readInt32BE(23) + 1;
      }
    }
    expect(served.length).toBe(intact);
    served.forEach((b, i) => expect(b.equals(batches[i]!.bytes)).toBe(true));
    // Look-ups through the (partly stale) index land on the right batch for every surviving offset.
    for (let i = 0; i < intact; i += 7) {
      expect((await log.read(batches[i]!.lastOffset, 1)).records.equals(batches[i]!.bytes)).toBe(true);
    }
    const appended = await log.append(await encodeRecordBatch([{ key: null, value: Buffer.from("after recovery") }]));
    expect(appended.baseOffset).toBe(expectedEnd);
    expect((await log.read(expectedEnd, 100)).records.readBigInt64BE(0)).toBe(BigInt(expectedEnd));
  } finally {
    await log.close();
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

/** Bytes of a batch header outside the CRC: baseOffset (0-7) and partitionLeaderEpoch (12-15). */
function outsideCrc(position: number): boolean {
  const batch = batches.find((b) => position >= b.position && position < b.position + b.size)!;
  const rel = position - batch.position;
  return rel < 8 || (rel >= 12 && rel < 16);
}

function batchIndexAt(position: number): number {
  return batches.findIndex((b) => position >= b.position && position < b.position + b.size);
}

describe("recovery of a damaged active segment", () => {
  it("cuts a torn tail at any byte", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000_000 }), async (seed) => {
        const cut = seed % (pristine.log.length + 1);
        const intact = batches.filter((b) => b.position + b.size <= cut).length;
        await checkRecovery(pristine.log.subarray(0, cut), intact);
      }),
      { numRuns: 1000 },
    );
  });

  it("cuts at the first corrupted batch, whatever bytes were changed", async () => {
    const positions = fc.integer({ min: 0, max: 1_000_000_000 }).map((n) => n % pristine.log.length).filter((p) => !outsideCrc(p));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(positions, fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), async (flips) => {
        const damaged = Buffer.from(pristine.log);
        for (const [p, x] of flips) damaged[p]! ^= x;
        // Two flips of the same byte may cancel out: the first changed byte decides.
        const changed = flips.map(([p]) => p).filter((p) => damaged[p] !== pristine.log[p]);
        const intact = changed.length === 0 ? batches.length : batchIndexAt(Math.min(...changed));
        await checkRecovery(damaged, intact);
      }),
      { numRuns: 1000 },
    );
  });

  it("cuts a tail of zeros, as a machine crash can leave after a file grew", async () => {
    const zeros = Buffer.concat([pristine.log, Buffer.alloc(4096)]);
    await checkRecovery(zeros, batches.length);
  });
});
