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

  it("keeps non-ASCII header keys, missing timestamps, 3-byte varint lengths and producer fields", async () => {
    const wide = fc.record({
      key: fc.option(fc.string({ unit: "grapheme", maxLength: 10 }).map((k) => Buffer.from(k)), { nil: null }),
      // Up to 20 KB: lengths of 2^14 and more take three varint bytes.
      value: fc.oneof(bytes, fc.integer({ min: 16_380, max: 20_000 }).map((n) => Buffer.alloc(n, 7))),
      headers: fc.array(fc.record({ key: fc.string({ unit: "grapheme", maxLength: 12 }), value: nullableBytes }), { maxLength: 3 }),
    });
    const producer = fc.record({
      producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 47 })),
      producerEpoch: fc.integer({ min: 0, max: 32767 }),
      baseSequence: fc.integer({ min: 0, max: 2 ** 31 - 100 }),
      transactional: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(wide, { minLength: 1, maxLength: 6 }), fc.boolean(), producer, fc.constantFrom(...codecs), async (records, noTimestamp, p, codec) => {
        const plain = records.map((r) => ({ ...r, timestamp: noTimestamp ? -1 : 1_700_000_000_000 }));
        const batch = await encodeRecordBatch(plain, { compression: codec, ...p });
        const decoded = await decodeRecordBatch(batch);
        expect(decoded.header).toMatchObject({ producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: p.baseSequence });
        expect(decoded.isTransactional).toBe(p.transactional);
        decoded.records.forEach((r, i) => {
          expect(r.key).toEqual(records[i]!.key);
          expect(r.value).toEqual(records[i]!.value);
          expect(r.headers).toEqual(records[i]!.headers);
          expect(r.timestamp).toBe(noTimestamp ? -1 : 1_700_000_000_000);
        });
        // A batch without timestamps is stored without one: its maxTimestamp stays -1.
        const valid = await validateBatch(Buffer.from(batch), { maxMessageBytes: 2 ** 30, requireKeys: false, logAppendTime: false }, Date.now());
        expect(valid.maxTimestamp).toBe(noTimestamp ? -1 : 1_700_000_000_000);
      }),
      { numRuns: 80 },
    );
  });

  it("refuses a batch one byte over max.message.bytes, and takes it at the limit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 5 }), async (records) => {
        const batch = await encodeRecordBatch(records);
        await expect(validateBatch(Buffer.from(batch), { maxMessageBytes: batch.length - 1, requireKeys: false, logAppendTime: false }, Date.now())).rejects.toThrow(/max.message.bytes/);
        expect((await validateBatch(Buffer.from(batch), { maxMessageBytes: batch.length, requireKeys: false, logAppendTime: false }, Date.now())).size).toBe(batch.length);
      }),
      { numRuns: 50 },
    );
  });

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
