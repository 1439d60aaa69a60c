// What a statement sent to the warehouse may be: one query, reading only.
// SQLite's drivers here offer no authorizer callback, so this reads the
// statement's words the way SQLite's tokenizer does (strings, quoted names,
// comments and blobs skipped) and refuses, before anything runs, every
// statement that could change state: writes and schema changes, ATTACH and
// DETACH (another file), PRAGMA (settings, query_only among them), VACUUM
// (VACUUM INTO writes a file), transactions, and more than one statement.
// Behind it the query process opens the file read-only, sets query_only and
// runs only statements SQLite itself calls read-only.

export class SqlRefusedError extends Error {}

/** Words that start a statement that reads. */
const QUERY_STARTS = new Set(["SELECT", "WITH", "VALUES", "EXPLAIN"]);
/** Words that have no place in a query. REPLACE is also a function: refused only when not called as one. */
const REFUSED = new Set([
  "ATTACH", "DETACH", "PRAGMA", "VACUUM", "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER",
  "REINDEX", "ANALYZE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE",
]);
/** Longest statement taken, in characters. */
export const SQL_LENGTH_MAX = 100_000;

interface Word {
  text: string;
  /** The next character that is not white space or a comment. */
  next: string;
}

/** The bare words of a statement (not in strings, quoted names or comments) and whether a second statement follows a ';'. */
function scan(sql: string): { words: Word[]; secondStatement: boolean } {
  const words: Word[] = [];
  let i = 0;
  let afterSemicolon = false;
  let secondStatement = false;
  const pendingNext: Word[] = [];
  const skipQuoted = (close: string) => {
    i++;
    while (i < sql.length) {
      if (sql[i] === close) {
        if (close !== "]" && sql[i + 1] === close) i += 2; // doubled quote inside
        else return void i++;
      } else i++;
    }
    throw new SqlRefusedError(`unterminated ${close === "'" ? "string" : "quoted name"}`);
  };
  const token = (next: string) => {
    for (const w of pendingNext.splice(0)) w.next = next;
    if (afterSemicolon) secondStatement = true;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === "'" || c === '"' || c === "`") {
      token(c);
      skipQuoted(c);
    } else if (c === "[") {
      token(c);
      skipQuoted("]");
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      const start = i;
      while (i < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i]!)) i++;
      token(c);
      const word: Word = { text: sql.slice(start, i).toUpperCase(), next: "" };
      // x'..' is a blob literal, not the word X.
      if (word.text === "X" && sql[i] === "'") skipQuoted("'");
      else {
        words.push(word);
        pendingNext.push(word);
      }
    } else if (c === ";") {
      token(c);
      afterSemicolon = true;
      i++;
    } else {
      token(c);
      i++;
    }
  }
  return { words, secondStatement };
}

/** Throws SqlRefusedError, naming the reason, unless `sql` is one statement that only reads. */
export function checkReadOnlySql(sql: unknown): string {
  if (typeof sql !== "string" || sql.trim() === "") throw new SqlRefusedError("no statement: give one SELECT (or WITH, VALUES, EXPLAIN) statement");
  if (sql.length > SQL_LENGTH_MAX) throw new SqlRefusedError(`the statement is longer than ${SQL_LENGTH_MAX} characters`);
  if (sql.includes("\u0000")) throw new SqlRefusedError("the statement holds a NUL character");
  const { words, secondStatement } = scan(sql);
  if (secondStatement) throw new SqlRefusedError("one statement at a time: text follows the ';'");
  const first = words[0]?.text;
  if (!first || !QUERY_STARTS.has(first)) throw new SqlRefusedError(`the warehouse is read-only: a statement must start with SELECT, WITH, VALUES or EXPLAIN, not ${first ?? "nothing"}`);
  for (const word of words) {
    if (!REFUSED.has(word.text)) continue;
    if (word.text === "REPLACE" && word.next === "(") continue; // the function replace(x, y, z)
    throw new SqlRefusedError(`the warehouse is read-only: ${word.text} is not allowed`);
  }
  return sql;
}
