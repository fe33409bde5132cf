/**
 * Reset and snapshots (issue #10) on PostgreSQL (issue #14). A snapshot is a schema in the same database,
 * `idx_sim_snapshot:<name>`, holding a copy of every table (and of `schema_version`), with its metadata as
 * the schema's comment: every instance on the database sees the same snapshots, and a restore copies
 * rows server-side in one transaction. A reset empties every table with TRUNCATE … RESTART IDENTITY (ids
 * start again from 1, as in an emptied SQLite table).
 */
import type { Db } from '../database.js';
import { SNAPSHOT_NAME, type SimStateStorage, type SnapshotMeta } from '../sim-state-store.js';

const PREFIX = 'idx_sim_snapshot:';
const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export class PgSimStateStore implements SimStateStorage {
  constructor(private readonly db: Db) {}

  tables(): string[] {
    return this.tablesOf('public');
  }

  wipe(): void {
    this.db.exec(`TRUNCATE ${this.tables().map(quote).join(', ')} RESTART IDENTITY`);
  }

  exists(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM pg_namespace WHERE nspname = ?').get(this.schema(name)) !== undefined;
  }

  save(meta: Omit<SnapshotMeta, 'schemaVersion' | 'sizeBytes'>): SnapshotMeta {
    const schema = quote(this.schema(meta.name));
    return this.db.transaction(() => {
      // One transaction: a snapshot is either the old one or the new one, never half written.
      this.db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
      for (const table of [...this.tables(), 'schema_version']) {
        this.db.exec(`CREATE TABLE ${schema}.${quote(table)} AS SELECT * FROM public.${quote(table)}`);
      }
      const sizeBytes = this.db.prepare(`SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r'`).pluck().get(this.schema(meta.name)) as number;
      const full: SnapshotMeta = { ...meta, schemaVersion: this.schemaVersion('public'), sizeBytes };
      this.db.exec(`COMMENT ON SCHEMA ${schema} IS ${literal(JSON.stringify(full))}`);
      return full;
    })();
  }

  restore(name: string): SnapshotMeta {
    const meta = this.meta(name);
    if (!meta) throw new Error(`no snapshot ${name}`);
    const schema = this.schema(name);
    const version = this.schemaVersion(schema);
    if (version !== this.schemaVersion('public')) {
      throw new Error(`snapshot ${name} has schema version ${version}, this idx-sim has ${this.schemaVersion('public')}; save it again`);
    }
    this.db.transaction(() => {
      this.wipe();
      // PostgreSQL checks a foreign key as each row arrives (SQLite defers it to the commit): referenced tables first.
      for (const table of this.referencedFirst(this.tables())) {
        const names = this.db.prepare(`SELECT column_name FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position`).pluck().all(table) as string[];
        const columns = names.map(quote).join(', ');
        this.db.exec(`INSERT INTO public.${quote(table)} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM ${quote(schema)}.${quote(table)}`);
        // Rows came with their ids: the next id continues after them.
        const sequence = names.includes('id')
          ? this.db.prepare('SELECT pg_get_serial_sequence(?, ?)').pluck().get(`public.${quote(table)}`, 'id') as string | null : null;
        if (sequence) {
          this.db.prepare(`SELECT setval(?, coalesce((SELECT max(id) FROM public.${quote(table)}), 0) + 1, false)`).get(sequence);
        }
      }
    })();
    return meta;
  }

  meta(name: string): SnapshotMeta | undefined {
    const comment = this.db.prepare(`SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = ?`).pluck().get(this.schema(name)) as string | null | undefined;
    return comment ? (JSON.parse(comment) as SnapshotMeta) : undefined;
  }

  list(): SnapshotMeta[] {
    const comments = this.db.prepare(`SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace
      WHERE starts_with(nspname, ?) ORDER BY nspname`).pluck().all(PREFIX) as Array<string | null>;
    return comments.filter((c): c is string => !!c).map((c) => JSON.parse(c) as SnapshotMeta)
      .filter((m) => SNAPSHOT_NAME.test(m.name)).sort((a, b) => a.name.localeCompare(b.name));
  }

  delete(name: string): boolean {
    if (!this.exists(name)) return false;
    this.db.exec(`DROP SCHEMA ${quote(this.schema(name))} CASCADE`);
    return true;
  }

  private tablesOf(schema: string): string[] {
    return this.db.prepare(`SELECT tablename FROM pg_tables WHERE schemaname = ? AND tablename <> 'schema_version' ORDER BY tablename`)
      .pluck().all(schema) as string[];
  }

  /**
   * `tables` ordered so that every table comes after the tables its foreign keys reference (a self-reference
   * aside), alphabetically among equals; the schema has no reference cycles (a cycle would throw here).
   */
  private referencedFirst(tables: string[]): string[] {
    const edges = this.db.prepare(`SELECT f.relname AS "referencing", t.relname AS "referenced"
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      JOIN pg_class f ON f.oid = c.conrelid JOIN pg_class t ON t.oid = c.confrelid
      WHERE c.contype = 'f' AND n.nspname = 'public' AND c.conrelid <> c.confrelid`).all() as Array<{ referencing: string; referenced: string }>;
    const needs = new Map(tables.map((t) => [t, new Set<string>()]));
    for (const { referencing, referenced } of edges) needs.get(referencing)?.add(referenced);
    const ordered: string[] = [];
    const placed = new Set<string>();
    while (ordered.length < tables.length) {
      const ready = tables.filter((t) => !placed.has(t) && [...needs.get(t)!].every((r) => placed.has(r) || !needs.has(r)));
      if (ready.length === 0) throw new Error(`foreign keys form a cycle among ${tables.filter((t) => !placed.has(t)).join(', ')}`);
      for (const t of ready) {
        ordered.push(t);
        placed.add(t);
      }
    }
    return ordered;
  }

  private schemaVersion(schema: string): number {
    return (this.db.prepare(`SELECT max(version) FROM ${quote(schema)}.schema_version`).pluck().get() as number | null) ?? 0;
  }

  private schema(name: string): string {
    if (!SNAPSHOT_NAME.test(name)) throw new Error(`snapshot name ${JSON.stringify(name)} is not allowed`);
    return `${PREFIX}${name}`;
  }
}
