// A disk in memory that remembers what is durable and what is not, for power
// cut tests in the spirit of TigerBeetle's and FoundationDB's simulators.
//
// Every file keeps its current bytes and, apart, its durable bytes (as of
// its last fsync or fdatasync, plus writes through an O_DSYNC descriptor once
// they complete). Every directory keeps its current entries and its durable
// entries (as of its last fsync). A power cut (crashImage) copies the durable
// state to a new place, then plays the unsynced writes of each file on it the
// way a disk may have got them: each one lost, landed whole, or torn at
// 512-byte sectors, in any order. Files whose directory entry was never
// synced are gone; renames not synced are undone.

import { constants } from "node:fs";
import * as pathLib from "node:path";
import type { DirectoryEntry, FileIO, FileStat } from "../../src/log/file-io.js";

const SECTOR = 512;

type Op = { kind: "write"; position: number; bytes: Buffer } | { kind: "truncate"; length: number };

interface FileNode {
  kind: "file";
  data: Buffer;
  durable: Buffer;
  unsynced: Op[];
  birthtimeMs: number;
  mtimeMs: number;
}

interface DirNode {
  kind: "dir";
  entries: Map<string, Node>;
  durableEntries: Map<string, Node>;
  birthtimeMs: number;
}

type Node = FileNode | DirNode;

interface Descriptor {
  node: Node;
  dsync: boolean;
}

/** A seeded random source (mulberry32): a failing scenario replays from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  const err = new Error(`${code}: ${message}`) as NodeJS.ErrnoException;
  err.code = code;
  return err;
}

function apply(data: Buffer, op: Op): Buffer {
  if (op.kind === "truncate") {
    if (op.length <= data.length) return Buffer.from(data.subarray(0, op.length));
    return Buffer.concat([data, Buffer.alloc(op.length - data.length)]);
  }
  const end = op.position + op.bytes.length;
  const out = end > data.length ? Buffer.concat([data, Buffer.alloc(end - data.length)]) : Buffer.from(data);
  op.bytes.copy(out, op.position);
  return out;
}

function newDir(): DirNode {
  return { kind: "dir", entries: new Map(), durableEntries: new Map(), birthtimeMs: Date.now() };
}

export class SimulatedDisk {
  private readonly root: DirNode = newDir();
  private readonly descriptors = new Map<number, Descriptor>();
  private nextFd = 1_000_000;
  /** Mutating operations so far: a power cut is placed between two of them. */
  operations = 0;
  private cut: { at: number; run: () => void } | undefined;

  constructor() {
    // The root's entries are durable from the start, as a disk's are once formatted.
    this.root.durableEntries = this.root.entries;
  }

  /** Runs `run` (which takes a crash image) right after mutating operation number `at`. */
  cutAfter(at: number, run: () => void): void {
    this.cut = { at, run };
  }

  private mutated(): void {
    this.operations++;
    if (this.cut && this.operations >= this.cut.at) {
      const { run } = this.cut;
      this.cut = undefined;
      run();
    }
  }

  /** Makes `dir` and its parents exist durably (the place a test puts its data directory). */
  prepareDirectory(path: string): void {
    this.makeDirectories(path, true);
  }

  /** Creates the missing directories of `path`; `durable` makes their entries durable at once. */
  private makeDirectories(path: string, durable: boolean): void {
    let dir = this.root;
    for (const part of this.parts(path)) {
      let next = dir.entries.get(part);
      if (!next) {
        next = newDir();
        dir.entries.set(part, next);
        this.mutated();
      }
      if (next.kind !== "dir") throw errno("EEXIST", path);
      if (durable) dir.durableEntries.set(part, next);
      dir = next;
    }
  }

  private parts(path: string): string[] {
    return pathLib.resolve(path).split("/").filter(Boolean);
  }

  private lookup(path: string): Node | undefined {
    let node: Node = this.root;
    for (const part of this.parts(path)) {
      if (node.kind !== "dir") return undefined;
      const next = node.entries.get(part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  private parentOf(path: string): { dir: DirNode; name: string } {
    const resolved = pathLib.resolve(path);
    const parent = this.lookup(pathLib.dirname(resolved));
    if (!parent || parent.kind !== "dir") throw errno("ENOENT", `no directory ${pathLib.dirname(resolved)}`);
    return { dir: parent, name: pathLib.basename(resolved) };
  }

  private file(fd: number): FileNode {
    const d = this.descriptors.get(fd);
    if (!d) throw errno("EBADF", `fd ${fd}`);
    if (d.node.kind !== "file") throw errno("EISDIR", `fd ${fd} is a directory`);
    return d.node;
  }

  private write(node: FileNode, position: number, bytes: Buffer): Op {
    const op: Op = { kind: "write", position, bytes: Buffer.from(bytes) };
    node.data = apply(node.data, op);
    node.unsynced.push(op);
    node.mtimeMs = Date.now();
    return op;
  }

  /** An op of `node` reached the disk: the durable bytes take it, and it is no longer pending. */
  private settle(node: FileNode, op: Op): void {
    const i = node.unsynced.indexOf(op);
    if (i < 0) return;
    node.durable = apply(node.durable, op);
    node.unsynced.splice(i, 1);
  }

  private syncFile(node: FileNode, ops = [...node.unsynced]): void {
    for (const op of ops) this.settle(node, op);
  }

  /**
   * What the disk holds after a power cut now, placed at `to` (the subtree at
   * `from`, as durable as it was, with each file's unsynced writes lost,
   * landed or torn at random).
   */
  crashImage(from: string, to: string, random: () => number): void {
    const source = this.lookup(from);
    if (!source || source.kind !== "dir") throw new Error(`no directory ${from}`);
    const { dir, name } = (this.prepareDirectory(pathLib.dirname(to)), this.parentOf(to));
    const copy = this.crashCopy(source, random) as DirNode;
    dir.entries.set(name, copy);
    dir.durableEntries.set(name, copy);
  }

  private crashCopy(node: Node, random: () => number): Node {
    if (node.kind === "dir") {
      const out = newDir();
      for (const [name, child] of node.durableEntries) out.entries.set(name, this.crashCopy(child, random));
      out.durableEntries = new Map(out.entries);
      return out;
    }
    let data: Buffer = Buffer.from(node.durable);
    // Unsynced writes reach the disk in any order, each whole, torn at sectors, or not at all.
    const pending = [...node.unsynced].sort(() => random() - 0.5);
    for (const op of pending) {
      const fate = random();
      if (fate < 0.4) continue;
      if (op.kind === "truncate" || fate < 0.75) {
        data = apply(data, op);
        continue;
      }
      for (let s = 0; s < op.bytes.length; s += SECTOR) {
        if (random() < 0.5) data = apply(data, { kind: "write", position: op.position + s, bytes: op.bytes.subarray(s, s + SECTOR) });
      }
    }
    return { kind: "file", data, durable: Buffer.from(data), unsynced: [], birthtimeMs: node.birthtimeMs, mtimeMs: node.mtimeMs };
  }

  private open(path: string, flags: string | number): number {
    let create = false;
    let exclusive = false;
    let truncate = false;
    let dsync = false;
    if (typeof flags === "number") {
      create = (flags & constants.O_CREAT) !== 0;
      exclusive = (flags & constants.O_EXCL) !== 0;
      truncate = (flags & constants.O_TRUNC) !== 0;
      dsync = (flags & constants.O_DSYNC) !== 0;
    } else {
      create = flags.startsWith("w") || flags.startsWith("a");
      exclusive = flags.includes("x");
      truncate = flags.startsWith("w");
    }
    let node = this.lookup(path);
    if (node && exclusive) throw errno("EEXIST", path);
    if (!node) {
      if (!create) throw errno("ENOENT", path);
      const { dir, name } = this.parentOf(path);
      node = { kind: "file", data: Buffer.alloc(0), durable: Buffer.alloc(0), unsynced: [], birthtimeMs: Date.now(), mtimeMs: Date.now() };
      dir.entries.set(name, node);
      this.mutated();
    } else if (truncate && node.kind === "file") {
      node.data = Buffer.alloc(0);
      node.unsynced.push({ kind: "truncate", length: 0 });
      this.mutated();
    }
    const fd = this.nextFd++;
    this.descriptors.set(fd, { node, dsync });
    return fd;
  }

  private stat(node: Node): FileStat {
    if (node.kind === "dir") return { size: 4096, mtimeMs: node.birthtimeMs, birthtimeMs: node.birthtimeMs };
    return { size: node.data.length, mtimeMs: node.mtimeMs, birthtimeMs: node.birthtimeMs };
  }

  private remove(path: string): void {
    const resolved = pathLib.resolve(path);
    const parent = this.lookup(pathLib.dirname(resolved));
    if (!parent || parent.kind !== "dir") return;
    if (parent.entries.delete(pathLib.basename(resolved))) this.mutated();
  }

  /** The FileIO the engine uses while this disk is under it. */
  readonly io: FileIO = {
    openSync: (path, flags) => this.open(path, flags),
    closeSync: (fd) => {
      if (!this.descriptors.delete(fd)) throw errno("EBADF", `fd ${fd}`);
    },
    readSync: (fd, buffer, offset, length, position) => {
      const node = this.file(fd);
      const n = Math.max(0, Math.min(length, node.data.length - position));
      node.data.copy(buffer, offset, position, position + n);
      return n;
    },
    writeSync: (fd, buffer, offset, length, position) => {
      const node = this.file(fd);
      const op = this.write(node, position, buffer.subarray(offset, offset + length));
      if (this.descriptors.get(fd)!.dsync) this.settle(node, op);
      this.mutated();
      return length;
    },
    read: (fd, buffer, offset, length, position, done) => {
      let n = 0;
      let failure: NodeJS.ErrnoException | null = null;
      try {
        n = this.io.readSync(fd, buffer, offset, length, position);
      } catch (err) {
        failure = err as NodeJS.ErrnoException;
      }
      setImmediate(() => done(failure, n));
    },
    writev: (fd, buffers, position, done) => {
      let node: FileNode;
      try {
        node = this.file(fd);
      } catch (err) {
        setImmediate(() => done(err as NodeJS.ErrnoException, 0));
        return;
      }
      const dsync = this.descriptors.get(fd)!.dsync;
      const bytes = Buffer.concat(buffers);
      const op = this.write(node, position, bytes);
      this.mutated();
      // The write is on disk when it returns (O_DSYNC), not before.
      setImmediate(() => {
        if (dsync) this.settle(node, op);
        this.mutated();
        done(null, bytes.length);
      });
    },
    fdatasync: (fd, done) => {
      let node: FileNode;
      try {
        node = this.file(fd);
      } catch (err) {
        setImmediate(() => done(err as NodeJS.ErrnoException));
        return;
      }
      const ops = [...node.unsynced];
      setImmediate(() => {
        this.syncFile(node, ops);
        this.mutated();
        done(null);
      });
    },
    fdatasyncSync: (fd) => {
      this.syncFile(this.file(fd));
      this.mutated();
    },
    fsyncSync: (fd) => {
      const d = this.descriptors.get(fd);
      if (!d) throw errno("EBADF", `fd ${fd}`);
      if (d.node.kind === "dir") d.node.durableEntries = new Map(d.node.entries);
      else this.syncFile(d.node);
      this.mutated();
    },
    ftruncateSync: (fd, length) => {
      const node = this.file(fd);
      const op: Op = { kind: "truncate", length };
      node.data = apply(node.data, op);
      node.unsynced.push(op);
      this.mutated();
    },
    truncateSync: (path, length) => {
      const fd = this.open(path, "r+");
      try {
        this.io.ftruncateSync(fd, length);
      } finally {
        this.descriptors.delete(fd);
      }
    },
    fstatSync: (fd) => {
      const d = this.descriptors.get(fd);
      if (!d) throw errno("EBADF", `fd ${fd}`);
      return this.stat(d.node);
    },
    statSync: (path) => {
      const node = this.lookup(path);
      if (!node) throw errno("ENOENT", path);
      return this.stat(node);
    },
    existsSync: (path) => this.lookup(path) !== undefined,
    readdirSync: (path) => this.io.listDirectory(path).map((e) => e.name),
    listDirectory: (path): DirectoryEntry[] => {
      const node = this.lookup(path);
      if (!node) throw errno("ENOENT", path);
      if (node.kind !== "dir") throw errno("ENOTDIR", path);
      return [...node.entries].map(([name, child]) => ({ name, directory: child.kind === "dir" }));
    },
    mkdirSync: (path) => this.makeDirectories(path, false),
    renameSync: (from, to) => {
      const source = this.parentOf(from);
      const node = source.dir.entries.get(source.name);
      if (!node) throw errno("ENOENT", from);
      const target = this.parentOf(to);
      source.dir.entries.delete(source.name);
      target.dir.entries.set(target.name, node);
      this.mutated();
    },
    removeSync: (path) => this.remove(path),
    readFileSync: (path) => {
      const node = this.lookup(path);
      if (!node) throw errno("ENOENT", path);
      if (node.kind !== "file") throw errno("EISDIR", path);
      return Buffer.from(node.data);
    },
    createFileSync: (path, data, exclusive) => {
      const fd = this.open(path, exclusive ? "wx" : "w");
      try {
        const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
        this.io.writeSync(fd, bytes, 0, bytes.length, 0);
      } finally {
        this.descriptors.delete(fd);
      }
    },
    realpathSync: (path) => {
      if (!this.lookup(path)) throw errno("ENOENT", path);
      return pathLib.resolve(path);
    },
  };
}
