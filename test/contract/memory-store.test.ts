// The in-memory store against the LogStore contract.
import { MemoryLogStore } from "../../src/log/memory-store.js";
import { logStoreContract } from "./log-store-contract.js";

logStoreContract("memory store", async () => {
  const store = new MemoryLogStore();
  return { store, cleanup: () => store.close() };
}, {
  "persists across a reopen": "it keeps nothing beyond the process: that is what it is for",
});
