// JSON parsing for input from outside: the text must be valid UTF-8 and nest
// no deeper than a limit. The depth is measured before JSON.parse runs, in
// one pass over the bytes, so a body nested millions of levels deep is
// refused at once instead of costing seconds and ending in a RangeError.

export class JsonInputError extends Error {}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes UTF-8, refusing invalid byte sequences instead of storing U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new JsonInputError("not valid UTF-8");
  }
}

/** Throws when arrays and objects in `input` nest deeper than `depthMax` (strings are skipped). */
export function checkJsonDepth(input: Uint8Array | string, depthMax: number): void {
  let depth = 0;
  let inString = false;
  const text = typeof input === "string" ? input : undefined;
  const bytes = input as Uint8Array;
  for (let i = 0; i < input.length; i++) {
    // The structural characters are ASCII: UTF-16 code units and UTF-8 bytes agree on them.
    const b = text === undefined ? bytes[i]! : text.charCodeAt(i);
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > depthMax) throw new JsonInputError(`nested deeper than ${depthMax} levels`);
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
}

/** Parses JSON from outside: valid UTF-8, bounded depth; syntax errors are JsonInputErrors too. */
export function parseBoundedJson(input: Uint8Array | string, depthMax: number): unknown {
  checkJsonDepth(input, depthMax);
  const text = typeof input === "string" ? input : decodeUtf8(input);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JsonInputError(`not valid JSON: ${(err as Error).message}`);
  }
}
