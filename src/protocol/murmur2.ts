// Kafka's default partitioner for keyed records (the Java client and kafkajs 2.x):
// murmur2 of the key bytes, made positive, modulo the partition count.

export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    let k = (data[i]! & 0xff) | ((data[i + 1]! & 0xff) << 8) | ((data[i + 2]! & 0xff) << 16) | ((data[i + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (length - i) {
    case 3:
      h ^= (data[i + 2]! & 0xff) << 16;
    // falls through
    case 2:
      h ^= (data[i + 1]! & 0xff) << 8;
    // falls through
    case 1:
      h ^= data[i]! & 0xff;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka producers choose for a keyed record. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
