import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { JsonSequenceSplitter } from "../../src/server/http/json-sequence.js";

// REST v3's streamed produce: concatenated JSON records, cut into chunks anywhere
// (inside strings, escapes and multi-byte characters), must come back whole and
// in order; a value past the limit and a stray byte are refused.

const record = fc.dictionary(fc.string({ unit: "grapheme", maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
const gap = fc.constantFrom("", " ", "\n", "\r\n", "\t ");

describe("JSON sequence splitter", () => {
  it("returns every record whole and in order, however the bytes are cut", () => {
    fc.assert(fc.property(fc.array(fc.tuple(record, gap), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (records, cuts) => {
      const text = Buffer.from(records.map(([r, g]) => JSON.stringify(r) + g).join(""));
      const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const splitter = new JsonSequenceSplitter(1 << 20);
      const out: unknown[] = [];
      let from = 0;
      for (const at of [...points, text.length]) {
        for (const value of splitter.feed(text.subarray(from, at))) out.push(JSON.parse(value.toString("utf8")));
        from = at;
      }
      expect(splitter.error).toBeUndefined();
      splitter.finish();
      expect(out).toEqual(records.map(([r]) => JSON.parse(JSON.stringify(r))));
    }), { numRuns: 500 });
  });

  it("refuses a value longer than the limit as soon as it passes it, and bytes that start no record", () => {
    const long = new JsonSequenceSplitter(64);
    expect(long.feed(Buffer.from(`{"a":"${"x".repeat(40)}"} {"b":"`))).toHaveLength(1);
    expect(long.error).toBeUndefined();
    expect(long.feed(Buffer.from("y".repeat(100)))).toEqual([]);
    expect(long.error?.message).toMatch(/longer than the limit of 64 bytes/);
    const stray = new JsonSequenceSplitter(1024);
    expect(stray.feed(Buffer.from('{"a":1} 42 {"b":2}'))).toHaveLength(1);
    expect(stray.error?.message).toMatch(/expected '\{'/);
    const cut = new JsonSequenceSplitter(1024);
    cut.feed(Buffer.from('{"a":"unfinished'));
    expect(() => cut.finish()).toThrow(/ended inside a value/);
  });
});
