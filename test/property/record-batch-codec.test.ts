import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Compression } from "../../src/protocol/compression.js";
import { decodeRecordBatch, encodeRecordBatch, splitBatches, type PlainRecord } from "../../src/protocol/record-batch-codec.js";
import { validateBatch } from "../../src/log/batch-validator.js";

const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const nullableBytes = fc.option(bytes, { nil: null, freq: 4 });
const header = fc.record({ key: fc.string({ maxLength: 20 }), value: nullableBytes });
const record: fc.Arbitrary<PlainRecord> = fc.record({
  key: nullableBytes,
  value: nullableBytes,
  headers: fc.array(header, { maxLength: 4 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});
const codecs = [Compression.None, Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd];

describe("record batch codec", () => {
  for (const codec of codecs) {
    it(`round-trips records with ${Compression[codec]} and consumes every byte`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 2 ** 40 }), async (records, baseOffset) => {
          const batch = await encodeRecordBatch(records, { compression: codec, baseOffset });
          // Two batches back to back split exactly at the boundary: lengths account for every byte.
          expect(splitBatches(Buffer.concat([batch, batch])).map((b) => b.length)).toEqual([batch.length, batch.length]);
          const decoded = await decodeRecordBatch(batch);
          expect(decoded.compression).toBe(codec);
          expect(decoded.header.recordCount).toBe(records.length);
          expect(decoded.records.map((r) => r.offset)).toEqual(records.map((_, i) => baseOffset + i));
          decoded.records.forEach((r, i) => {
            const want = records[i]!;
            expect(r.key).toEqual(want.key);
            expect(r.value).toEqual(want.value);
            expect(r.timestamp).toBe(want.timestamp);
            expect(r.headers).toEqual(want.headers);
          });
          // What the codec writes is exactly what the log accepts, unchanged.
          const copy = Buffer.from(batch);
          const valid = await validateBatch(copy, { maxMessageBytes: 2 ** 30, requireKeys: false, logAppendTime: false }, Date.now());
          expect(valid.size).toBe(batch.length);
          expect(copy.equals(batch)).toBe(true);
        }),
        { numRuns: 60 },
      );
    });
  }

  it("rejects a records section with bytes left over or missing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 2, maxLength: 5 }), async (records) => {
        const batch = await encodeRecordBatch(records);
        batch.writeInt32BE(records.length - 1, 57); // claim one record fewer: bytes are left over
        await expect(decodeRecordBatch(batch)).rejects.toThrow(/after the last/);
        batch.writeInt32BE(records.length + 1, 57); // claim one more: the bytes run out
        await expect(decodeRecordBatch(batch)).rejects.toThrow();
      }),
      { numRuns: 30 },
    );
  });
});
