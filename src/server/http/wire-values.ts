// How REST clients hand over bytes: base64 text, checked strictly (Node's
// decoder skips what is not base64, which would store other bytes than the
// client meant), and values framed in the schema registry's wire format.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard base64, padded or not; nothing else. */
export function isBase64(text: string): boolean {
  return BASE64.test(text) && text.length % 4 !== 1;
}

/** A value framed in the schema registry's wire format: byte 0, the schema id, the encoded value. */
export function framed(id: number, bytes: Buffer): Buffer {
  const out = Buffer.alloc(5 + bytes.length);
  out.writeInt32BE(id, 1);
  bytes.copy(out, 5);
  return out;
}
