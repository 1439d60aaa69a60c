import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeRequest, encodeRequest, peekRequestHeader, schemasFor } from "../../src/protocol/kafka-frame.js";
import { ProtocolDecodeError } from "../../src/protocol/message-codec.js";
import { API_TABLE } from "../../src/server/kafka/api-table.js";
import { startBroker, type Broker } from "../../src/server/broker.js";
import { RawKafka } from "../helpers/raw-kafka.js";

// Seeds: request frames recorded from kcat, librdkafka, kafka-python and kafkajs
// (test/fixtures/record-client-frames.ts).
const recorded = (JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "../fixtures/client-frames.json"), "utf8")) as
  { client: string; apiKey: number; apiVersion: number; hex: string }[]).map((f) => ({ ...f, frame: Buffer.from(f.hex, "hex") }));

// And one frame of every version of every API the broker serves (fields at their
// defaults), so every decoder, flexible versions included, gets mutated.
const served = [...API_TABLE].flatMap(([apiKey, entry]) => Array.from({ length: entry.maxVersion - entry.minVersion + 1 }, (_, i) => {
  const apiVersion = entry.minVersion + i;
  return { client: "served", apiKey, apiVersion, hex: "", frame: encodeRequest({ apiKey, apiVersion, correlationId: 1, clientId: "seed" }, {}).subarray(4) };
}));
const seeds = [...recorded, ...served];

function withSize(frame: Buffer): Buffer {
  const out = Buffer.alloc(4 + frame.length);
  out.writeInt32BE(frame.length, 0);
  frame.copy(out, 4);
  return out;
}

/** A frame changed at random: flipped bytes, a cut, or inserted garbage. */
const mutated = fc.tuple(
  fc.constantFrom(...seeds),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
  fc.option(fc.nat(), { nil: undefined }),
  fc.option(fc.uint8Array({ minLength: 1, maxLength: 16 }), { nil: undefined }),
).map(([seed, flips, cut, insert]) => {
  let frame = Buffer.from(seed.frame);
  // Keep the API key so the mutation reaches that API's decoder, not only the header check.
  for (const [at, x] of flips) if (frame.length > 2) frame[2 + (at % (frame.length - 2))]! ^= x;
  if (cut !== undefined) frame = frame.subarray(0, 8 + (cut % Math.max(1, frame.length - 8)));
  if (insert) {
    const at = 8 + ((flips[0]![0]) % Math.max(1, frame.length - 8));
    frame = Buffer.concat([frame.subarray(0, at), Buffer.from(insert), frame.subarray(at)]);
  }
  return frame;
});

describe("request decoder", () => {
  it("encodes and decodes every served version of every API", () => {
    expect(served.length).toBeGreaterThan(150);
    for (const s of served) expect(decodeRequest(s.frame).header, `api ${s.apiKey} v${s.apiVersion}`).toMatchObject({ apiKey: s.apiKey, apiVersion: s.apiVersion });
  });

  it("decodes every recorded client frame and re-encodes it to the same bytes", () => {
    expect(recorded.length).toBeGreaterThan(20);
    for (const r of recorded) {
      const { header, body } = decodeRequest(r.frame);
      expect(header).toMatchObject({ apiKey: r.apiKey, apiVersion: r.apiVersion });
      expect(encodeRequest(header, body).subarray(4).equals(r.frame), `${r.client} api ${r.apiKey} v${r.apiVersion}`).toBe(true);
    }
  });

  it("turns mutated frames into a decoded message or the decoder's own error, never anything else", () => {
    fc.assert(
      fc.property(mutated, (frame) => {
        const peek = peekRequestHeader(frame);
        if (!peek || !schemasFor(peek.apiKey)) return;
        const schema = schemasFor(peek.apiKey)!.request;
        if (!schema.validVersions || peek.apiVersion < schema.validVersions[0] || peek.apiVersion > schema.validVersions[1]) return;
        try {
          decodeRequest(frame);
        } catch (err) {
          // Only the decoder's own error: a RangeError or TypeError would be a bug in it.
          expect(err, String(err)).toBeInstanceOf(ProtocolDecodeError);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("survives random bytes behind a valid header", () => {
    const apis = seeds.map((r) => [r.apiKey, r.apiVersion] as const);
    fc.assert(
      fc.property(fc.constantFrom(...apis), fc.uint8Array({ maxLength: 200 }), ([apiKey, apiVersion], tail) => {
        const head = Buffer.alloc(8);
        head.writeInt16BE(apiKey, 0);
        head.writeInt16BE(apiVersion, 2);
        try {
          decodeRequest(Buffer.concat([head, Buffer.from(tail)]));
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(ProtocolDecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe("a live broker under mutated frames", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ ephemeral: true, kafkaPort: 0, httpPort: 0, kafkaRequestReadTimeoutMs: 200, autoCreateTopics: false });
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("answers or drops each bad connection and keeps serving everyone else", async () => {
    const frames = fc.sample(mutated, 300);
    for (let i = 0; i < frames.length; i += 30) {
      await Promise.all(frames.slice(i, i + 30).map(async (frame) => {
        const raw = await RawKafka.connect(broker.brokers[0]!);
        const answered = raw.send(withSize(frame)).catch(() => null);
        // An answer, or the broker closes (at once, or after the read timeout for a short frame);
        // a mutated Fetch may legitimately long-poll, so stop waiting after a second.
        await Promise.race([answered, raw.closedPromise, new Promise((r) => setTimeout(r, 1000))]);
        raw.close();
      }));
      const probe = await RawKafka.connect(broker.brokers[0]!);
      expect((await probe.request(18, 3, { clientSoftwareName: "probe", clientSoftwareVersion: "1" })).errorCode).toBe(0);
      probe.close();
    }
  });
});
