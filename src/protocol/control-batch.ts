// Transaction markers (KIP-98): control batches a transaction coordinator
// writes to every partition of a transaction when it ends. One record, key
// (version int16 = 0, type int16: 0 ABORT, 1 COMMIT), value (version int16 =
// 0, coordinator epoch int32); the batch is transactional and control, with
// the producer's id and epoch and no sequence.

import { encodeRecordBatch, parseRecords } from "./record-batch-codec.js";
import { RECORDS, RECORD_COUNT } from "./record-batch-header.js";

export const ControlType = { ABORT: 0, COMMIT: 1 } as const;
export type ControlTypeValue = (typeof ControlType)[keyof typeof ControlType];

export function encodeMarker(type: ControlTypeValue, producerId: number, producerEpoch: number, coordinatorEpoch = 0, timestamp = Date.now()): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return encodeRecordBatch([{ key, value, timestamp }], { transactional: true, control: true, producerId, producerEpoch, baseSequence: -1 });
}

/** The marker type of a control batch (whole, uncompressed), or undefined when it holds no readable marker. */
export function markerTypeOf(batch: Buffer): number | undefined {
  try {
    const [record] = parseRecords(batch.subarray(RECORDS), batch.readInt32BE(RECORD_COUNT));
    const key = record?.key;
    return key && key.length >= 4 ? key.readInt16BE(2) : undefined;
  } catch {
    return undefined;
  }
}
