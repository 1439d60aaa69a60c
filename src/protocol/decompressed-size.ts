// How large an lz4 or zstd payload can become, read from its frame and block
// headers without decompressing anything. Neither native decoder takes an
// output limit, so a few kilobytes could otherwise claim gigabytes; with this
// bound checked first, the decoder runs only when its output cannot exceed
// the caller's limit.
//
// lz4 frame:  magic 184D2204, FLG, BD, [content size 8], [dict id 4], HC,
//             then blocks [u32 size (bit 31: stored uncompressed), data, [checksum 4]]
//             up to a zero size, then [content checksum 4]. A compressed block
//             expands to at most the frame's block maximum (BD bits 4-6).
// zstd frame: magic FD2FB528, descriptor, [window], [dict id], [content size],
//             then blocks [3-byte header: last, type, size] with raw blocks
//             holding `size` bytes, RLE blocks expanding to `size`, and
//             compressed blocks to at most min(window, 128 KiB); [checksum 4].
// Both formats allow skippable frames (magic 184D2A5x) and concatenated frames.

export class FrameFormatError extends Error {}

const LZ4_MAGIC = 0x184d2204;
const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

function isSkippable(magic: number): boolean {
  return (magic & 0xfffffff0) === 0x184d2a50;
}

function need(data: Buffer, pos: number, bytes: number, what: string): void {
  if (pos + bytes > data.length) throw new FrameFormatError(`truncated ${what}`);
}

/** Skips a skippable frame at `pos`; returns where the next frame starts. */
function skipFrame(data: Buffer, pos: number): number {
  need(data, pos, 8, "skippable frame");
  return pos + 8 + data.readUInt32LE(pos + 4);
}

/**
 * Sums the bound of every frame in `data`, skipping skippable frames;
 * `frame(pos)` reads the frame at `pos` and returns its bound and end.
 */
function boundOfFrames(data: Buffer, magicWanted: number, format: string, frame: (pos: number) => { bound: number; end: number }): number {
  let bound = 0;
  let pos = 0;
  while (pos < data.length) {
    need(data, pos, 4, `${format} magic`);
    const magic = data.readUInt32LE(pos);
    if (isSkippable(magic)) {
      pos = skipFrame(data, pos);
      continue;
    }
    if (magic !== magicWanted) throw new FrameFormatError(`not an ${format} frame`);
    const read = frame(pos);
    bound += read.bound;
    pos = read.end;
  }
  return bound;
}

/** The most bytes an lz4 frame sequence can decompress to. */
export function lz4DecompressedBound(data: Buffer): number {
  return boundOfFrames(data, LZ4_MAGIC, "lz4", (pos) => {
    let bound = 0;
    need(data, pos, 7, "lz4 frame header");
    const flags = data[pos + 4]!;
    if (flags >> 6 !== 1) throw new FrameFormatError(`lz4 frame version ${flags >> 6} is not 1`);
    const blockMax = LZ4_BLOCK_MAX[(data[pos + 5]! >> 4) & 7]!;
    if (blockMax === 0) throw new FrameFormatError("lz4 frame declares an invalid block size");
    const blockChecksum = (flags & 0x10) !== 0;
    pos += 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1;
    for (;;) {
      need(data, pos, 4, "lz4 block header");
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      need(data, pos, size, "lz4 block");
      bound += word >>> 31 ? size : blockMax;
      pos += size + (blockChecksum ? 4 : 0);
    }
    return { bound, end: pos + ((flags & 0x04) !== 0 ? 4 : 0) };
  });
}

/** The most bytes a zstd frame sequence can decompress to. */
export function zstdDecompressedBound(data: Buffer): number {
  return boundOfFrames(data, ZSTD_MAGIC, "zstd", (pos) => {
    let bound = 0;
    need(data, pos, 5, "zstd frame header");
    const descriptor = data[pos + 4]!;
    pos += 5;
    const singleSegment = (descriptor & 0x20) !== 0;
    const fcsFlag = descriptor >> 6;
    const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
    let window = Infinity;
    if (!singleSegment) {
      need(data, pos, 1, "zstd window descriptor");
      const w = data[pos++]!;
      const base = 2 ** (10 + (w >> 3));
      window = base + (base / 8) * (w & 7);
    }
    pos += [0, 1, 2, 4][descriptor & 3]!;
    need(data, pos, fcsBytes, "zstd content size");
    if (singleSegment) {
      // The window is the content size: no block may exceed it.
      window = fcsBytes === 1 ? data[pos]! : fcsBytes === 2 ? data.readUInt16LE(pos) + 256 : fcsBytes === 4 ? data.readUInt32LE(pos) : Number(data.readBigUInt64LE(pos));
    }
    pos += fcsBytes;
    const blockMax = Math.min(window, ZSTD_BLOCK_MAX);
    for (let last = false; !last;) {
      need(data, pos, 3, "zstd block header");
      const header = data.readUIntLE(pos, 3);
      pos += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw new FrameFormatError("zstd block of reserved type");
      const stored = type === 1 ? 1 : size;
      need(data, pos, stored, "zstd block");
      bound += type === 2 ? blockMax : size;
      pos += stored;
    }
    return { bound, end: pos + ((descriptor & 0x04) !== 0 ? 4 : 0) };
  });
}

/** The length a raw snappy block declares in its leading varint. */
export function snappyDeclaredLength(data: Buffer, from = 0, to = data.length): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (from + i >= to) throw new FrameFormatError("truncated snappy length");
    const b = data[from + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return value;
  }
  throw new FrameFormatError("snappy length is longer than 5 bytes");
}
