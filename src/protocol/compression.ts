// The four codecs a RecordBatch may carry (attributes bits 0-2), in both directions.
// gzip comes from node:zlib; snappy, lz4 and zstd from napi-rs libraries that load
// under Node, under Bun and inside the compiled binary.

import { gunzip, gzip } from "node:zlib";
import { promisify } from "node:util";
import { lz4DecompressedBound, snappyDeclaredLength, zstdDecompressedBound } from "./decompressed-size.js";

export enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export const COMPRESSION_NAMES: Record<string, Compression> = {
  none: Compression.None,
  gzip: Compression.Gzip,
  snappy: Compression.Snappy,
  lz4: Compression.Lz4,
  zstd: Compression.Zstd,
};

export class CompressionError extends Error {}

/** The payload would decompress to more than the caller allows. */
export class DecompressedSizeError extends CompressionError {
  constructor(readonly bytesMax: number, detail = "") {
    super(`decompressed size exceeds ${bytesMax} bytes${detail}`);
  }
}

// The native codecs load when first needed: most brokers never see some of
// them, and loading them all costs the binary's start-up time.
type Snappy = typeof import("snappy");
let snappyModule: Promise<Snappy> | undefined;
const snappy = () => (snappyModule ??= import("snappy"));
let lz4Module: Promise<typeof import("lz4-napi")> | undefined;
const lz4 = () => (lz4Module ??= import("lz4-napi"));
let zstdModule: Promise<typeof import("@mongodb-js/zstd")> | undefined;
const zstd = () => (zstdModule ??= import("@mongodb-js/zstd"));

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

// The Java client frames snappy the way xerial's SnappyOutputStream does:
// an 8-byte magic, two int32 versions, then [int32 length, snappy block]*.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK_SIZE = 32 * 1024;

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

/** A raw snappy block, refused before decoding when it declares more than `room` bytes of `maxBytes`. */
function snappyBlock(codec: Snappy, data: Buffer, maxBytes: number, room = maxBytes): Buffer {
  if (snappyDeclaredLength(data) > room) throw new DecompressedSizeError(maxBytes);
  return codec.uncompressSync(data) as Buffer;
}

function snappyDecode(codec: Snappy, data: Buffer, maxBytes: number): Buffer {
  if (!isXerial(data)) return snappyBlock(codec, data, maxBytes);
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new CompressionError("truncated xerial snappy chunk length");
    const length = data.readInt32BE(pos);
    pos += 4;
    if (length < 0 || pos + length > data.length) throw new CompressionError("truncated xerial snappy chunk");
    const part = snappyBlock(codec, data.subarray(pos, pos + length), maxBytes, maxBytes - total);
    total += part.length;
    parts.push(part);
    pos += length;
  }
  return Buffer.concat(parts, total);
}

function snappyEncode(codec: Snappy, data: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const block = codec.compressSync(data.subarray(pos, pos + XERIAL_BLOCK_SIZE));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

export async function compress(codec: Compression, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case Compression.None:
      return data;
    case Compression.Gzip:
      return gzipAsync(data);
    case Compression.Snappy:
      return snappyEncode(await snappy(), data);
    case Compression.Lz4:
      return (await lz4()).compressFrameSync(data);
    case Compression.Zstd:
      return (await zstd()).compress(data, 3);
    default:
      throw new CompressionError(`unknown compression codec ${codec as number}`);
  }
}

/**
 * Decompresses `data`; a result over `maxBytes` is refused so one small batch
 * cannot make the broker allocate without bound.
 */
export async function decompress(codec: Compression, data: Buffer, maxBytes: number): Promise<Buffer> {
  let out: Buffer;
  try {
    switch (codec) {
      case Compression.None:
        out = data;
        break;
      case Compression.Gzip:
        out = await gunzipAsync(data, { maxOutputLength: maxBytes });
        break;
      case Compression.Snappy:
        out = snappyDecode(await snappy(), data, maxBytes);
        break;
      case Compression.Lz4:
        // The native decoders take no output limit: their frames' headers bound the output first.
        if (lz4DecompressedBound(data) > maxBytes) throw new DecompressedSizeError(maxBytes, " (bound read from the lz4 frame headers)");
        out = (await lz4()).decompressFrameSync(data);
        break;
      case Compression.Zstd:
        if (zstdDecompressedBound(data) > maxBytes) throw new DecompressedSizeError(maxBytes, " (bound read from the zstd frame headers)");
        out = await (await zstd()).decompress(data);
        break;
      default:
        throw new CompressionError(`unknown compression codec ${codec as number}`);
    }
  } catch (err) {
    if (err instanceof CompressionError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw new DecompressedSizeError(maxBytes);
    throw new CompressionError(`${Compression[codec] ?? codec} payload does not decompress: ${(err as Error).message}`);
  }
  if (out.length > maxBytes) throw new DecompressedSizeError(maxBytes);
  return out;
}
