// Kafka's message formats before record batches (magic 0 and 1), which
// Produce v0-2 carry and Fetch v0-3 expect: a message set is a run of
// [offset int64][size int32][message], a message is [crc32 (IEEE) int32]
// [magic int8][attributes int8][timestamp int64, magic 1 only][key bytes]
// [value bytes], and a compressed message holds a whole inner message set as
// its value. Produced sets are read into plain records (then stored as a v2
// batch); fetched v2 batches are written out as uncompressed legacy messages
// (headers have no place there and are dropped, as Kafka's down-conversion does).

import { crc32 } from "@node-rs/crc32";
import { Compression, decompress } from "./compression.js";
import type { DecodedRecord, PlainRecord } from "./record-batch-codec.js";

export class LegacyMessageError extends Error {}

const OFFSET_AND_SIZE = 12;
const TIMESTAMP_TYPE_BIT = 0x08;
const CODEC_MASK = 0x07;
/** Timestamp of a magic 0 message: none. */
export const NO_TIMESTAMP = -1;

export interface LegacyMessageSet {
  records: PlainRecord[];
  /** The codec of the wrapper message(s), or None: the v2 batch is stored with it. */
  compression: Compression;
  /** The highest magic seen (0 or 1). */
  magic: number;
}

interface Message {
  magic: number;
  attributes: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function readBytes(buf: Buffer, at: { pos: number }, end: number, what: string): Buffer | null {
  if (at.pos + 4 > end) throw new LegacyMessageError(`${what} length runs past the message`);
  const length = buf.readInt32BE(at.pos);
  at.pos += 4;
  if (length === -1) return null;
  if (length < 0 || at.pos + length > end) throw new LegacyMessageError(`${what} of ${length} bytes runs past the message`);
  const out = buf.subarray(at.pos, at.pos + length);
  at.pos += length;
  return out;
}

function readMessage(buf: Buffer, start: number, end: number): Message {
  if (end - start < 14) throw new LegacyMessageError(`message of ${end - start} bytes is shorter than its header`);
  const crc = buf.readUInt32BE(start);
  if ((crc32(buf.subarray(start + 4, end)) >>> 0) !== crc) throw new LegacyMessageError("message CRC does not match its bytes");
  const magic = buf.readInt8(start + 4);
  if (magic !== 0 && magic !== 1) throw new LegacyMessageError(`message magic ${magic}: only 0 and 1 are legacy formats`);
  const attributes = buf.readInt8(start + 5);
  const at = { pos: start + 6 };
  let timestamp = NO_TIMESTAMP;
  if (magic === 1) {
    if (at.pos + 8 > end) throw new LegacyMessageError("timestamp runs past the message");
    timestamp = Number(buf.readBigInt64BE(at.pos));
    at.pos += 8;
  }
  const key = readBytes(buf, at, end, "key");
  const value = readBytes(buf, at, end, "value");
  if (at.pos !== end) throw new LegacyMessageError(`${end - at.pos} bytes after the message's value`);
  return { magic, attributes, timestamp, key, value };
}

function* entries(buf: Buffer): Generator<{ offset: bigint; start: number; end: number }> {
  let pos = 0;
  while (pos < buf.length) {
    if (pos + OFFSET_AND_SIZE > buf.length) throw new LegacyMessageError(`message set has ${buf.length - pos} stray bytes at its end`);
    const size = buf.readInt32BE(pos + 8);
    const start = pos + OFFSET_AND_SIZE;
    if (size < 0 || start + size > buf.length) throw new LegacyMessageError(`message of ${size} bytes runs past the message set`);
    yield { offset: buf.readBigInt64BE(pos), start, end: start + size };
    pos = start + size;
  }
}

/**
 * Reads a produced legacy message set into plain records. Compressed wrappers
 * are inflated (no further than `maxBytes`); all wrappers must share one codec.
 */
export async function readLegacyMessageSet(buf: Buffer, maxBytes: number): Promise<LegacyMessageSet> {
  const records: PlainRecord[] = [];
  let compression = Compression.None;
  let magic = 0;
  let decompressed = 0;
  for (const entry of entries(buf)) {
    const message = readMessage(buf, entry.start, entry.end);
    magic = Math.max(magic, message.magic);
    const codec = message.attributes & CODEC_MASK;
    if (codec === Compression.None) {
      records.push({ key: message.key, value: message.value, headers: [], timestamp: message.timestamp });
      continue;
    }
    if (codec > Compression.Lz4) throw new LegacyMessageError(`compression codec ${codec} is not allowed in message format ${message.magic}`);
    if (records.length > 0 && compression !== codec) throw new LegacyMessageError("a message set mixes compression codecs");
    compression = codec;
    if (!message.value) throw new LegacyMessageError("a compressed message has no value");
    const inner = await decompress(codec, message.value, maxBytes - decompressed);
    decompressed += inner.length;
    // A wrapper with LogAppendTime gives its own timestamp to every inner message.
    const wrapperTime = message.magic === 1 && (message.attributes & TIMESTAMP_TYPE_BIT) !== 0 ? message.timestamp : undefined;
    for (const innerEntry of entries(inner)) {
      const m = readMessage(inner, innerEntry.start, innerEntry.end);
      if ((m.attributes & CODEC_MASK) !== Compression.None) throw new LegacyMessageError("a compressed message nests another compressed message");
      records.push({ key: m.key, value: m.value, headers: [], timestamp: wrapperTime ?? m.timestamp });
    }
  }
  if (records.length === 0) throw new LegacyMessageError("the message set holds no message");
  return { records, compression, magic };
}

/** Writes records as an uncompressed legacy message set of `magic`, from `fromOffset` on. */
export function writeLegacyMessageSet(records: DecodedRecord[], magic: 0 | 1, fromOffset: number, logAppendTime: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) {
    if (r.offset < fromOffset) continue;
    const keyLength = r.key ? r.key.length : 0;
    const valueLength = r.value ? r.value.length : 0;
    const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + keyLength + 4 + valueLength;
    const out = Buffer.alloc(OFFSET_AND_SIZE + size);
    out.writeBigInt64BE(BigInt(r.offset), 0);
    out.writeInt32BE(size, 8);
    let pos = OFFSET_AND_SIZE + 4;
    out.writeInt8(magic, pos++);
    out.writeInt8(magic === 1 && logAppendTime ? TIMESTAMP_TYPE_BIT : 0, pos++);
    if (magic === 1) {
      out.writeBigInt64BE(BigInt(r.timestamp), pos);
      pos += 8;
    }
    for (const field of [r.key, r.value]) {
      if (field === null) out.writeInt32BE(-1, pos);
      else {
        out.writeInt32BE(field.length, pos);
        field.copy(out, pos + 4);
      }
      pos += 4 + (field?.length ?? 0);
    }
    out.writeUInt32BE(crc32(out.subarray(OFFSET_AND_SIZE + 4)) >>> 0, OFFSET_AND_SIZE);
    parts.push(out);
  }
  return Buffer.concat(parts);
}
