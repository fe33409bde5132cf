/**
 * Whole-database state for the control API (issue #10): wipe every table (reset), copy the database to a
 * named snapshot file (`VACUUM INTO`), and copy a snapshot back in one transaction (ATTACH, then
 * DELETE + INSERT … SELECT per table), so a CI job isolates its tests in milliseconds without restarting.
 * Works the same on a file database and on `:memory:`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './database.js';

/** A snapshot name: safe as a file name on every platform (no path separators, no leading dot). */
export const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface SnapshotMeta {
  name: string;
  /** Simulated-clock instant of the save. */
  createdAt: number;
  /** The simulated clock at the save, restored with the data. */
  clock: { now: number; frozen: boolean };
  schemaVersion: number;
  sizeBytes: number;
}

/** Reset and snapshots of the whole database: this class on SQLite, src/store/postgres/sim-state-store.ts on PostgreSQL. */
export interface SimStateStorage {
  tables(): string[];
  wipe(): void;
  exists(name: string): boolean;
  save(meta: Omit<SnapshotMeta, 'schemaVersion' | 'sizeBytes'>): SnapshotMeta;
  restore(name: string): SnapshotMeta;
  meta(name: string): SnapshotMeta | undefined;
  list(): SnapshotMeta[];
  delete(name: string): boolean;
}

export class SimStateStore implements SimStateStorage {
  constructor(private readonly db: Db, private readonly dir: string) {}

  /** The application's tables (every table but SQLite's own). */
  tables(): string[] {
    return (this.db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]);
  }

  /** Empties every table. Runs inside the caller's transaction; foreign keys are checked at its commit. */
  wipe(): void {
    this.db.pragma('defer_foreign_keys = ON');
    for (const table of this.tables()) this.db.prepare(`DELETE FROM main."${table}"`).run();
  }

  exists(name: string): boolean {
    return existsSync(this.file(name));
  }

  /** Writes the database to `<dir>/<name>.db` (replacing one of that name) and its metadata beside it. */
  save(meta: Omit<SnapshotMeta, 'schemaVersion' | 'sizeBytes'>): SnapshotMeta {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(meta.name);
    const tmp = `${file}.tmp`;
    rmSync(tmp, { force: true });
    this.db.prepare('VACUUM INTO ?').run(tmp);
    // A rename is atomic: a snapshot is either the old one or the new one, never half written.
    renameSync(tmp, file);
    const full: SnapshotMeta = { ...meta, schemaVersion: this.schemaVersion(), sizeBytes: statSync(file).size };
    writeFileSync(this.metaFile(meta.name), JSON.stringify(full));
    return full;
  }

  /** Replaces every table's rows with the snapshot's, in one transaction; returns the snapshot's metadata. */
  restore(name: string): SnapshotMeta {
    const meta = this.meta(name);
    if (!meta) throw new Error(`no snapshot ${name}`);
    this.db.prepare('ATTACH DATABASE ? AS snapshot').run(this.file(name));
    try {
      const version = this.db.pragma('snapshot.user_version', { simple: true }) as number;
      if (version !== this.schemaVersion()) {
        throw new Error(`snapshot ${name} has schema version ${version}, this idx-sim has ${this.schemaVersion()}; save it again`);
      }
      this.db.transaction(() => {
        this.wipe();
        for (const table of this.tables()) {
          const columns = (this.db.prepare(`SELECT name FROM pragma_table_info('${table}', 'main')`).pluck().all() as string[]).map((c) => `"${c}"`).join(', ');
          this.db.prepare(`INSERT INTO main."${table}" (${columns}) SELECT ${columns} FROM snapshot."${table}"`).run();
        }
      })();
    } finally {
      this.db.exec('DETACH DATABASE snapshot');
    }
    return meta;
  }

  meta(name: string): SnapshotMeta | undefined {
    if (!existsSync(this.file(name)) || !existsSync(this.metaFile(name))) return undefined;
    return JSON.parse(readFileSync(this.metaFile(name), 'utf8')) as SnapshotMeta;
  }

  list(): SnapshotMeta[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((f) => f.endsWith('.db')).map((f) => f.slice(0, -3)).filter((n) => SNAPSHOT_NAME.test(n))
      .map((n) => this.meta(n)).filter((m): m is SnapshotMeta => m !== undefined).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** False when there was none. */
  delete(name: string): boolean {
    if (!this.exists(name)) return false;
    rmSync(this.file(name), { force: true });
    rmSync(this.metaFile(name), { force: true });
    return true;
  }

  private schemaVersion(): number {
    return this.db.pragma('main.user_version', { simple: true }) as number;
  }

  private file(name: string): string {
    if (!SNAPSHOT_NAME.test(name)) throw new Error(`snapshot name ${JSON.stringify(name)} is not allowed`);
    return join(this.dir, `${name}.db`);
  }

  private metaFile(name: string): string {
    return `${this.file(name)}.json`;
  }
}
