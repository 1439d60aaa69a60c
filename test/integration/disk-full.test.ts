// A full disk is an operating error, not a broken disk: appends that cannot be
// made durable are refused with a retriable error, nothing acknowledged is
// lost, /readyz says not ready, and once space is freed the same broker takes
// writes again, without a restart. Runs on a small tmpfs (the suite runs as root).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startBroker, type Broker } from "../../src/server/broker.js";

let mountPoint: string;
let broker: Broker;

beforeAll(() => {
  mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), "tributary-small-disk-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", mountPoint]);
});

afterAll(async () => {
  await broker?.stop().catch(() => undefined);
  execFileSync("umount", ["-l", mountPoint]);
  fs.rmSync(mountPoint, { recursive: true, force: true });
});

async function publish(value: string): Promise<{ status: number; body: { offsets?: { offset: number }[]; message?: string } }> {
  const response = await fetch(`${broker.httpUrl}/topics/filling/records`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ value }),
  });
  return { status: response.status, body: await response.json() as { offsets?: { offset: number }[]; message?: string } };
}

it("refuses appends while the disk is full, loses nothing acknowledged, and takes writes again once space is freed", async () => {
  broker = await startBroker({ dataDir: path.join(mountPoint, "data"), kafkaPort: 0, httpPort: 0, maintenanceIntervalMs: 60_000 });
  await broker.logs.createTopic("filling");
  const filler = path.join(mountPoint, "filler");
  fs.writeFileSync(filler, Buffer.alloc(4 * 1024 * 1024));
  const acknowledged: { offset: number; value: string }[] = [];
  let refusal: { status: number; body: { message?: string } } | undefined;
  for (let i = 0; i < 200 && !refusal; i++) {
    const value = `${i}:${"x".repeat(32 * 1024)}`;
    const answer = await publish(value);
    if (answer.status === 200) acknowledged.push({ offset: answer.body.offsets![0]!.offset, value });
    else refusal = answer;
  }
  expect(refusal?.status).toBe(503);
  expect(refusal?.body.message).toMatch(/ENOSPC/);
  expect(acknowledged.length).toBeGreaterThan(5);
  const notReady = await fetch(`${broker.httpUrl}/readyz`);
  expect(notReady.status).toBe(503);
  expect(JSON.stringify(await notReady.json())).toMatch(/filling-0/);

  fs.rmSync(filler);
  const after = await publish("after the disk was freed");
  expect(after.status).toBe(200);
  expect(after.body.offsets![0]!.offset).toBe(acknowledged.length);
  expect((await fetch(`${broker.httpUrl}/readyz`)).status).toBe(200);

  const read = await fetch(`${broker.httpUrl}/topics/filling/partitions/0/records?offset=0&limit=1000&max_bytes=100000000`);
  const records = ((await read.json()) as { records: { offset: number; value: string }[] }).records;
  expect(records.map((r) => r.offset)).toEqual([...acknowledged.map((a) => a.offset), acknowledged.length]);
  records.slice(0, -1).forEach((r, i) => expect(r.value).toBe(acknowledged[i]!.value));
  await broker.stop();
  // And it all survives a restart.
  broker = await startBroker({ dataDir: path.join(mountPoint, "data"), kafkaPort: 0, httpPort: 0 });
  expect((await broker.logs.describeTopic("filling")).partitionStates[0]!.highWatermark).toBe(acknowledged.length + 1);
});
