// Splits a byte stream of concatenated JSON values ({…} {…} or one per line),
// as REST Proxy v3's streamed produce sends them, into one buffer per
// top-level value. Only the structure is tracked (strings, escapes, depth):
// each value is parsed later by the bounded parser. A value longer than the
// limit is refused as soon as it passes it, so one endless value cannot grow
// memory.

export class JsonSequenceError extends Error {}

const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

export class JsonSequenceSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly valueBytesMax: number) {}

  /** Set once the stream cannot be split any further; the values before it were returned. */
  error: JsonSequenceError | undefined;

  /** The values completed by this chunk, in order (those before a malformed part, which sets `error`). */
  feed(chunk: Uint8Array): Buffer[] {
    const done: Buffer[] = [];
    if (this.error) return done;
    try {
      this.scan(chunk, done);
    } catch (err) {
      if (!(err instanceof JsonSequenceError)) throw err;
      this.error = err;
    }
    return done;
  }

  private scan(chunk: Uint8Array, done: Buffer[]): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.depth === 0 && this.pendingBytes === 0 && i === start) {
        if (WHITESPACE.has(b)) {
          start = i + 1;
          continue;
        }
        if (!OPEN.has(b)) throw new JsonSequenceError(`expected '{' at the start of a value, found ${JSON.stringify(String.fromCharCode(b))}`);
      }
      if (this.pendingBytes + (i + 1 - start) > this.valueBytesMax) {
        throw new JsonSequenceError(`a value is longer than the limit of ${this.valueBytesMax} bytes`);
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (OPEN.has(b)) this.depth++;
      else if (CLOSE.has(b) && --this.depth === 0) {
        this.pending.push(bytes.subarray(start, i + 1));
        done.push(Buffer.concat(this.pending));
        this.pending = [];
        this.pendingBytes = 0;
        start = i + 1;
        continue;
      }
    }
    if (start < bytes.length) {
      this.pending.push(Buffer.from(bytes.subarray(start)));
      this.pendingBytes += bytes.length - start;
    }
  }

  /** Throws when the stream ended inside a value. */
  finish(): void {
    if (this.error) throw this.error;
    if (this.pendingBytes > 0) throw new JsonSequenceError("the request ended inside a value");
  }
}
