// What the broker speaks: each API key with the version range advertised in
// ApiVersions and the handler that answers it (one file per API in handlers/,
// whose header says what differs from Kafka). The listener checks at start
// that every range lies within the generated schema of its API.

import type { ApiEntry, ApiName, ApiVersionRange, Handler } from "./kafka-context.js";
import { apiVersions } from "./handlers/api-versions.js";
import { metadata } from "./handlers/metadata.js";
import { produce } from "./handlers/produce.js";
import { fetch } from "./handlers/fetch.js";
import { listOffsets } from "./handlers/list-offsets.js";
import { offsetForLeaderEpoch } from "./handlers/offset-for-leader-epoch.js";
import { createTopics } from "./handlers/create-topics.js";
import { deleteTopics } from "./handlers/delete-topics.js";
import { createPartitions } from "./handlers/create-partitions.js";
import { deleteRecords } from "./handlers/delete-records.js";
import { describeConfigs } from "./handlers/describe-configs.js";
import { alterConfigs } from "./handlers/alter-configs.js";
import { incrementalAlterConfigs } from "./handlers/incremental-alter-configs.js";
import { findCoordinator } from "./handlers/find-coordinator.js";
import { joinGroup } from "./handlers/join-group.js";
import { syncGroup } from "./handlers/sync-group.js";
import { heartbeat } from "./handlers/heartbeat.js";
import { leaveGroup } from "./handlers/leave-group.js";
import { describeGroups } from "./handlers/describe-groups.js";
import { listGroups } from "./handlers/list-groups.js";
import { deleteGroups } from "./handlers/delete-groups.js";
import { offsetCommit } from "./handlers/offset-commit.js";
import { offsetFetch } from "./handlers/offset-fetch.js";
import { offsetDelete } from "./handlers/offset-delete.js";
import { initProducerId } from "./handlers/init-producer-id.js";
import { describeCluster } from "./handlers/describe-cluster.js";
import { alterPartitionReassignments } from "./handlers/alter-partition-reassignments.js";
import { listPartitionReassignments } from "./handlers/list-partition-reassignments.js";
import { describeLogDirs } from "./handlers/describe-log-dirs.js";
import { saslHandshake } from "./handlers/sasl-handshake.js";
import { addPartitionsToTxn } from "./handlers/add-partitions-to-txn.js";
import { addOffsetsToTxn } from "./handlers/add-offsets-to-txn.js";
import { endTxn } from "./handlers/end-txn.js";
import { txnOffsetCommit } from "./handlers/txn-offset-commit.js";
import { describeTransactions } from "./handlers/describe-transactions.js";
import { listTransactions } from "./handlers/list-transactions.js";
import { saslAuthenticate } from "./handlers/sasl-authenticate.js";
import { describeAcls } from "./handlers/describe-acls.js";
import { createAcls } from "./handlers/create-acls.js";
import { deleteAcls } from "./handlers/delete-acls.js";
import { describeUserScramCredentials } from "./handlers/describe-user-scram-credentials.js";
import { alterUserScramCredentials } from "./handlers/alter-user-scram-credentials.js";

/** An entry of the table: `handler` must take and answer the message types of `name`. */
function api<A extends ApiName>(name: A, minVersion: number, maxVersion: number, handler: Handler<A>): ApiEntry {
  return { name, minVersion, maxVersion, handle: handler };
}

export const API_TABLE = new Map<number, ApiEntry>([
  // Produce and Fetch from 0 (legacy message sets converted both ways); librdkafka <= 2.11
  // also only compresses when the Produce range starts at 0.
  [0, api("Produce", 0, 11, produce)],
  [1, api("Fetch", 0, 17, fetch)],
  [2, api("ListOffsets", 0, 9, listOffsets)],
  [3, api("Metadata", 0, 12, metadata)],
  [8, api("OffsetCommit", 0, 9, offsetCommit)],
  [9, api("OffsetFetch", 0, 9, offsetFetch)],
  [10, api("FindCoordinator", 0, 5, findCoordinator)],
  [11, api("JoinGroup", 0, 9, joinGroup)],
  [12, api("Heartbeat", 0, 4, heartbeat)],
  [13, api("LeaveGroup", 0, 5, leaveGroup)],
  [14, api("SyncGroup", 0, 5, syncGroup)],
  [15, api("DescribeGroups", 0, 5, describeGroups)],
  [16, api("ListGroups", 0, 5, listGroups)],
  [17, api("SaslHandshake", 0, 1, saslHandshake)],
  [18, api("ApiVersions", 0, 4, apiVersions)],
  [19, api("CreateTopics", 0, 7, createTopics)],
  [20, api("DeleteTopics", 0, 6, deleteTopics)],
  [21, api("DeleteRecords", 0, 2, deleteRecords)],
  [22, api("InitProducerId", 0, 5, initProducerId)],
  [23, api("OffsetForLeaderEpoch", 0, 4, offsetForLeaderEpoch)],
  [24, api("AddPartitionsToTxn", 0, 5, addPartitionsToTxn)],
  [25, api("AddOffsetsToTxn", 0, 4, addOffsetsToTxn)],
  [26, api("EndTxn", 0, 5, endTxn)],
  [28, api("TxnOffsetCommit", 0, 4, txnOffsetCommit)],
  [32, api("DescribeConfigs", 0, 4, describeConfigs)],
  [33, api("AlterConfigs", 0, 2, alterConfigs)],
  [37, api("CreatePartitions", 0, 3, createPartitions)],
  [42, api("DeleteGroups", 0, 2, deleteGroups)],
  [44, api("IncrementalAlterConfigs", 0, 1, incrementalAlterConfigs)],
  [45, api("AlterPartitionReassignments", 0, 0, alterPartitionReassignments)],
  [46, api("ListPartitionReassignments", 0, 0, listPartitionReassignments)],
  [29, api("DescribeAcls", 0, 3, describeAcls)],
  [30, api("CreateAcls", 0, 3, createAcls)],
  [31, api("DeleteAcls", 0, 3, deleteAcls)],
  [35, api("DescribeLogDirs", 0, 4, describeLogDirs)],
  [36, api("SaslAuthenticate", 0, 2, saslAuthenticate)],
  [47, api("OffsetDelete", 0, 0, offsetDelete)],
  [50, api("DescribeUserScramCredentials", 0, 0, describeUserScramCredentials)],
  [51, api("AlterUserScramCredentials", 0, 0, alterUserScramCredentials)],
  [60, api("DescribeCluster", 0, 1, describeCluster)],
  [65, api("DescribeTransactions", 0, 0, describeTransactions)],
  [66, api("ListTransactions", 0, 1, listTransactions)],
]);

/** The ranges ApiVersions advertises, by API key. */
export function apiVersionsList(): ApiVersionRange[] {
  return [...API_TABLE.entries()]
    .sort(([a], [b]) => a - b)
    .map(([apiKey, e]) => ({ apiKey, minVersion: e.minVersion, maxVersion: e.maxVersion }));
}
