// Validation on write: a topic whose subject `<topic>-value` has a schema gets
// every record value checked against it, whatever door the record came in by
// (HTTP or Kafka). JSON Schema values may be plain JSON or framed in the
// schema-registry wire format (magic byte 0, a 4-byte schema id, then JSON);
// Avro values are framed Avro binary, decoded with the schema their id names.

import type { SchemaRegistry, SchemaType } from "./schema-registry.js";
import { TopicPartition } from "../log/store.js";
import { avroFailures } from "./avro.js";
import { failures, type ValidationFailure } from "./validators.js";
import { parseBoundedJson } from "./bounded-json.js";
import { opsLog } from "../ops/ops-log.js";

export interface RecordVerdict {
  index: number;
  errors: ValidationFailure[];
}

export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

export class RecordValidation {
  /** Rejections per topic since start, for metrics. */
  readonly rejections = new Map<string, number>();
  private tails = new Map<string, Promise<unknown>>();

  constructor(readonly registry: SchemaRegistry, private readonly jsonDepthMax = 64) {}

  requiresValidation(topic: string): boolean {
    return !topic.startsWith("_") && this.registry.latest(valueSubject(topic)) !== undefined;
  }

  /**
   * Checks one value. Framed values are checked against the schema their id
   * names (which must be a version of the topic's subject); plain ones against
   * the subject's latest.
   */
  validate(topic: string, value: Buffer | null): ValidationFailure[] {
    const latest = this.registry.latest(valueSubject(topic));
    if (!latest) return [];
    if (value === null) return [{ instancePath: "/", message: "value is null but the topic has a schema" }];
    let schemaId = latest.id;
    let schema: { schema: string; schemaType: SchemaType } = latest;
    let payload = value;
    const framed = value.length >= 5 && value[0] === 0;
    if (framed) {
      schemaId = value.readInt32BE(1);
      // The id must name a version of this topic's own subject, not any registered schema.
      if (!this.registry.subjectHasSchema(valueSubject(topic), schemaId)) {
        return [{ instancePath: "/", message: `value is framed with schema id ${schemaId}, which is not a version of subject '${valueSubject(topic)}'` }];
      }
      schema = this.registry.getSchema(schemaId);
      payload = value.subarray(5);
    }
    if (schema.schemaType === "AVRO") {
      if (!framed) return [{ instancePath: "/", message: "value is not framed with a schema id: Avro records are written in Confluent's wire format (byte 0, the schema id, then Avro binary)" }];
      return avroFailures(this.registry.avroType(schemaId), payload, this.registry.avroItemsPerByteMax);
    }
    let parsed: unknown;
    try {
      parsed = parseBoundedJson(payload, this.jsonDepthMax);
    } catch (err) {
      return [{ instancePath: "/", message: `value is ${(err as Error).message}` }];
    }
    const validate = this.registry.jsonValidator(schemaId);
    return validate(parsed) ? [] : failures(validate.errors);
  }

  /** Verdicts for the values that fail (empty: all pass); counts and logs every rejection. */
  check(topic: string, values: (Buffer | null)[], source: string): RecordVerdict[] {
    const verdicts: RecordVerdict[] = [];
    values.forEach((value, index) => {
      const errors = this.validate(topic, value);
      if (errors.length) verdicts.push({ index, errors });
    });
    if (verdicts.length) {
      this.rejections.set(topic, (this.rejections.get(topic) ?? 0) + verdicts.length);
      const first = verdicts[0]!.errors[0]!;
      opsLog("schema").warn({ topic, from: source, records: verdicts.length }, `${verdicts.length} record(s) for ${topic} from ${source} fail its schema; first: record ${verdicts[0]!.index} ${first.instancePath} ${first.message}`);
    }
    return verdicts;
  }

  /** Runs `work` after every earlier call for the same partition: validation must not reorder appends. */
  inOrder<T>(topic: string, partition: number, work: () => Promise<T>): Promise<T> {
    const key = TopicPartition.key(topic, partition);
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return next;
  }
}
