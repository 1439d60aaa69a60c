// The shapes of the HTTP API's bodies, query parameters and answers, as
// valibot schemas: the routes check requests with them and /openapi.json is
// generated from them (api-doc.ts). Tributary's own routes name fields in
// snake_case; the Confluent-compatible ones keep Confluent's names.

import * as v from "valibot";
import { ConfigValues, Json, Offset, PartitionNumber, TopicName, booleanQuery, integerQuery } from "./api-doc.js";
import { RECORDS_PER_REQUEST_MAX } from "./publish.js";

const int = v.pipe(v.number(), v.integer());
const nonNegative = v.pipe(v.number("must be a non-negative integer"), v.integer("must be a non-negative integer"), v.minValue(0, "must be a non-negative integer"));
const str = v.string();
const described = <S extends v.GenericSchema>(schema: S, text: string) => v.pipe(schema, v.description(text));

// Health, archive, warehouse

export const Health = v.object({ status: str });
export const Ready = v.object({ status: str, topics: v.optional(int), partitions_refusing_writes: v.optional(v.array(str)) });
export const Brokers = v.object({ brokers: v.array(int) });
export const ArchiveStatus = v.object({
  archive: v.nullable(str), message: v.optional(str), error: v.optional(v.nullable(str)),
  partitions: v.optional(v.array(v.object({
    topic: str, partition: int, archived_up_to: int, archived_segments: int, pending_segments: int, pending_bytes: int,
    last_error: v.nullable(str), last_upload: v.nullable(str),
  }))),
});
export const SqlQuery = v.object({
  sql: described(str, "one read-only statement (SELECT, WITH, VALUES or EXPLAIN), at most 100,000 characters"),
  params: v.optional(described(v.array(v.union([v.string(), v.number(), v.boolean(), v.null()])), "values for the statement's ? placeholders, in order")),
});
export const SqlAnswer = v.object({
  columns: v.array(str), rows: v.array(v.array(Json)),
  truncated: described(v.boolean(), "true when the answer was cut at sqlRowsMax rows or sqlResponseBytesMax bytes"),
  message: v.optional(str),
});
export const WarehouseStatus = v.object({
  warehouse: described(v.nullable(str), "the warehouse file; null when the warehouse is off"), driver: v.optional(str), message: v.optional(str),
  topics: v.optional(v.array(v.object({
    topic: str, table: v.nullable(str), latest_table: v.nullable(str), enabled: v.boolean(), rows: int, lag: int, columns: v.array(Json),
    partitions: v.array(v.object({ partition: int, loaded_up_to: int, high_watermark: int, lag: int, rows: int })),
    conflicts: v.array(str), last_error: v.nullable(str),
  }))),
});

// Topics

export const TopicCreate = v.object({
  name: TopicName,
  partitions: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.description("default 1; at most partitionsPerTopicMax (1000)"))),
  configs: v.optional(described(ConfigValues, "topic configs by Kafka name, e.g. { \"retention.ms\": 86400000 }")),
});
export const PartitionState = v.object({
  partition: int, leader: int, replicas: v.array(v.object({ broker: int, leader: v.boolean(), in_sync: v.boolean() })),
  log_start_offset: int, high_watermark: int, size_bytes: int, segments: int,
});
export const TopicDescription = v.object({ name: str, id: str, configs: v.record(str, str), partitions: v.array(PartitionState) });
export const TopicConfigPatch = v.object({
  set: v.optional(described(ConfigValues, "configs to set")),
  remove: v.optional(described(v.array(str), "configs to return to their default")),
});
export const ConfigList = v.array(v.object({ name: str, value: v.nullable(str), source: str }));
export const PartitionsAdd = v.object({ count: described(v.pipe(v.number(), v.integer(), v.minValue(1)), "the topic's new total of partitions (more than it has)") });
export const PartitionsAdded = v.object({ topic: str, partitions: int });
export const PartitionOffsets = v.object({ beginning_offset: int, end_offset: int });

// Records

const Headers = v.union([
  v.record(str, v.nullable(str)),
  v.array(v.object({ key: str, value: v.optional(v.nullable(str)) })),
], "must be an object of header names to values, or a list of { key, value }");
export const RecordIn = v.object({
  key: v.optional(described(Json, "a string is taken as it is; anything else as its JSON text")),
  value: described(Json, "the record's value, written as JSON text (null: a tombstone)"),
  partition: v.optional(v.nullable(PartitionNumber)),
  timestamp: v.optional(v.nullable(described(nonNegative, "milliseconds since the epoch (default: now)"))),
  headers: v.optional(Headers),
});
export const RecordBatch = v.object({
  records: v.pipe(v.array(RecordIn), v.minLength(1, "holds no records"), v.maxLength(RECORDS_PER_REQUEST_MAX, `holds more than ${RECORDS_PER_REQUEST_MAX} records`)),
});
export const PublishBody = v.union([RecordIn, RecordBatch], "must be a record { value, key?, partition?, timestamp?, headers? } or { records: [...] }");
export const PublishAnswer = v.object({
  offsets: described(v.array(v.nullable(v.object({ partition: int, offset: int }))), "per record, in order: where it was written (null: dead-lettered)"),
  dead_lettered: v.optional(v.array(v.object({ index: int, topic: str, partition: int, offset: int }))),
});
export const RecordOut = v.object({
  topic: str, partition: int, offset: int, timestamp: int, key: Json, value: Json, headers: v.record(str, v.nullable(str)),
});
export const ReadQuery = v.object({
  offset: v.optional(integerQuery("first offset to read (default: the log start)", 0)),
  timestamp: v.optional(integerQuery("read from the first record at or after this time (ms since the epoch)", 0)),
  limit: v.optional(integerQuery("records at most (default 100)", 1, 10_000)),
  max_bytes: v.optional(integerQuery("stored bytes read at most (default 1 MiB)", 1)),
  format: v.optional(described(v.picklist(["json", "binary"], "must be json or binary"), "json (values as JSON) or binary (base64)")),
});
export const RecordsRead = v.object({ records: v.array(RecordOut), next_offset: int, high_watermark: int });
export const StreamQuery = v.object({
  offset: v.optional(integerQuery("the first offset to send", 0)),
  from: v.optional(described(v.picklist(["beginning", "end"], "must be beginning or end"), "where to start without an offset, group or Last-Event-ID (default end)")),
  group: v.optional(described(str, "start from this group's committed offsets")),
});

// REST Proxy v2

const V2Record = v.object({ key: v.optional(Json), value: v.optional(Json), partition: v.optional(v.nullable(PartitionNumber)) });
export const V2Produce = v.object({
  records: v.pipe(v.array(V2Record), v.maxLength(RECORDS_PER_REQUEST_MAX)),
  value_schema: v.optional(described(str, "the values' schema (jsonschema, avro): registered under <topic>-value")),
  value_schema_id: v.optional(described(int, "the id of a version of <topic>-value")),
  key_schema: v.optional(str), key_schema_id: v.optional(int),
});
export const V2ProduceAnswer = v.object({
  key_schema_id: v.nullable(int), value_schema_id: v.nullable(int),
  offsets: v.array(v.object({ partition: v.nullable(int), offset: v.nullable(int), error_code: v.nullable(int), error: v.nullable(str) })),
});
export const V2ConsumerCreate = v.looseObject({
  name: v.optional(str), format: v.optional(v.picklist(["json", "binary", "jsonschema", "avro"])),
  "auto.offset.reset": v.optional(v.picklist(["earliest", "latest", "smallest", "largest"])),
  "auto.commit.enable": v.optional(v.union([v.picklist(["true", "false"]), v.boolean()])),
  "fetch.min.bytes": v.optional(v.union([str, int])), "consumer.request.timeout.ms": v.optional(v.union([str, int])),
});
export const V2ConsumerCreated = v.object({ instance_id: str, base_uri: str });
export const V2Subscription = v.object({ topics: v.optional(v.array(str)), topic_pattern: v.optional(described(str, "a regular expression (RE2)")) });
export const V2SubscriptionAnswer = v.object({ topics: v.array(str) });
const V2TopicPartition = v.object({ topic: str, partition: PartitionNumber });
export const V2Partitions = v.object({ partitions: v.array(V2TopicPartition) });
export const V2Offsets = v.object({ offsets: v.array(v.object({ topic: str, partition: PartitionNumber, offset: Offset, metadata: v.optional(v.nullable(str)) })) });
export const V2RecordsQuery = v.object({
  timeout: v.optional(integerQuery("longest wait for records, in ms", 0)),
  max_bytes: v.optional(integerQuery("bytes of records at most", 1)),
});
export const V2RecordsAnswer = v.array(v.object({ topic: str, partition: int, offset: int, key: Json, value: Json }));
export const V2TopicOffsets = v.object({ offsets: v.array(v.object({ topic: str, partition: int, offset: int, metadata: v.optional(v.nullable(str)) })) });

// Groups

export const GroupSummary = v.array(v.object({ group: str, state: str, members: int, lag: int }));
export const PartitionLag = v.object({ topic: str, partition: int, committed: int, high_watermark: int, lag: int, metadata: v.nullable(str) });
export const GroupDescription = v.object({
  group: str, state: str, generation: int, protocol: v.nullable(str),
  members: v.array(v.object({ member_id: str, client_id: str, host: str, group_instance_id: v.nullable(str) })),
  partitions: v.array(PartitionLag),
});
export const ResetOffsets = v.object({
  topic: described(str, "the topic whose offsets move"),
  to: v.picklist(["earliest", "latest", "offset", "datetime", "shift"], "must be earliest, latest, offset, datetime or shift"),
  offset: v.optional(described(int, "with to=offset")),
  datetime: v.optional(described(str, "with to=datetime: an ISO 8601 time")),
  by: v.optional(described(int, "with to=shift: how far (negative: back)")),
  execute: v.optional(described(v.boolean(), "write the new offsets (default: a dry run)")),
});
export const ResetAnswer = v.object({
  group: str, executed: v.boolean(),
  partitions: v.array(v.object({ topic: str, partition: int, current: described(int, "-1: none committed"), next: int })),
});

// REST Proxy v3 (Confluent's shapes: resources with kind, metadata and links)

export const V3Resource = v.looseObject({ kind: str, metadata: v.looseObject({ self: str }) });
export const V3List = v.looseObject({ kind: str, metadata: v.looseObject({ self: str }), data: v.array(V3Resource) });
export const V3TopicCreate = v.object({
  topic_name: described(str, "Kafka's topic name rules: 1 to 249 of ASCII letters, digits, '.', '_', '-'"),
  partitions_count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  replication_factor: v.optional(described(int, "1 (one broker)")),
  configs: v.optional(v.array(v.object({ name: str, value: str }))),
});
export const V3ConfigSet = v.object({ value: str });
export const V3ConfigsAlter = v.object({ data: v.array(v.object({ name: str, value: v.optional(str), operation: v.optional(v.picklist(["SET", "DELETE", "set", "delete"])) })) });
export const V3Produce = v.looseObject({
  partition_id: v.optional(v.nullable(PartitionNumber)),
  key: v.optional(v.nullable(v.looseObject({ type: v.optional(str), data: v.optional(Json), schema_id: v.optional(int) }))),
  value: v.optional(v.nullable(v.looseObject({ type: v.optional(str), data: v.optional(Json), schema_id: v.optional(int) }))),
  headers: v.optional(v.array(v.object({ name: str, value: v.nullable(str) }))),
  timestamp: v.optional(v.nullable(str)),
});
export const V3ProduceAnswer = v.looseObject({ error_code: int, cluster_id: v.optional(str), topic_name: v.optional(str), partition_id: v.optional(int), offset: v.optional(int) });
export const V3ActionBody = v.union([V3Produce, V3ConfigsAlter]);

// Schema registry (Confluent's names)

const Reference = v.object({ name: str, subject: str, version: int });
export const RegistrySchema = v.object({
  schema: described(str, "the schema's text"),
  schemaType: v.optional(v.nullable(described(v.picklist(["JSON", "AVRO"], (i) => `${String(i.input)} schemas are not supported (JSON or AVRO)`), "default AVRO"))),
  references: v.optional(v.nullable(v.array(Reference))),
  id: v.optional(v.nullable(described(int, "IMPORT mode: the id to register under"))),
  version: v.optional(v.nullable(described(int, "IMPORT mode: the version to register as"))),
});
export const RegistryId = v.object({ id: int });
export const RegistryVersion = v.object({ subject: str, version: int, id: int, schema: str, schemaType: v.optional(str), references: v.optional(v.array(Reference)) });
export const RegistrySchemaById = v.object({ schema: str, schemaType: v.optional(str), references: v.optional(v.array(Reference)) });
export const RegistryCompatibility = v.object({ compatibility: v.picklist(["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"], "is not a compatibility level") });
export const RegistryCompatibilityLevel = v.object({ compatibilityLevel: str });
export const RegistryCompatibilityAnswerLevel = v.object({ compatibility: str });
export const RegistryAnySchema = described(Json, "the schema itself, as JSON");
export const RegistryMode = v.object({ mode: v.picklist(["READWRITE", "READONLY", "IMPORT"], "must be READWRITE, READONLY or IMPORT") });
export const RegistryCompatibilityAnswer = v.object({ is_compatible: v.boolean(), messages: v.optional(v.array(str)) });
export const SubjectVersions = v.array(v.object({ subject: str, version: int }));
export const DeletedQuery = v.object({ deleted: v.optional(booleanQuery("include soft-deleted ones")) });
export const PermanentQuery = v.object({ permanent: v.optional(booleanQuery("delete for good (after a soft delete)")) });
export const VerboseQuery = v.object({ verbose: v.optional(booleanQuery("say why not")) });
export const DefaultToGlobalQuery = v.object({ defaultToGlobal: v.optional(booleanQuery("answer the global setting when the subject has none")) });
export const ForceQuery = v.object({ force: v.optional(booleanQuery("IMPORT into a registry that holds subjects")) });

export const TokenCreate = v.object({
  user: v.optional(str),
  expires_at: v.optional(v.nullable(str)),
});
export const TokenInfo = v.object({ id: str, user: str, created_at: str, expires_at: v.nullable(str) });
export const TokenCreated = v.object({ token: str, id: str, user: str, created_at: str, expires_at: v.nullable(str) });
export const TokenList = v.object({ tokens: v.array(TokenInfo) });
