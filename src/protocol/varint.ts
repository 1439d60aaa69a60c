// Zig-zag varints as used inside Kafka records (protobuf encoding).
// Values are JS numbers: every varlong Kafka puts in a record (timestamp and
// offset deltas, lengths) fits in 53 bits; larger values are rejected as bad input.

export class VarintError extends Error {}

export function zigzagSize(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

/** Writes `value` zig-zag encoded at `pos`; returns the position after it. */
export function writeZigzag(buf: Buffer, pos: number, value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 128) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** A decoded value and the position after it. */
export interface Decoded {
  value: number;
  next: number;
}

/** Reads a zig-zag varint (up to 10 bytes); throws VarintError when truncated or too large. */
export function readZigzag(buf: Uint8Array, pos: number, end: number, out: Decoded): void {
  let raw = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new VarintError("varint runs past the end of its buffer");
    const byte = buf[pos++]!;
    raw += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      if (raw > Number.MAX_SAFE_INTEGER) throw new VarintError("varint exceeds 53 bits");
      out.value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      out.next = pos;
      return;
    }
    scale *= 128;
  }
  throw new VarintError("varint longer than 10 bytes");
}
