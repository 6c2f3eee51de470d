import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import type { StateStore } from '../../src/store/types';
import { stateStoreContract } from './state-store.contract';

/** What someone with the database file can do: drop the append-only trigger and edit a row. */
async function tamperAudit(store: StateStore, seq: number): Promise<void> {
  const db = (store as unknown as { db: Database.Database }).db;
  db.exec('DROP TRIGGER audit_no_update');
  db.prepare(`UPDATE audit SET detail = '{"question":"nothing to see"}' WHERE seq = ?`).run(seq);
}

stateStoreContract('SQLite (in memory)', async () => new SqliteStateStore(':memory:'), { tamperAudit });

// On disk as serve runs it: WAL, the key file and the anchor beside the database.
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
stateStoreContract(
  'SQLite (file)',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-contract-'));
    dirs.push(dir);
    return new SqliteStateStore(path.join(dir, 'state.db'));
  },
  { tamperAudit },
);
