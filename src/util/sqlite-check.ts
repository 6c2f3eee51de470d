import type Database from 'better-sqlite3';

/**
 * SQLite's quick_check (every page read, b-trees and records checked, no index-content
 * comparison), as one-line problem descriptions; empty when the file is sound.
 */
export function quickCheck(db: Database.Database, max = 5): string[] {
  const rows = db.pragma(`quick_check(${max})`) as { quick_check: string }[];
  return rows
    .map((r) => r.quick_check.replace(/\*\*\* in database \w+ \*\*\*/g, ' ').replace(/\s+/g, ' ').trim())
    .filter((r) => r !== 'ok' && r !== '');
}

/** Problems for a one-line message: the first two, and how many more. */
export function summarizeProblems(problems: string[]): string {
  const shown = problems.slice(0, 2).join('; ');
  return problems.length > 2 ? `${shown}; and ${problems.length - 2} more` : shown;
}
