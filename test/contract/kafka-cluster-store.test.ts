// The store over a Kafka cluster (the Kafka protocol, nothing else) against
// the LogStore contract. The cluster is a Tributary broker in this process:
// the only Kafka-protocol broker here.
import { startBroker, type Broker } from "../../src/server/broker.js";
import { KafkaClusterStore } from "../../src/cluster/kafka-cluster-store.js";
import { tempDir } from "../helpers/temp-dir.js";
import { logStoreContract } from "./log-store-contract.js";

logStoreContract("Kafka cluster (a Tributary broker over its Kafka port)", async () => {
  const cluster: Broker = await startBroker({ dataDir: tempDir(), kafkaPort: 0, httpPort: 0, warehouseEnabled: false, logLevel: "warn" });
  // A Tributary cluster keeps _schemas to itself (internal, no client writes): a frontend uses a topic of its own.
  const open = () => KafkaClusterStore.open({ bootstrap: cluster.brokers, registryTopic: "_frontend_schemas", metadataRefreshMs: 200, waitPollMs: 20 });
  let store = await open();
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await open();
      return store;
    },
    cleanup: async () => {
      await store.close();
      await cluster.stop();
    },
  };
}, {
  "sparse batches": "only the cluster's own cleaner writes them; Produce refuses batches with offset gaps",
  "transaction markers": "only the cluster's own transaction coordinators write markers; Produce refuses control batches",
  "duplicate flag": "a Produce answer to a producer's retry is a plain success with the first offsets: nothing says it was a retry",
  "commit timestamps": "OffsetCommit has carried no commit time since v1, nor OffsetFetch ever: the store says -1 (unknown)",
});
