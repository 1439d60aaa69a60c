// The archive's catalog objects, written by either archiver: the topics
// (names, ids, partitions, configs) and the schema registry's entries, each
// uploaded again only when it changed.

import type { LogStore } from "../log/store.js";
import type { ObjectStore } from "./object-store.js";
import { CATALOG_KEY, SCHEMAS_KEY } from "./archive-layout.js";

export class CatalogUpload {
  private lastCatalog = "";
  private lastRegistry = "";

  constructor(private readonly store: ObjectStore, private readonly logs: Pick<LogStore, "clusterId" | "listTopics">,
    private readonly registryEntries: () => Iterable<[string, unknown]>) {}

  async upload(): Promise<void> {
    const catalog = JSON.stringify({ version: 1, clusterId: this.logs.clusterId, topics: this.logs.listTopics() });
    if (catalog !== this.lastCatalog) {
      await this.store.putBytes(CATALOG_KEY, Buffer.from(catalog));
      this.lastCatalog = catalog;
    }
    const registry = JSON.stringify({ version: 1, entries: [...this.registryEntries()] });
    if (registry !== this.lastRegistry) {
      await this.store.putBytes(SCHEMAS_KEY, Buffer.from(registry));
      this.lastRegistry = registry;
    }
  }
}
