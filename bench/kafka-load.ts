// Load generation over the Kafka protocol for bench/kafka-bench.ts: pre-encoded,
// pipelined Produce requests, sequential large Fetches, and fixed-rate latency
// probes measured from each request's intended send time (no coordinated omission).

import * as net from "node:net";
import * as tls from "node:tls";
import { decodeResponse, encodeRequest } from "../src/protocol/kafka-frame.js";
import { encodeRecordBatch } from "../src/protocol/record-batch-codec.js";

/**
 * One client connection. Response bytes are gathered into two receive buffers
 * used in turn, so a large response costs one copy into warm memory and no
 * allocation. A frame handed to a caller stays valid until the response after
 * next arrives: callers must use it before they send again (all of ours decode
 * it at once).
 */
export class Connection {
  private buffers = [Buffer.allocUnsafe(1 << 20), Buffer.allocUnsafe(1 << 20)];
  private current = 0;
  private filled = 0;
  private waiters: ((frame: Buffer) => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on("data", (d: Buffer) => this.receive(d));
  }

  private receive(d: Buffer): void {
    let buf = this.buffers[this.current]!;
    if (this.filled + d.length > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, this.filled + d.length));
      buf.copy(bigger, 0, 0, this.filled);
      buf = this.buffers[this.current] = bigger;
    }
    d.copy(buf, this.filled);
    this.filled += d.length;
    let pos = 0;
    while (this.filled - pos >= 4) {
      const size = buf.readInt32BE(pos);
      if (this.filled - pos < 4 + size) break;
      this.waiters.shift()!(buf.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    if (pos === 0) return;
    // Frames were handed out: gather what follows them in the other buffer.
    const rest = this.filled - pos;
    this.current ^= 1;
    let next = this.buffers[this.current]!;
    if (next.length < rest) next = this.buffers[this.current] = Buffer.allocUnsafe(rest * 2);
    buf.copy(next, 0, pos, this.filled);
    this.filled = rest;
  }

  /** `ca`: connect over TLS, trusting that CA. */
  static open(host: string, port: number, ca?: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket: net.Socket = ca
        ? tls.connect({ host, port, ca, servername: "localhost" }, () => resolve(new Connection(socket)))
        : net.connect(port, host, () => resolve(new Connection(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends a whole pre-encoded frame; resolves with the response frame. Calls may overlap (pipelining). */
  send(frame: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

let correlation = 1;

export async function produceFrame(topic: string, partition: number, recordBytes: number, batchBytes: number): Promise<{ frame: Buffer; records: number; bytes: number }> {
  const count = Math.max(1, Math.floor(batchBytes / (recordBytes + 12)));
  const value = Buffer.alloc(recordBytes, "r");
  const batch = await encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${i}`), value })));
  const frame = encodeRequest({ apiKey: 0, apiVersion: 9, correlationId: correlation++, clientId: "bench" }, {
    transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
  return { frame, records: count, bytes: batch.length };
}

export function checkProduceResponse(frame: Buffer): void {
  const body = decodeResponse(0, 9, frame).body;
  const code = body.responses[0].partitionResponses[0].errorCode;
  if (code !== 0) throw new Error(`produce failed with error ${code}`);
}

/** Keeps `inFlight` produce requests outstanding per partition until `totalBytes` are acknowledged. */
export async function produceLoad(conns: Connection[], topic: string, partitions: number, recordBytes: number, totalBytes: number, inFlight: number): Promise<{ mbPerSecond: number; recordsPerSecond: number }> {
  const frames = await Promise.all(Array.from({ length: partitions }, (_, p) => produceFrame(topic, p, recordBytes, 64 * 1024)));
  const perPartition = Math.ceil(totalBytes / partitions / frames[0]!.bytes);
  const start = performance.now();
  await Promise.all(frames.map(async (f, p) => {
    const conn = conns[p % conns.length]!;
    let sent = 0;
    const lane = async () => {
      while (sent < perPartition) {
        sent++;
        checkProduceResponse(await conn.send(f.frame));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  }));
  const seconds = (performance.now() - start) / 1000;
  const bytes = perPartition * partitions * frames[0]!.bytes;
  return { mbPerSecond: bytes / 1024 / 1024 / seconds, recordsPerSecond: (perPartition * partitions * frames[0]!.records) / seconds };
}

function fetchFrame(topic: string, partition: number, offset: number, maxBytes: number, maxWaitMs = 0): Buffer {
  return encodeRequest({ apiKey: 1, apiVersion: 11, correlationId: correlation++, clientId: "bench" }, {
    replicaId: -1, maxWaitMs, minBytes: maxWaitMs > 0 ? 1 : 0, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: maxBytes, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    forgottenTopicsData: [], rackId: "",
  });
}

/** Offset after the last whole batch in `records`, and the batches' bytes. */
function nextOffset(records: Buffer, current: number): number {
  let pos = 0;
  let last = -1;
  while (pos + 61 <= records.length) {
    const size = 12 + records.readInt32BE(pos + 8);
    if (pos + size > records.length) break;
    last = pos;
    pos += size;
  }
  return last < 0 ? current : Number(records.readBigInt64BE(last)) + records.readInt32BE(last + 23) + 1;
}

/**
 * Consumes every partition to its end the way Kafka consumers fetch: one
 * connection, one request for all partitions (1 MiB each, 50 MiB in all), one in flight.
 */
export async function consumeLoad(conn: Connection, topic: string, partitions: number, endOffsets: number[], firstPartition = 0): Promise<{ gbPerSecond: number; bytes: number }> {
  const offsets = endOffsets.map(() => 0);
  const start = performance.now();
  let bytes = 0;
  while (offsets.some((o, p) => o < endOffsets[p]!)) {
    const frame = encodeRequest({ apiKey: 1, apiVersion: 11, correlationId: correlation++, clientId: "bench" }, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 50 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: offsets.map((o, p) => ({ partition: firstPartition + p, fetchOffset: BigInt(o), partitionMaxBytes: 1024 * 1024, currentLeaderEpoch: -1, logStartOffset: -1n })) }],
      forgottenTopicsData: [], rackId: "",
    });
    const body = decodeResponse(1, 11, await conn.send(frame)).body;
    for (const p of body.responses[0].partitions) {
      const records = p.records as Buffer;
      bytes += records.length;
      const i = p.partitionIndex - firstPartition;
      offsets[i] = nextOffset(records, offsets[i]!);
    }
  }
  return { gbPerSecond: bytes / 1e9 / ((performance.now() - start) / 1000), bytes };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Produces one small record every 1/rate seconds for `seconds`; a consumer long-polls
 * the same partition. Latency runs from the *intended* send time to the moment the
 * consumer holds the record, so a stall counts against every request it delayed.
 */
export async function latencyRun(host: string, port: number, topic: string, rate: number, seconds: number): Promise<{ p50: number; p99: number; p999: number; count: number }> {
  const producer = await Connection.open(host, port);
  const consumer = await Connection.open(host, port);
  const intended = new Map<number, number>();
  const latencies: number[] = [];
  const total = rate * seconds;
  let done = false;
  const consuming = (async () => {
    let offset = 0;
    while (!done || latencies.length < total) {
      const body = decodeResponse(1, 11, await consumer.send(fetchFrame(topic, 0, offset, 1 << 20, 500))).body;
      const records = body.responses[0].partitions[0].records as Buffer;
      const now = performance.now();
      let pos = 0;
      while (pos + 61 <= records.length) {
        const size = 12 + records.readInt32BE(pos + 8);
        const base = Number(records.readBigInt64BE(pos));
        const sequence = records.readInt32BE(pos + 53); // the bench stores its sequence number there
        if (base >= offset && intended.has(sequence)) {
          latencies.push(now - intended.get(sequence)!);
          intended.delete(sequence);
        }
        pos += size;
      }
      offset = nextOffset(records, offset);
      if (done && intended.size === 0) break;
    }
  })();
  const start = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const at = start + (i * 1000) / rate;
    const wait = at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.alloc(100, "l") }], { producerId: -1, baseSequence: i });
    // A record sent early (the timer fires up to 1 ms ahead) counts from when it was sent: latency is never negative.
    intended.set(i, Math.min(at, performance.now()));
    sends.push(producer.send(encodeRequest({ apiKey: 0, apiVersion: 9, correlationId: correlation++, clientId: "bench-latency" }, {
      transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
    })));
  }
  await Promise.all(sends);
  done = true;
  await consuming;
  producer.close();
  consumer.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), p999: percentile(latencies, 0.999), count: latencies.length };
}
