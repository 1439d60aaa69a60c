// What the cluster store's parts share: the versions of each Kafka API they
// send, the special ListOffsets timestamps, the errors a Kafka error code
// stands for, and the requests a part makes of the store (so that no part
// imports the store that holds it).

import {
  CorruptBatchError, InvalidConfigError, InvalidPartitionsError, InvalidProducerEpochError, InvalidRecordError, InvalidTopicError, LogError,
  MessageTooLargeError, OutOfOrderSequenceError, TopicExistsError, UnknownTopicError,
} from "../log/errors.js";
import type { OffsetCommit, PartitionStore } from "../log/store.js";
import type { TopicConfig } from "../log/topic-config.js";
import { KafkaErrorCode as E, kafkaErrorName } from "../protocol/kafka-error-codes.js";
import type { Message } from "../protocol/message-codec.js";

export const CLUSTER_API = {
  Produce: [0, 9], Fetch: [1, 12], ListOffsets: [2, 7], Metadata: [3, 12], OffsetCommit: [8, 8], OffsetFetch: [9, 8], FindCoordinator: [10, 4],
  ListGroups: [16, 4], CreateTopics: [19, 7], DeleteTopics: [20, 6], DeleteRecords: [21, 2], InitProducerId: [22, 4], DescribeConfigs: [32, 4],
  CreatePartitions: [37, 3], DeleteGroups: [42, 2], IncrementalAlterConfigs: [44, 1], OffsetDelete: [47, 0],
  JoinGroup: [11, 7], SyncGroup: [14, 5], Heartbeat: [12, 4], LeaveGroup: [13, 4], DescribeGroups: [15, 5], DescribeLogDirs: [35, 1],
} as const;
export type ClusterApi = keyof typeof CLUSTER_API;

const TOPIC_RESOURCE = 2;
export const EARLIEST = -2;
export const LATEST = -1;
export const MAX_TIMESTAMP = -3;
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const CONFIG_SOURCE_TOPIC = 1;

/** The LogError a Kafka error code stands for, so that the servers above answer it as the cluster did. */
export function clusterError(code: number, message: string): LogError {
  switch (code) {
    case E.TOPIC_ALREADY_EXISTS: return Object.assign(new TopicExistsError(""), { message });
    case E.INVALID_TOPIC_EXCEPTION: return new InvalidTopicError(message);
    case E.INVALID_PARTITIONS: return new InvalidPartitionsError(message);
    case E.INVALID_CONFIG: return new InvalidConfigError(message);
    case E.CORRUPT_MESSAGE: return new CorruptBatchError(message);
    case E.INVALID_RECORD: return new InvalidRecordError(message);
    case E.MESSAGE_TOO_LARGE: case E.RECORD_LIST_TOO_LARGE: return new MessageTooLargeError(message);
    case E.OUT_OF_ORDER_SEQUENCE_NUMBER: return new OutOfOrderSequenceError(message);
    case E.INVALID_PRODUCER_EPOCH: case E.PRODUCER_FENCED: return new InvalidProducerEpochError(message);
    case E.UNKNOWN_TOPIC_OR_PARTITION: return Object.assign(new UnknownTopicError(""), { message });
    default: return new LogError(kafkaErrorName(code).toLowerCase(), code, message);
  }
}

export function check(code: number, what: string, message?: string | null): void {
  if (code !== 0) throw clusterError(code, `${what}: ${message || kafkaErrorName(code)}`);
}

/** What the store's parts (partitions, group offsets, the registry's topic) ask of the store. */
export interface ClusterRequests {
  /** One request to `node` (a broker id), or to any broker; on `lane`'s connections (default: the shared ones). */
  request(api: ClusterApi, body: Message, node?: number, extraTimeoutMs?: number, lane?: string): Promise<Message>;
  leaderOf(topic: string, partition: number): number | undefined;
  topicConfig(name: string): TopicConfig;
  groupCoordinator(group: string): Promise<number>;
  offsetsOf(group: string, memberId: string, generationId: number, commits: OffsetCommit[]): Promise<number>;
  partition(topic: string, partition: number): PartitionStore;
}
