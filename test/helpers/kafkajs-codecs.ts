// kafkajs ships only gzip; these adapters give it snappy, lz4 and zstd through
// Tributary's own compression module, so tests can produce with every codec.
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { Compression, compress, decompress } from "../../src/protocol/compression.js";

function codec(c: Compression) {
  return () => ({
    compress: async (encoder: { buffer: Buffer }) => compress(c, encoder.buffer),
    decompress: async (buffer: Buffer) => decompress(c, buffer, 256 * 1024 * 1024),
  });
}

export function registerKafkajsCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = codec(Compression.Snappy);
  CompressionCodecs[CompressionTypes.LZ4] = codec(Compression.Lz4);
  CompressionCodecs[CompressionTypes.ZSTD] = codec(Compression.Zstd);
}
