import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { capturingLogger } from '../helpers/capturing-logger';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const KEY = 'k'.repeat(40);
const GENESIS = '0'.repeat(64);

/** What an attacker with the database file can compute: the unkeyed chain of the first version. */
function sha(prev: string, r: { seq: number; at: string; actor: string; action: string; avatar: string | null; detail: string }): string {
  return crypto.createHash('sha256').update(JSON.stringify([prev, r.seq, r.at, r.actor, r.action, r.avatar ?? null, r.detail])).digest('hex');
}

/** Drop the triggers, let `edit` change rows, and recompute every hash without the key. */
function forge(file: string, edit: (db: Database.Database) => void): void {
  const db = new Database(file);
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  edit(db);
  let prev = GENESIS;
  for (const r of db.prepare('SELECT * FROM audit ORDER BY seq').all() as { seq: number; at: string; actor: string; action: string; avatar: string | null; detail: string }[]) {
    const hash = sha(prev, r);
    db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, r.seq);
    prev = hash;
  }
  db.close();
}

async function fill(file: string, n: number, opts: { auditKey?: string } = {}): Promise<void> {
  const s = new SqliteStateStore(file, opts);
  for (let i = 1; i <= n; i++) await s.audit({ actor: `slack:U${i}`, action: 'ask', avatar: 'lao-zhang', detail: { question: `q${i}` } });
  s.close();
}

describe('security: the audit log cannot be forged', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = tmpDir('audit-');
    file = path.join(dir, 'state.db');
  });

  it('detects rows edited with the triggers dropped and the chain recomputed', async () => {
    await fill(file, 4, { auditKey: KEY });
    forge(file, (db) => db.prepare(`UPDATE audit SET detail = '{"question":"nothing to see"}' WHERE seq = 2`).run());
    const s = new SqliteStateStore(file, { auditKey: KEY });
    expect(await s.verifyAudit()).toMatchObject({ ok: false, reason: expect.stringMatching(/no keyed entries/) });
    s.close();
    // Editing one row in place (no way to recompute its keyed hash) breaks the chain at that row.
    const b = path.join(dir, 'b2');
    fs.mkdirSync(b);
    const f2 = path.join(b, 'state.db');
    await fill(f2, 4, { auditKey: KEY });
    const db = new Database(f2);
    db.exec('DROP TRIGGER audit_no_update');
    db.prepare(`UPDATE audit SET detail = '{"question":"nothing to see"}' WHERE seq = 2`).run();
    db.close();
    const s2 = new SqliteStateStore(f2, { auditKey: KEY });
    expect(await s2.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2 });
    s2.close();
  });

  it('detects the newest rows deleted (the anchor outside the database remembers the head)', async () => {
    await fill(file, 5, { auditKey: KEY });
    const db = new Database(file);
    db.exec('DROP TRIGGER audit_no_delete');
    db.prepare('DELETE FROM audit WHERE seq > 3').run();
    db.close();
    const s = new SqliteStateStore(file, { auditKey: KEY });
    const v = await s.verifyAudit();
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/newest 2 entries .*deleted/);
    s.close();
  });

  it('detects a chain replaced wholesale by an unkeyed one', async () => {
    await fill(file, 3, { auditKey: KEY });
    forge(file, () => undefined);
    const s = new SqliteStateStore(file, { auditKey: KEY });
    expect((await s.verifyAudit()).ok).toBe(false);
    s.close();
  });

  it('does not verify under another key', async () => {
    await fill(file, 2, { auditKey: KEY });
    const s = new SqliteStateStore(file, { auditKey: 'x'.repeat(40) });
    expect(await s.verifyAudit()).toMatchObject({ ok: false, brokenAt: 1 });
    s.close();
  });

  it('without AUDIT_HMAC_KEY keeps a generated key in <dataDir>/audit.key (0600), and the chain verifies across restarts', async () => {
    await fill(file, 2);
    const keyFile = path.join(dir, 'audit.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    await fill(file, 1);
    const s = new SqliteStateStore(file);
    expect(await s.verifyAudit()).toEqual({ ok: true, entries: 3 });
    s.close();
    // With the key from the environment no key file is written.
    const other = tmpDir('audit-env-');
    await fill(path.join(other, 'state.db'), 1, { auditKey: KEY });
    expect(fs.existsSync(path.join(other, 'audit.key'))).toBe(false);
  });

  it('migrates an unkeyed chain of an older version: verified, then sealed by a keyed entry', async () => {
    // The first version's table and chain, written directly.
    await fill(file, 0, { auditKey: KEY });
    fs.rmSync(path.join(dir, 'audit.anchor.json'), { force: true });
    const db = new Database(file);
    let prev = GENESIS;
    for (let seq = 1; seq <= 3; seq++) {
      const r = { seq, at: new Date().toISOString(), actor: 'cli:root', action: 'ask', avatar: 'lao-zhang', detail: '{}' };
      const hash = sha(prev, r);
      db.prepare('INSERT INTO audit(seq, at, actor, action, avatar, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(seq, r.at, r.actor, r.action, r.avatar, r.detail, prev, hash);
      prev = hash;
    }
    db.close();
    const { log, lines } = capturingLogger();
    const s = new SqliteStateStore(file, { auditKey: KEY, log });
    expect((await s.auditEntries()).map((e) => e.action)).toEqual(['ask', 'ask', 'ask', 'audit_chain_keyed']);
    expect(await s.verifyAudit()).toEqual({ ok: true, entries: 4 });
    expect(lines().some((l) => /migrated/.test(String(l.msg)))).toBe(true);
    s.close();
    // After the seal, the legacy part can no longer be rewritten either.
    forge(file, (d) => d.prepare(`UPDATE audit SET actor = 'cli:someone-else' WHERE seq = 1`).run());
    const again = new SqliteStateStore(file, { auditKey: KEY });
    expect((await again.verifyAudit()).ok).toBe(false);
    again.close();
  });

  it('logs the head at info on every append, and an error on start when the chain does not match', async () => {
    const { log, lines } = capturingLogger();
    const s = new SqliteStateStore(file, { auditKey: KEY, log });
    const e = await s.audit({ actor: 'system', action: 'test' });
    s.close();
    expect(lines().find((l) => l.msg === 'audit head')).toMatchObject({ level: 30, audit_head: { seq: 1, hash: e.hash } });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'audit.anchor.json'), 'utf8'))).toMatchObject({ seq: 1, hash: e.hash });
    forge(file, (db) => db.prepare(`UPDATE audit SET action = 'nothing'`).run());
    const start = capturingLogger();
    new SqliteStateStore(file, { auditKey: KEY, log: start.log }).close();
    expect(start.lines().find((l) => l.level === 50)).toMatchObject({ msg: expect.stringMatching(/audit log does not verify/) });
  });

  it('`understudy audit --verify` exits non-zero after a truncation', async () => {
    const cwd = tmpDir('audit-cli-');
    makeAvatar(cwd, 'lao-zhang', { 'a.md': '# A\n\nroll back first.\n' });
    const env = { AUDIT_HMAC_KEY: KEY };
    for (const q of ['one', 'two', 'three']) expect((await runCli(['ask', 'lao-zhang', `roll back ${q}?`], { cwd, env })).code).toBe(0);
    expect(await runCli(['audit', '--verify'], { cwd, env })).toMatchObject({ code: 0, stdout: expect.stringMatching(/intact/) });
    const db = new Database(path.join(cwd, 'data', 'state.db'));
    db.exec('DROP TRIGGER audit_no_delete');
    db.prepare('DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)').run();
    db.close();
    const res = await runCli(['audit', '--verify'], { cwd, env });
    expect(res.code).not.toBe(0);
    expect(res.stdout).toMatch(/TAMPERED.*newest 1 entries/);
  });
});
