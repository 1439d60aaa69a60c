import { describe, expect, it } from "vitest";
import { compressSync as rawSnappy } from "snappy";
import { Compression, CompressionError, compress, decompress } from "../../../src/protocol/compression.js";

const text = Buffer.from("tributary ".repeat(10_000));

describe("compression", () => {
  it("decodes snappy both raw (librdkafka) and xerial-framed (Java client)", async () => {
    expect(await decompress(Compression.Snappy, rawSnappy(text), 1 << 20)).toEqual(text);
    const framed = await compress(Compression.Snappy, text);
    expect(framed.subarray(1, 7).toString("latin1")).toBe("SNAPPY");
    expect(await decompress(Compression.Snappy, framed, 1 << 20)).toEqual(text);
  });

  for (const codec of [Compression.Gzip, Compression.Snappy, Compression.Lz4, Compression.Zstd]) {
    it(`${Compression[codec]}: garbage is a CompressionError, and so is output over the limit`, async () => {
      await expect(decompress(codec, Buffer.from("definitely not compressed data"), 1 << 20)).rejects.toBeInstanceOf(CompressionError);
      const packed = await compress(codec, text);
      await expect(decompress(codec, packed, 1000)).rejects.toThrow(/exceeds 1000 bytes/);
    });
  }
});
