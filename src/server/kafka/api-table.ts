// What the broker speaks: each API key with the version range advertised in
// ApiVersions and the handler that answers it. The ranges overlap the feature
// probes of librdkafka and the fixed versions of kafkajs (see the protocol notes).

import type { ApiEntry, ApiVersionRange } from "./kafka-context.js";
import { apiVersions } from "./handlers/api-versions.js";
import { metadata } from "./handlers/metadata.js";
import { produce } from "./handlers/produce.js";
import { fetch } from "./handlers/fetch.js";
import { listOffsets, offsetForLeaderEpoch } from "./handlers/list-offsets.js";
import { createPartitions, createTopics, deleteRecords, deleteTopics } from "./handlers/topics-admin.js";
import { alterConfigs, describeConfigs, incrementalAlterConfigs } from "./handlers/configs.js";
import { deleteGroups, describeGroups, findCoordinator, heartbeat, joinGroup, leaveGroup, listGroups, syncGroup } from "./handlers/groups.js";
import { offsetCommit, offsetDelete, offsetFetch } from "./handlers/offsets.js";
import { describeCluster, initProducerId } from "./handlers/producers-and-cluster.js";
import { alterPartitionReassignments, listPartitionReassignments } from "./handlers/replica-assignment.js";

export const API_TABLE = new Map<number, ApiEntry>([
  // Produce and Fetch from 0 (legacy message sets converted both ways); librdkafka <= 2.11
  // also only compresses when the Produce range starts at 0.
  [0, { name: "Produce", minVersion: 0, maxVersion: 11, handler: produce }],
  [1, { name: "Fetch", minVersion: 0, maxVersion: 17, handler: fetch }],
  [2, { name: "ListOffsets", minVersion: 0, maxVersion: 9, handler: listOffsets }],
  [3, { name: "Metadata", minVersion: 0, maxVersion: 12, handler: metadata }],
  [8, { name: "OffsetCommit", minVersion: 0, maxVersion: 9, handler: offsetCommit }],
  [9, { name: "OffsetFetch", minVersion: 0, maxVersion: 9, handler: offsetFetch }],
  [10, { name: "FindCoordinator", minVersion: 0, maxVersion: 5, handler: findCoordinator }],
  [11, { name: "JoinGroup", minVersion: 0, maxVersion: 9, handler: joinGroup }],
  [12, { name: "Heartbeat", minVersion: 0, maxVersion: 4, handler: heartbeat }],
  [13, { name: "LeaveGroup", minVersion: 0, maxVersion: 5, handler: leaveGroup }],
  [14, { name: "SyncGroup", minVersion: 0, maxVersion: 5, handler: syncGroup }],
  [15, { name: "DescribeGroups", minVersion: 0, maxVersion: 5, handler: describeGroups }],
  [16, { name: "ListGroups", minVersion: 0, maxVersion: 5, handler: listGroups }],
  [18, { name: "ApiVersions", minVersion: 0, maxVersion: 4, handler: apiVersions }],
  [19, { name: "CreateTopics", minVersion: 0, maxVersion: 7, handler: createTopics }],
  [20, { name: "DeleteTopics", minVersion: 0, maxVersion: 6, handler: deleteTopics }],
  [21, { name: "DeleteRecords", minVersion: 0, maxVersion: 2, handler: deleteRecords }],
  [22, { name: "InitProducerId", minVersion: 0, maxVersion: 5, handler: initProducerId }],
  [23, { name: "OffsetForLeaderEpoch", minVersion: 0, maxVersion: 4, handler: offsetForLeaderEpoch }],
  [32, { name: "DescribeConfigs", minVersion: 0, maxVersion: 4, handler: describeConfigs }],
  [33, { name: "AlterConfigs", minVersion: 0, maxVersion: 2, handler: alterConfigs }],
  [37, { name: "CreatePartitions", minVersion: 0, maxVersion: 3, handler: createPartitions }],
  [42, { name: "DeleteGroups", minVersion: 0, maxVersion: 2, handler: deleteGroups }],
  [44, { name: "IncrementalAlterConfigs", minVersion: 0, maxVersion: 1, handler: incrementalAlterConfigs }],
  [45, { name: "AlterPartitionReassignments", minVersion: 0, maxVersion: 0, handler: alterPartitionReassignments }],
  [46, { name: "ListPartitionReassignments", minVersion: 0, maxVersion: 0, handler: listPartitionReassignments }],
  [47, { name: "OffsetDelete", minVersion: 0, maxVersion: 0, handler: offsetDelete }],
  [60, { name: "DescribeCluster", minVersion: 0, maxVersion: 1, handler: describeCluster }],
]);

/** The ranges ApiVersions advertises, by API key. */
export function apiVersionsList(): ApiVersionRange[] {
  return [...API_TABLE.entries()]
    .sort(([a], [b]) => a - b)
    .map(([apiKey, e]) => ({ apiKey, minVersion: e.minVersion, maxVersion: e.maxVersion }));
}
