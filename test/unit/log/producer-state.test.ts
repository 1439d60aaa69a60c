import { describe, expect, it } from "vitest";
import * as fs from "node:fs";
import { LogManager } from "../../../src/log/log-manager.js";
import { encodeRecordBatch } from "../../../src/protocol/record-batch-codec.js";
import { KafkaErrorCode as E } from "../../../src/protocol/kafka-error-codes.js";
import { tempDir } from "../../helpers/temp-dir.js";

const batch = (seq: number, epoch = 0, pid = 7) => encodeRecordBatch([{ key: null, value: Buffer.from(`seq-${seq}`) }], { producerId: pid, producerEpoch: epoch, baseSequence: seq });

describe("idempotent producer state", () => {
  it("recognises retries after a crash: snapshot from the checkpoint plus the batches written after it", async () => {
    const dataDir = tempDir();
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    await logs.createTopic("p");
    const log = logs.partition("p", 0);
    for (let seq = 0; seq < 5; seq++) await log.append(await batch(seq));
    await logs.runMaintenance(); // checkpoint: producer snapshot as of offset 5
    for (let seq = 5; seq < 10; seq++) await log.append(await batch(seq));
    // A crash image: the files as they are, no clean shutdown, checkpoint older than the log.
    const image = tempDir();
    fs.cpSync(dataDir, image, { recursive: true });
    await logs.close();
    const recovered = await LogManager.open({ dataDir: image, maintenanceIntervalMs: 0 });
    const again = recovered.partition("p", 0);
    expect(await again.append(await batch(9))).toMatchObject({ baseOffset: 9, duplicate: true });
    expect(await again.append(await batch(6))).toMatchObject({ baseOffset: 6, duplicate: true });
    await expect(again.append(await batch(12))).rejects.toMatchObject({ kafkaErrorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER });
    await expect(again.append(await batch(10))).resolves.toMatchObject({ baseOffset: 10 });
    expect(again.logEndOffset).toBe(11);
    await recovered.close();
  });

  it("forgets batches that recovery cut, so their retries are written again", async () => {
    const dataDir = tempDir();
    const logs = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    await logs.createTopic("p");
    const log = logs.partition("p", 0);
    for (let seq = 0; seq < 3; seq++) await log.append(await batch(seq));
    await logs.close();
    // Tear the last batch off, as a machine crash before fdatasync could.
    const segment = `${dataDir}/p-0/00000000000000000000.log`;
    const bytes = fs.readFileSync(segment);
    fs.writeFileSync(segment, bytes.subarray(0, bytes.length - 5));
    fs.rmSync(`${dataDir}/.clean-shutdown`);
    fs.rmSync(`${dataDir}/checkpoint.json`);
    const recovered = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
    const again = recovered.partition("p", 0);
    expect(again.logEndOffset).toBe(2);
    expect(await again.append(await batch(2))).toMatchObject({ baseOffset: 2 });
    expect((await again.append(await batch(2))).duplicate).toBe(true);
    await recovered.close();
  });
});
