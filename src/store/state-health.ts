import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UnderstudyError } from '../errors';
import { quickCheck } from '../util/sqlite-check';
import { ANCHOR_FILE } from './audit-chain';

/*
 * state.db holds what exists nowhere else (conversations, consent records, the audit log), so a
 * damaged one is reported and left alone: only `understudy state move-aside`, run by an
 * operator, moves it out of the way, and nothing here ever deletes it.
 */

export interface StateHealth {
  exists: boolean;
  ok: boolean;
  problems: string[];
}

/** SQLite's own message when an error (or one it wraps) says the file is damaged or not a database. */
export function sqliteDamage(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (e.code.startsWith('SQLITE_CORRUPT') || e.code === 'SQLITE_NOTADB')) return String(e.message).replace(/\s+/g, ' ');
  }
  return undefined;
}

/** SQLite's quick_check of the state database, read-only. */
export function checkStateFile(file: string): StateHealth {
  if (!fs.existsSync(file)) return { exists: false, ok: true, problems: [] };
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const problems = quickCheck(db, 20);
    return { exists: true, ok: problems.length === 0, problems };
  } catch (err) {
    const damage = sqliteDamage(err);
    if (damage) return { exists: true, ok: false, problems: [damage] };
    throw err;
  } finally {
    db?.close();
  }
}

/** The one-line error every command that needs the state database gives when it is damaged. */
export function stateCorruptError(file: string, why: string, cause?: unknown): UnderstudyError {
  return new UnderstudyError(
    'STATE_CORRUPT',
    `${file} is damaged (${why}). It holds conversations, consent records and the audit log, so Understudy does not delete or replace it: ` +
      `stop the bot and keep a copy, then restore it from a backup, or run \`understudy state move-aside\` to move it to ${path.basename(file)}.corrupt-<time> ` +
      `and start with an empty one (\`sqlite3 <that copy> .recover\` can salvage rows from it).`,
    { cause, details: { file } },
  );
}

/** 20261202T051500Z: sorts by time and is safe in file names everywhere. */
function compactTime(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Move a damaged state database (with its -wal and -shm files, which recovery needs) to
 * `state.db.corrupt-<time>`; the next start creates an empty one. Refuses an intact file
 * unless `force`.
 */
export function moveStateAside(file: string, options: { force?: boolean; now?: Date } = {}): string {
  const health = checkStateFile(file);
  if (!health.exists) throw new UnderstudyError('INPUT_INVALID', `there is no state database at ${file}; nothing to move`, { details: { file } });
  if (health.ok && !options.force) {
    throw new UnderstudyError('INPUT_INVALID', `${file} is intact; not moved (add --force to move it aside anyway)`, { details: { file } });
  }
  let target = `${file}.corrupt-${compactTime(options.now ?? new Date())}`;
  for (let n = 2; fs.existsSync(target); n++) target = `${file}.corrupt-${compactTime(options.now ?? new Date())}-${n}`;
  fs.renameSync(file, target);
  for (const side of ['-wal', '-shm']) if (fs.existsSync(`${file}${side}`)) fs.renameSync(`${file}${side}`, `${target}${side}`);
  // The audit anchor belongs to the moved chain: left behind, it would make the new, empty chain fail to verify.
  const anchor = path.join(path.dirname(file), ANCHOR_FILE);
  if (fs.existsSync(anchor)) fs.renameSync(anchor, `${target}.${ANCHOR_FILE}`);
  return target;
}
