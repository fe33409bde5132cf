/**
 * The store SQL, written once (better-sqlite3 style), as PostgreSQL runs it (issue #14). Translated once
 * per distinct SQL text and cached by the caller:
 *  - parameters: `?` → `$n`, `@name` / `:name` / `$name` → `$n` (one number per distinct name);
 *  - SQLite-only syntax with a mechanical equivalent: `INDEXED BY index` (a planner hint) is dropped,
 *    `BEGIN IMMEDIATE|DEFERRED|EXCLUSIVE` becomes `BEGIN`, a blob literal `x'0a'` becomes `'\x0a'::bytea`;
 *  - PostgreSQL takes a parameter's type from its first use, and `$1 IS NULL` gives it none ("could not
 *    determine data type of parameter $1"): an optional filter `(@x IS NULL OR col = @x)` is turned
 *    round to `(col = @x OR @x IS NULL)`, which means the same;
 *  - PostgreSQL folds unquoted identifiers to lower case, so result columns come back as `messageid` for
 *    `AS messageId`: `columnNames` maps each lower-cased identifier of the text back to its spelling.
 * String literals, quoted identifiers and comments are copied untouched.
 */

export interface TranslatedSql {
  text: string;
  /** For each `$n` (index n-1): the position of a `?` argument (a number) or the name of a named one. */
  params: Array<number | string>;
  /** Lower-cased identifier → the spelling in the SQL text, for identifiers with capitals. */
  columnNames: Map<string, string>;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_$]/;

const OPTIONAL_FILTER = /\(\s*([@:$][A-Za-z_][A-Za-z0-9_]*)\s+IS\s+NULL\s+OR\s+/g;

/** `(@x IS NULL OR <rest>)` → `(<rest> OR @x IS NULL)` where <rest> uses @x too (see above). */
export function optionalFiltersLast(sql: string): string {
  let result = sql;
  let from = 0;
  for (;;) {
    OPTIONAL_FILTER.lastIndex = from;
    const m = OPTIONAL_FILTER.exec(result);
    if (!m) return result;
    const restStart = m.index + m[0].length;
    let depth = 1;
    let quote: string | undefined;
    let k = restStart;
    for (; k < result.length && depth > 0; k++) {
      const ch = result[k]!;
      if (quote) { if (ch === quote) quote = undefined; continue; }
      if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    if (depth !== 0) return result;
    const close = k - 1;
    const rest = result.slice(restStart, close);
    const param = m[1]!;
    if (!new RegExp(`${param.replace('$', '\\$')}(?![A-Za-z0-9_])`).test(rest)) { from = restStart; continue; }
    result = `${result.slice(0, m.index)}(${rest} OR ${param} IS NULL)${result.slice(close + 1)}`;
    from = m.index + 1;
  }
}

export function translateSql(source: string): TranslatedSql {
  const sql = optionalFiltersLast(source);
  let out = '';
  const params: Array<number | string> = [];
  const named = new Map<string, number>();
  const columnNames = new Map<string, string>();
  let positional = 0;
  let i = 0;
  const n = sql.length;
  /** The last identifier emitted (upper-cased), to recognise `INDEXED BY x` and `BEGIN IMMEDIATE`. */
  let previous = '';
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n) {
        if (sql[j] === c) {
          if (sql[j + 1] === c) { j += 2; continue; }
          break;
        }
        j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      previous = '';
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const j = end < 0 ? n : end;
      out += sql.slice(i, j);
      i = j;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const j = end < 0 ? n : end + 2;
      out += sql.slice(i, j);
      i = j;
      continue;
    }
    if (c === '?') {
      params.push(positional++);
      out += `$${params.length}`;
      i++;
      continue;
    }
    if ((c === '@' || c === ':' || c === '$') && i + 1 < n && IDENT_START.test(sql[i + 1]!) && !(c === ':' && sql[i - 1] === ':')) {
      let j = i + 1;
      while (j < n && IDENT_PART.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let index = named.get(name);
      if (index === undefined) {
        params.push(name);
        index = params.length;
        named.set(name, index);
      }
      out += `$${index}`;
      i = j;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_PART.test(sql[j]!)) j++;
      const word = sql.slice(i, j);
      const upper = word.toUpperCase();
      if ((upper === 'X') && sql[j] === "'") {
        // Blob literal x'…' → '\x…'::bytea
        const end = sql.indexOf("'", j + 1);
        out += `'\\x${sql.slice(j + 1, end)}'::bytea`;
        i = end + 1;
        previous = '';
        continue;
      }
      if (previous === 'INDEXED' && upper === 'BY') {
        // Drop `INDEXED BY <index>`: remove the `INDEXED ` already written, skip the index name.
        out = out.replace(/\s*INDEXED\s*$/i, '');
        let k = j;
        while (k < n && /\s/.test(sql[k]!)) k++;
        while (k < n && IDENT_PART.test(sql[k]!)) k++;
        i = k;
        previous = '';
        continue;
      }
      if (previous === 'BEGIN' && (upper === 'IMMEDIATE' || upper === 'DEFERRED' || upper === 'EXCLUSIVE')) {
        out = out.trimEnd();
        i = j;
        previous = '';
        continue;
      }
      if (word !== word.toLowerCase()) columnNames.set(word.toLowerCase(), word);
      out += word;
      previous = upper;
      i = j;
      continue;
    }
    out += c;
    i++;
  }
  return { text: out, params, columnNames };
}

/** Per-migration PostgreSQL text, where the mechanical translation cannot express a step. */
const MIGRATION_OVERRIDES: Record<number, string> = {
  // PostgreSQL drops a constraint in place; SQLite's copy of the table would also leave the identity
  // sequence of translog_records.id behind the copied ids.
  13: `
  ALTER TABLE transaction_log ADD COLUMN message_pk BIGINT;
  UPDATE transaction_log l SET message_pk = m.id FROM messages m WHERE m.message_id = l.message_id;
  DROP INDEX transaction_log_by_message;
  CREATE INDEX transaction_log_by_message_pk ON transaction_log (message_pk, id);
  ALTER TABLE translog_records ADD COLUMN message_pk BIGINT;
  UPDATE translog_records r SET message_pk = m.id FROM messages m WHERE m.message_id = r.message_id;
  ALTER TABLE translog_records DROP CONSTRAINT translog_records_message_id_to_participant_key;
  CREATE UNIQUE INDEX translog_records_by_message ON translog_records (message_pk, to_participant);
  `,
};

/**
 * A migration (SQLite DDL) as PostgreSQL DDL: rowid keys become identity columns, INTEGER becomes BIGINT
 * (epoch milliseconds overflow int4), BLOB becomes BYTEA, REAL becomes DOUBLE PRECISION.
 */
export function translateMigration(sql: string, version: number): string {
  const override = MIGRATION_OVERRIDES[version];
  if (override !== undefined) return override;
  return sql
    .replace(/\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?/g, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bBLOB\b/g, 'BYTEA')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION');
}
