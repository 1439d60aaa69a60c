// Child process of the crash test: appends forever from several concurrent
// writers and prints one line per acknowledged batch. The test kills it with
// SIGKILL at a random moment; every line it printed is a promise to keep.
import { createHash } from "node:crypto";
import { LogManager } from "../../src/log/log-manager.js";
import { Compression } from "../../src/protocol/compression.js";
import { encodeRecordBatch } from "../../src/protocol/record-batch-codec.js";

const [dataDir, runId] = process.argv.slice(2) as [string, string];
const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 100 });
if (!logs.hasTopic("crash")) await logs.createTopic("crash", { partitions: 2, configs: { "segment.bytes": "65536" } });
process.stdout.write("ready\n");

const codecs = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];
async function writer(w: number): Promise<never> {
  for (let seq = 0; ; seq++) {
    const count = 1 + ((seq * 7 + w) % 15);
    const records = Array.from({ length: count }, (_, i) => ({
      key: Buffer.from(`${runId}-${w}-${seq}-${i}`),
      value: Buffer.from(`${runId}-${w}-${seq}-${i}-${Math.random().toString(36).repeat(1 + Math.floor(Math.random() * 40))}`),
    }));
    const partition = (w + seq) % 2;
    const result = await logs.partition("crash", partition).append(await encodeRecordBatch(records, { compression: codecs[seq % codecs.length] }));
    const acked = records.map((r, i) => [result.baseOffset + i, r.key.toString(), createHash("sha256").update(r.value!).digest("hex")]);
    process.stdout.write(JSON.stringify({ p: partition, acked }) + "\n");
  }
}
await Promise.all([0, 1, 2, 3].map(writer));
