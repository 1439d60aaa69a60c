// The local engine (segments on disk) against the LogStore contract.
import { LogManager } from "../../src/log/log-manager.js";
import type { LogStore } from "../../src/log/store.js";
import { tempDir } from "../helpers/temp-dir.js";
import { logStoreContract } from "./log-store-contract.js";

logStoreContract("local engine", async () => {
  const dataDir = tempDir();
  let store: LogStore = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await LogManager.open({ dataDir, maintenanceIntervalMs: 0 });
      return store;
    },
    cleanup: () => store.close(),
  };
});
