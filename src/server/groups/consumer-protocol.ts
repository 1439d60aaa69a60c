// The consumer group "consumer" embedded protocol: what Kafka consumers put in
// JoinGroup metadata (subscription) and SyncGroup assignments, version 0 layout.
// Members joining through HTTP speak it too, so they share groups with Kafka
// clients, and can lead a group (range assignment).

export interface Subscription {
  topics: string[];
}

export type Assignment = Map<string, number[]>;

export function encodeSubscription(s: Subscription): Buffer {
  const parts = s.topics.map((t) => Buffer.from(t, "utf8"));
  const buf = Buffer.alloc(2 + 4 + parts.reduce((n, p) => n + 2 + p.length, 0) + 4);
  let pos = buf.writeInt16BE(0, 0);
  pos = buf.writeInt32BE(parts.length, pos);
  for (const p of parts) {
    pos = buf.writeInt16BE(p.length, pos);
    pos += p.copy(buf, pos);
  }
  buf.writeInt32BE(-1, pos); // no user data
  return buf;
}

/** Reads an int16-length string at `at.pos` and moves past it. */
function readString(buf: Buffer, at: { pos: number }): string {
  const length = buf.readInt16BE(at.pos);
  at.pos += 2;
  const text = buf.subarray(at.pos, at.pos + length).toString("utf8");
  at.pos += length;
  return text;
}

export function decodeSubscription(buf: Buffer): Subscription {
  const topics: string[] = [];
  if (buf.length < 6) return { topics };
  const at = { pos: 6 };
  const count = buf.readInt32BE(2);
  for (let i = 0; i < count && at.pos + 2 <= buf.length; i++) topics.push(readString(buf, at));
  return { topics };
}

export function encodeAssignment(a: Assignment): Buffer {
  const topics = [...a.entries()];
  const size = 2 + 4 + topics.reduce((n, [t, ps]) => n + 2 + Buffer.byteLength(t) + 4 + 4 * ps.length, 0) + 4;
  const buf = Buffer.alloc(size);
  let pos = buf.writeInt16BE(0, 0);
  pos = buf.writeInt32BE(topics.length, pos);
  for (const [topic, partitions] of topics) {
    pos = buf.writeInt16BE(Buffer.byteLength(topic), pos);
    pos += buf.write(topic, pos, "utf8");
    pos = buf.writeInt32BE(partitions.length, pos);
    for (const p of partitions) pos = buf.writeInt32BE(p, pos);
  }
  buf.writeInt32BE(-1, pos);
  return buf;
}

export function decodeAssignment(buf: Buffer): Assignment {
  const out: Assignment = new Map();
  if (buf.length < 6) return out;
  const at = { pos: 6 };
  const count = buf.readInt32BE(2);
  for (let i = 0; i < count && at.pos + 2 <= buf.length; i++) {
    const topic = readString(buf, at);
    const n = buf.readInt32BE(at.pos);
    at.pos += 4;
    const partitions: number[] = [];
    for (let j = 0; j < n; j++, at.pos += 4) partitions.push(buf.readInt32BE(at.pos));
    out.set(topic, partitions);
  }
  return out;
}

/** Kafka's range assignor: per topic, contiguous ranges of partitions over members sorted by id. */
export function rangeAssign(members: { memberId: string; topics: string[] }[], partitionsOf: (topic: string) => number): Map<string, Assignment> {
  const result = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const count = partitionsOf(topic);
    const subscribers = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
    const per = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    let next = 0;
    subscribers.forEach((id, i) => {
      const n = per + (i < extra ? 1 : 0);
      if (n > 0) result.get(id)!.set(topic, Array.from({ length: n }, (_, k) => next + k));
      next += n;
    });
  }
  return result;
}
