import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Chunk, SourceKind, Visibility } from '../corpus/types';
import { UnderstudyError } from '../errors';
import { ensurePrivateFile, mkdirPrivate } from '../util/fs-atomic';
import { quickCheck, summarizeProblems } from '../util/sqlite-check';

/** A chunk ready to store: everything but its id, plus its vector. */
export interface NewChunk extends Omit<Chunk, 'id' | 'visibility'> {
  /** Visibility set by the loader (private channel, DM); otherwise avatar.yaml rules decide. */
  visibility?: Visibility;
  vector: Float32Array;
}

/** What a chunk is indexed by (searchableText): its body, title, and for chat replies the thread message and who wrote the reply. */
export interface IndexedText {
  kind: string;
  text: string;
  context: string | null;
  author: string | null;
  title: string | null;
}

export interface EntryRecord {
  path: string;
  hash: string;
  size: number;
  units: number;
  chunks: number;
}

/** The stored facts of a chunk that search needs for every candidate, loaded once at open. */
export interface ChunkPolicyRow {
  id: number;
  source: string;
  /** Only a Slack export's message (`slack`) is read as a channel's day by the visibility rules. */
  kind: SourceKind;
  visibility: Visibility | null;
  audience: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
  path TEXT PRIMARY KEY, hash TEXT NOT NULL, size INTEGER NOT NULL, units INTEGER NOT NULL, chunks INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  entry TEXT NOT NULL,
  source TEXT NOT NULL, kind TEXT NOT NULL, locator TEXT NOT NULL, text TEXT NOT NULL,
  context TEXT, title TEXT, author TEXT, date TEXT, url TEXT,
  visibility TEXT, audience TEXT,
  vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_entry ON chunks(entry);
`;

interface ChunkRow {
  id: number;
  source: string;
  kind: string;
  locator: string;
  text: string;
  context: string | null;
  title: string | null;
  author: string | null;
  date: string | null;
  url: string | null;
  visibility: string | null;
  audience: string | null;
}

/** Page cache of a read-only (published) chunk store, in KiB: it serves a few lookups per search. */
const READONLY_CACHE_KIB = 1024;

/**
 * Per-avatar SQLite file holding the chunks, their vectors and the content hashes of the
 * entries they came from. It is the source of truth; the search structures are derived from it.
 */
export class ChunkStore {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[number], ChunkRow>;

  /** `readonly`: a published index version, which is never written (and sealed, so it needs no -wal/-shm). */
  constructor(
    readonly file: string,
    options: { readonly?: boolean } = {},
  ) {
    let db: Database.Database | undefined;
    try {
      if (options.readonly) {
        db = new Database(file, { readonly: true, fileMustExist: true });
      } else {
        mkdirPrivate(path.dirname(file));
        // Private like all our data; SQLite gives the -wal/-shm files this file's mode.
        ensurePrivateFile(file);
        db = new Database(file);
      }
      // better-sqlite3 builds SQLite with a 16 MB page cache per connection, which the check
      // below fills by reading every page: a hub holding dozens of published versions would hold
      // 16 MB each for lookups of a few chunks per search. Writers (ingest) keep the default.
      if (options.readonly) db.pragma(`cache_size = -${READONLY_CACHE_KIB}`);
      // Damaged pages otherwise surface later as a bare "database disk image is malformed".
      const problems = quickCheck(db);
      if (problems.length > 0) throw new ChunkStoreDamage(summarizeProblems(problems));
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.exec(SCHEMA);
      }
    } catch (err) {
      db?.close();
      throw openError(file, err);
    }
    this.db = db;
    this.getStmt = this.db.prepare('SELECT id, source, kind, locator, text, context, title, author, date, url, visibility, audience FROM chunks WHERE id = ?');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Close for publication: the write-ahead log is folded into the file and switched off, so the
   * file alone is the database and read-only openers need no -wal/-shm beside it.
   */
  seal(): void {
    if (!this.db.open) return;
    this.db.pragma('journal_mode = DELETE');
    this.db.close();
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  get generation(): number {
    return Number(this.getMeta('generation') ?? '0');
  }

  entries(): Map<string, EntryRecord> {
    const rows = this.db.prepare('SELECT path, hash, size, units, chunks FROM entries').all() as EntryRecord[];
    return new Map(rows.map((r) => [r.path, r]));
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM chunks').get() as { n: number }).n;
  }

  /**
   * Replace the chunks of the given entries in one transaction and bump the generation.
   * Returns the ids removed and the ids added, for incremental index updates.
   */
  replaceEntries(
    removed: string[],
    added: { entry: EntryRecord; chunks: NewChunk[] }[],
    meta: Record<string, string>,
  ): { removedIds: number[]; addedIds: number[]; generation: number } {
    const removedIds: number[] = [];
    const addedIds: number[] = [];
    const ids = this.db.prepare('SELECT id FROM chunks WHERE entry = ?').pluck();
    const delChunks = this.db.prepare('DELETE FROM chunks WHERE entry = ?');
    const delEntry = this.db.prepare('DELETE FROM entries WHERE path = ?');
    const insEntry = this.db.prepare('INSERT OR REPLACE INTO entries(path, hash, size, units, chunks) VALUES (@path, @hash, @size, @units, @chunks)');
    const insChunk = this.db.prepare(
      `INSERT INTO chunks(entry, source, kind, locator, text, context, title, author, date, url, visibility, audience, vector)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const run = this.db.transaction(() => {
      for (const p of [...removed, ...added.map((a) => a.entry.path)]) {
        removedIds.push(...(ids.all(p) as number[]));
        delChunks.run(p);
        delEntry.run(p);
      }
      for (const { entry, chunks } of added) {
        insEntry.run(entry);
        for (const c of chunks) {
          const info = insChunk.run(
            entry.path, c.source, c.kind, c.locator, c.text, c.context ?? null, c.title ?? null, c.author ?? null, c.date ?? null,
            c.url ?? null, c.visibility ?? null, c.audience && c.audience.length > 0 ? JSON.stringify(c.audience) : null,
            Buffer.from(c.vector.buffer, c.vector.byteOffset, c.vector.byteLength),
          );
          addedIds.push(Number(info.lastInsertRowid));
        }
      }
      for (const [k, v] of Object.entries(meta)) this.setMeta(k, v);
      this.setMeta('generation', String(this.generation + 1));
    });
    run();
    return { removedIds, addedIds, generation: this.generation };
  }

  /** Delete everything (used by --rebuild and revoke). */
  clear(): void {
    this.db.exec('DELETE FROM chunks; DELETE FROM entries; DELETE FROM meta;');
  }

  get(id: number): Chunk | undefined {
    const r = this.getStmt.get(id);
    return r ? toChunk(r) : undefined;
  }

  /** Policy facts of every chunk, for building the visibility table at open. */
  policyRows(): ChunkPolicyRow[] {
    return this.db.prepare('SELECT id, source, kind, visibility, audience FROM chunks').all() as ChunkPolicyRow[];
  }

  /** Iterate id, indexed text and vector of every chunk (rebuilding derived indexes). */
  *iterateForIndex(): Generator<IndexedText & { id: number; vector: Float32Array }> {
    // kind, context and author: a chat reply is indexed with the thread message it answers (searchableText).
    const stmt = this.db.prepare('SELECT id, kind, text, context, author, title, vector FROM chunks ORDER BY id');
    for (const row of stmt.iterate() as IterableIterator<IndexedText & { id: number; vector: Buffer }>) {
      const copy = new Uint8Array(row.vector.byteLength);
      copy.set(row.vector);
      yield { ...row, vector: new Float32Array(copy.buffer) };
    }
  }

  /** id and indexed text of the chunks of every entry except `excluded` (near-duplicate checks at ingest). */
  keptChunks(excluded: ReadonlySet<string>): (IndexedText & { id: number })[] {
    const rows = this.db.prepare('SELECT id, entry, kind, text, context, author, title FROM chunks ORDER BY id').all() as (IndexedText & { id: number; entry: string })[];
    return rows.filter((r) => !excluded.has(r.entry));
  }

  /** All chunks of one source path, in id order (for `avatar mine`, exports and summaries). */
  bySource(source: string): Chunk[] {
    return (this.db.prepare('SELECT id, source, kind, locator, text, context, title, author, date, url, visibility, audience FROM chunks WHERE source = ? ORDER BY id').all(source) as ChunkRow[]).map(toChunk);
  }

  /** Titles of the documents with the most chunks: a rough list of what the avatar covers. */
  topTitles(n: number): string[] {
    const rows = this.db
      .prepare("SELECT title, COUNT(*) AS c FROM chunks WHERE title IS NOT NULL AND kind IN ('markdown', 'text', 'html', 'pdf', 'docx') GROUP BY title ORDER BY c DESC, title LIMIT ?")
      .all(n) as { title: string }[];
    return rows.map((r) => r.title);
  }

  /** Counts of chunks per source path. */
  sourceCounts(): { source: string; chunks: number }[] {
    return this.db.prepare('SELECT source, COUNT(*) AS chunks FROM chunks GROUP BY source ORDER BY source').all() as { source: string; chunks: number }[];
  }

  /** Every chunk's text, in id order (offline skill synthesis, evaluation). */
  *iterateChunks(): Generator<Chunk> {
    const stmt = this.db.prepare('SELECT id, source, kind, locator, text, context, title, author, date, url, visibility, audience FROM chunks ORDER BY id');
    for (const row of stmt.iterate() as IterableIterator<ChunkRow>) yield toChunk(row);
  }
}

class ChunkStoreDamage extends Error {}

/**
 * Damage (bad pages, not a database) is INDEX_CORRUPT, which a plain `ingest` repairs by
 * rebuilding from the corpus; anything else (permissions, a full disk) is not ours to fix.
 */
function openError(file: string, err: unknown): UnderstudyError {
  const code = (err as { code?: unknown }).code;
  const damaged = err instanceof ChunkStoreDamage || (typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB'));
  const why = (err as Error).message.replace(/\s+/g, ' ');
  if (!damaged) return new UnderstudyError('FILE_UNREADABLE', `${file} cannot be opened (${why})`, { cause: err, details: { file } });
  // chunks.db sits in indexes/<slug>/<version>/ (or avatars/<slug>/ before versions).
  const dir = path.dirname(file);
  const slug = /^v\d{13}-[0-9a-f]{8}$/.test(path.basename(dir)) ? path.basename(path.dirname(dir)) : path.basename(dir);
  return new UnderstudyError(
    'INDEX_CORRUPT',
    `${file} is damaged (${why}). It holds only what was read from the corpus: run \`understudy ingest ${slug}\` to rebuild it from the corpus.`,
    { cause: err, details: { file } },
  );
}

function toChunk(r: ChunkRow): Chunk {
  return {
    id: r.id,
    source: r.source,
    kind: r.kind as SourceKind,
    locator: r.locator,
    text: r.text,
    context: r.context ?? undefined,
    title: r.title ?? undefined,
    author: r.author ?? undefined,
    date: r.date ?? undefined,
    url: r.url ?? undefined,
    visibility: (r.visibility as Visibility | null) ?? 'team',
    audience: r.audience ? (JSON.parse(r.audience) as string[]) : undefined,
  };
}
