// Hands out producer ids for InitProducerId. Ids are reserved in blocks in the
// metadata topic, so one durable write serves many producers and no id is
// ever handed out twice, even across restarts.

import type { LogStore } from "../../log/store.js";

const BLOCK_SIZE = 1000;

export class ProducerIds {
  private next = 0;
  private end = 0;
  private reserving: Promise<void> | undefined;

  constructor(private readonly logs: LogStore) {}

  async allocate(): Promise<number> {
    while (this.next >= this.end) {
      this.reserving ??= this.logs.allocateProducerIds(BLOCK_SIZE).then((start) => {
        this.next = start;
        this.end = start + BLOCK_SIZE;
      }).finally(() => {
        this.reserving = undefined;
      });
      await this.reserving;
    }
    return this.next++;
  }
}
