// A bounded set of open file descriptors for segment files. A broker with
// thousands of partitions and segments cannot keep every .log, .index and
// .timeindex open: files are opened on use and the least recently used ones
// are closed when the pool is full. Files that async I/O is using (the active
// segment's log while a group commit is in flight) are pinned and never
// closed under it. Every use of a pooled descriptor is synchronous, so
// closing one between uses is always safe.

import { io } from "./file-io.js";

/** Descriptors the pool keeps open at most, unless pinned files need more. */
const SEGMENT_FILES_OPEN_MAX_DEFAULT = 1024;

export class FilePool {
  /** Open, unpinned files in least-recently-used order (a Map keeps insertion order). */
  private readonly lru = new Map<PooledFile, true>();
  private openCount = 0;
  private asyncInFlight = 0;
  private readonly asyncWaiting: (() => void)[] = [];

  constructor(public filesOpenMax = SEGMENT_FILES_OPEN_MAX_DEFAULT) {}

  /**
   * Async operations on pooled files run at most a quarter of the pool at
   * once, so pinned descriptors never crowd out the pool: the thread pool
   * runs only a few at a time anyway, so waiting here costs nothing.
   */
  private get asyncMax(): number {
    return Math.max(1, Math.floor(this.filesOpenMax / 4));
  }

  /** Runs `operation` with `file` open and pinned, once a slot for async I/O is free. */
  async withPinned<T>(file: PooledFile, operation: (fd: number) => Promise<T>): Promise<T> {
    if (this.asyncInFlight >= this.asyncMax) await new Promise<void>((resolve) => this.asyncWaiting.push(resolve));
    this.asyncInFlight++;
    try {
      const fd = file.descriptor();
      file.pin();
      try {
        return await operation(fd);
      } finally {
        file.unpin();
      }
    } finally {
      this.asyncInFlight--;
      this.asyncWaiting.shift()?.();
    }
  }

  /** Opens `file`, closing least recently used files first while the pool is full. */
  openFor(file: PooledFile, path: string, flags: string | number): number {
    while (this.openCount >= this.filesOpenMax && this.closeLeastRecentlyUsed());
    let fd: number;
    try {
      fd = io.openSync(path, flags);
    } catch (err) {
      // Descriptors ran out elsewhere (connections, other processes): give back ours and try once more.
      if ((err as NodeJS.ErrnoException).code !== "EMFILE" || !this.closeLeastRecentlyUsed()) throw err;
      while (this.lru.size > this.filesOpenMax / 2 && this.closeLeastRecentlyUsed());
      fd = io.openSync(path, flags);
    }
    this.openCount++;
    return fd;
  }

  touch(file: PooledFile): void {
    if (file.pinned) return;
    this.lru.delete(file);
    this.lru.set(file, true);
  }

  forget(file: PooledFile): void {
    this.lru.delete(file);
  }

  closed(): void {
    this.openCount--;
  }

  private closeLeastRecentlyUsed(): boolean {
    const oldest = this.lru.keys().next();
    if (oldest.done) return false;
    oldest.value.close();
    return true;
  }
}

/** One file of a segment, opened through the pool when used. */
export class PooledFile {
  private fd: number | undefined;
  /** Async operations using the descriptor: while any runs, the file stays open. */
  private pins = 0;

  constructor(private readonly pool: FilePool, readonly path: string, private readonly flags: string | number) {}

  /** The descriptor, opening the file if the pool had closed it. Use it synchronously only, unless pinned. */
  descriptor(): number {
    if (this.fd === undefined) this.fd = this.pool.openFor(this, this.path, this.flags);
    this.pool.touch(this);
    return this.fd;
  }

  get pinned(): boolean {
    return this.pins > 0;
  }

  /** Keeps the file open until unpin(), for an async operation on its descriptor. */
  pin(): void {
    this.pins++;
    this.pool.forget(this);
  }

  /** Lets the pool close the file again when it needs room (once every pin is released). */
  unpin(): void {
    this.pins--;
    if (this.pins === 0 && this.fd !== undefined) this.pool.touch(this);
  }

  close(): void {
    if (this.fd === undefined) return;
    this.pool.forget(this);
    io.closeSync(this.fd);
    this.fd = undefined;
    this.pool.closed();
  }
}

/** The pool every segment of this process opens its files through. */
export const segmentFiles = new FilePool();
