// Encodes and decodes any Kafka message from its generated schema
// (generated/messages.ts): fixed-width integers, (compact) strings, bytes and
// arrays, nullable fields, nested structs and, in flexible versions, tagged
// fields. Pure: no I/O. INT64 values are bigint; uuids are canonical strings.

import { inRange, type FieldSchema, type MessageSchema } from "./message-schema.js";

export class ProtocolDecodeError extends Error {}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Message = Record<string, any>;

/** The uuid Kafka sends where there is none (an unknown or absent topic id). */
export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

export class Reader {
  constructor(readonly buf: Buffer, public pos = 0, readonly end = buf.length) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new ProtocolDecodeError(`${what} runs past the end of the message at byte ${this.pos}`);
  }

  int8(): number { this.need(1, "int8"); return this.buf.readInt8(this.pos++); }
  int16(): number { this.need(2, "int16"); const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v; }
  uint16(): number { this.need(2, "uint16"); const v = this.buf.readUInt16BE(this.pos); this.pos += 2; return v; }
  int32(): number { this.need(4, "int32"); const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
  int64(): bigint { this.need(8, "int64"); const v = this.buf.readBigInt64BE(this.pos); this.pos += 8; return v; }
  float64(): number { this.need(8, "float64"); const v = this.buf.readDoubleBE(this.pos); this.pos += 8; return v; }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, "varint");
      const byte = this.buf[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw new ProtocolDecodeError(`unsigned varint ${value} exceeds 32 bits`);
        return value;
      }
    }
    throw new ProtocolDecodeError(`unsigned varint longer than 5 bytes at byte ${this.pos}`);
  }

  raw(n: number, what: string): Buffer {
    if (n < 0) throw new ProtocolDecodeError(`${what} has negative length ${n}`);
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  uuid(): string {
    const hex = this.raw(16, "uuid").toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

/** Byte strings at least this long are not copied into the output: they go out as their own chunk. */
const GATHER_BYTES_MIN = 32 * 1024;

export class Writer {
  private buf: Buffer;
  pos = 0;
  /** Finished pieces of output: slices of `buf` and large byte strings passed through uncopied. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Where the part of `buf` not yet in `chunks` starts. */
  private start = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Earlier chunks keep pointing into the old buffer, which is never written again.
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos - this.start + n + 256));
    this.buf.copy(next, 0, this.start, this.pos);
    this.pos -= this.start;
    this.start = 0;
    this.buf = next;
  }

  int8(v: number): void { this.ensure(1); this.buf.writeInt8(v, this.pos); this.pos += 1; }
  int16(v: number): void { this.ensure(2); this.buf.writeInt16BE(v, this.pos); this.pos += 2; }
  uint16(v: number): void { this.ensure(2); this.buf.writeUInt16BE(v, this.pos); this.pos += 2; }
  int32(v: number): void { this.ensure(4); this.buf.writeInt32BE(v, this.pos); this.pos += 4; }
  int64(v: bigint): void { this.ensure(8); this.buf.writeBigInt64BE(v, this.pos); this.pos += 8; }
  float64(v: number): void { this.ensure(8); this.buf.writeDoubleBE(v, this.pos); this.pos += 8; }

  uvarint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  raw(b: Uint8Array): void {
    if (b.length >= GATHER_BYTES_MIN) {
      this.cut();
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      this.chunkBytes += b.length;
      return;
    }
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private cut(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.chunkBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }

  uuid(v: string): void {
    const hex = v.replace(/-/g, "");
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`'${v}' is not a uuid`);
    this.raw(Buffer.from(hex, "hex"));
  }

  get length(): number {
    return this.chunkBytes + this.pos - this.start;
  }

  /** The output as chunks, large byte strings uncopied (for a gathering socket write). */
  finishChunks(): Buffer[] {
    this.cut();
    return this.chunks;
  }

  /** The output as one buffer. */
  finish(): Buffer {
    const chunks = this.finishChunks();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.chunkBytes);
  }
}

function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexibleVersions, version);
}

function elementType(type: string): string | undefined {
  return type.startsWith("[]") ? type.slice(2) : undefined;
}

/** The value a field takes when absent (not in this version, or not sent as a tagged field). */
export function defaultValue(field: FieldSchema): unknown {
  const d = field.default;
  if (elementType(field.type) !== undefined) return d === "null" ? null : [];
  switch (field.type) {
    case "bool": return d === "true";
    case "int8": case "int16": case "uint16": case "int32": case "float64": return d === undefined || d === "" ? 0 : Number(d);
    case "int64": return d === undefined || d === "" ? 0n : BigInt(d);
    case "string": return d === "null" ? null : d ?? "";
    case "bytes": case "records": return d === "null" || field.nullable ? null : Buffer.alloc(0);
    case "uuid": return ZERO_UUID;
    default:
      return field.fields ? defaultStruct(field.fields) : null;
  }
}

function defaultStruct(fields: FieldSchema[]): Message {
  const out: Message = {};
  for (const f of fields) out[f.name] = defaultValue(f);
  return out;
}

function readValue(r: Reader, field: FieldSchema, type: string, version: number, flexible: boolean): unknown {
  const nullable = inRange(field.nullable, version);
  const compact = field.flexible !== undefined ? inRange(field.flexible, version) : flexible;
  const element = elementType(type);
  if (element !== undefined) {
    const length = compact ? r.uvarint() - 1 : r.int32();
    if (length < 0) {
      if (!nullable) throw new ProtocolDecodeError(`array ${field.name} is null but not nullable in v${version}`);
      return null;
    }
    if (length > r.remaining) throw new ProtocolDecodeError(`array ${field.name} claims ${length} elements with ${r.remaining} bytes left`);
    const out = new Array(length);
    for (let i = 0; i < length; i++) out[i] = readValue(r, field, element, version, flexible);
    return out;
  }
  switch (type) {
    case "bool": return r.int8() !== 0;
    case "int8": return r.int8();
    case "int16": return r.int16();
    case "uint16": return r.uint16();
    case "int32": return r.int32();
    case "int64": return r.int64();
    case "float64": return r.float64();
    case "uuid": return r.uuid();
    case "string": {
      const length = compact ? r.uvarint() - 1 : r.int16();
      if (length < 0) {
        if (!nullable) throw new ProtocolDecodeError(`string ${field.name} is null but not nullable in v${version}`);
        return null;
      }
      return r.raw(length, `string ${field.name}`).toString("utf8");
    }
    case "bytes":
    case "records": {
      const length = compact ? r.uvarint() - 1 : r.int32();
      if (length < 0) {
        if (!nullable) throw new ProtocolDecodeError(`bytes ${field.name} are null but not nullable in v${version}`);
        return null;
      }
      return r.raw(length, `bytes ${field.name}`);
    }
    default:
      return readStruct(r, field.fields!, version, flexible);
  }
}

function readStruct(r: Reader, fields: FieldSchema[], version: number, flexible: boolean): Message {
  const out: Message = {};
  for (const f of fields) {
    if (!inRange(f.versions, version) || (flexible && inRange(f.tagged, version))) out[f.name] = defaultValue(f);
    else out[f.name] = readValue(r, f, f.type, version, flexible);
  }
  if (flexible) readTaggedFields(r, fields, version, out);
  return out;
}

function readTaggedFields(r: Reader, fields: FieldSchema[], version: number, out: Message): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    const size = r.uvarint();
    const body = r.raw(size, `tagged field ${tag}`);
    const field = fields.find((f) => f.tag === tag && inRange(f.tagged, version));
    if (!field) continue; // unknown tags are skipped, as the protocol requires
    const inner = new Reader(body);
    out[field.name] = readValue(inner, field, field.type, version, true);
  }
}

/** Skips a tagged-field section none of whose tags we read (request and response headers). */
export function skipTaggedFields(r: Reader): void {
  readTaggedFields(r, [], 0, {});
}

/** Decodes a message body of `version`; `r` is left after its last byte. */
export function decodeMessage(schema: MessageSchema, version: number, r: Reader): Message {
  return readStruct(r, schema.fields, version, isFlexible(schema, version));
}

function writeValue(w: Writer, field: FieldSchema, type: string, version: number, flexible: boolean, value: unknown): void {
  const nullable = inRange(field.nullable, version);
  const compact = field.flexible !== undefined ? inRange(field.flexible, version) : flexible;
  const element = elementType(type);
  if (value === undefined) value = defaultValue(field);
  if (element !== undefined) {
    if (value === null) {
      if (!nullable) throw new TypeError(`array ${field.name} may not be null in v${version}`);
      if (compact) w.uvarint(0);
      else w.int32(-1);
      return;
    }
    const items = value as unknown[];
    if (compact) w.uvarint(items.length + 1);
    else w.int32(items.length);
    for (const item of items) writeValue(w, field, element, version, flexible, item);
    return;
  }
  switch (type) {
    case "bool": w.int8(value ? 1 : 0); return;
    case "int8": w.int8(value as number); return;
    case "int16": w.int16(value as number); return;
    case "uint16": w.uint16(value as number); return;
    case "int32": w.int32(value as number); return;
    case "int64": w.int64(BigInt(value as number | bigint)); return;
    case "float64": w.float64(value as number); return;
    case "uuid": w.uuid(value as string); return;
    case "string":
    case "bytes":
    case "records": {
      if (value === null) {
        if (!nullable) throw new TypeError(`${field.name} may not be null in v${version}`);
        if (compact) w.uvarint(0);
        else if (type === "string") w.int16(-1);
        else w.int32(-1);
        return;
      }
      const bytes = type === "string" ? Buffer.from(value as string, "utf8") : (value as Buffer);
      if (compact) w.uvarint(bytes.length + 1);
      else if (type === "string") w.int16(bytes.length);
      else w.int32(bytes.length);
      w.raw(bytes);
      return;
    }
    default:
      writeStruct(w, field.fields!, version, flexible, value as Message);
  }
}

/** Whether a tagged field holds its default (then it is left out, as Kafka does); a struct is default when all its fields are. */
function isDefault(field: FieldSchema, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (field.fields && !elementType(field.type) && typeof value === "object" && !Buffer.isBuffer(value)) {
    return field.fields.every((f) => isDefault(f, (value as Message)[f.name]));
  }
  const d = defaultValue(field);
  return typeof value !== "object" && value === d;
}

function writeStruct(w: Writer, fields: FieldSchema[], version: number, flexible: boolean, value: Message): void {
  const tagged: FieldSchema[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    if (flexible && inRange(f.tagged, version)) {
      if (!isDefault(f, value[f.name])) tagged.push(f);
      continue;
    }
    writeValue(w, f, f.type, version, flexible, value[f.name]);
  }
  if (!flexible) return;
  tagged.sort((a, b) => a.tag! - b.tag!);
  w.uvarint(tagged.length);
  for (const f of tagged) {
    const inner = new Writer(64);
    writeValue(inner, f, f.type, version, true, value[f.name]);
    const bytes = inner.finish();
    w.uvarint(f.tag!);
    w.uvarint(bytes.length);
    w.raw(bytes);
  }
}

/** Encodes `value` as a message body of `version`. */
export function encodeMessage(schema: MessageSchema, version: number, value: Message, w: Writer): void {
  writeStruct(w, schema.fields, version, isFlexible(schema, version), value);
}
