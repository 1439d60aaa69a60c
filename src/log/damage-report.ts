// Damaged stored bytes are never cut away from a closed segment, and never
// served: they are reported here, once per place, loudly on stderr, and
// counted for the metrics, so an operator learns of them before a consumer
// does.

import { opsLog } from "../ops/ops-log.js";

const reported = new Set<string>();
let damagedBatches = 0;

/** Reports damage at `file`:`position` (once per place); returns the message. */
export function reportDamage(file: string, position: number, reason: string): string {
  const message = `${file}: damaged batch at byte ${position} (${reason}); kept on disk, never served`;
  const place = `${file}:${position}`;
  if (!reported.has(place)) {
    reported.add(place);
    damagedBatches++;
    opsLog("log").error({ file, position }, `DAMAGE: ${message}`);
  }
  return message;
}

/** Distinct damaged batches found since the process started. */
export function damagedBatchCount(): number {
  return damagedBatches;
}
