import { crc32c as nativeCrc32c } from "@node-rs/crc32";

/** CRC32C (Castagnoli) of `bytes`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  return nativeCrc32c(bytes as Buffer) >>> 0;
}
