import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStateStore } from '../../src/store/sqlite-store';

describe('SqliteStateStore', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('claims an event once, also after reopening the file (restart during a retry)', () => {
    const file = path.join(dir, 'state.db');
    const a = new SqliteStateStore(file);
    expect(a.claimEvent('slack:Ev1')).toBe(true);
    expect(a.claimEvent('slack:Ev1')).toBe(false);
    a.close();
    const b = new SqliteStateStore(file);
    expect(b.claimEvent('slack:Ev1')).toBe(false);
    b.close();
  });

  it('keeps conversation turns per avatar in order', () => {
    const s = new SqliteStateStore(':memory:');
    const at = new Date().toISOString();
    s.appendTurn('c1', 'lao-zhang', { role: 'user', text: 'q1', at });
    s.appendTurn('c1', 'lao-zhang', { role: 'avatar', text: 'a1', at, citations: [{ source: 'a.md', locator: 'L1-L2' }] });
    s.appendTurn('c1', 'other', { role: 'user', text: 'x', at });
    expect(s.recentTurns('c1', 'lao-zhang', 10).map((t) => t.text)).toEqual(['q1', 'a1']);
    expect(s.hasAvatarSpoken('c1', 'lao-zhang')).toBe(true);
    expect(s.hasAvatarSpoken('c1', 'other')).toBe(false);
  });

  it('chains audit entries and detects tampering', () => {
    const file = path.join(dir, 'state.db');
    const s = new SqliteStateStore(file);
    s.audit({ actor: 'slack:U1', action: 'ask', avatar: 'lao-zhang', detail: { question: 'how to deploy', sources: ['a.md#L1-L5'] } });
    s.audit({ actor: 'slack:U2', action: 'ask', avatar: 'lao-zhang', detail: { question: 'rollback' } });
    expect(s.verifyAudit()).toEqual({ ok: true, entries: 2 });
    expect(() => (s as unknown as { db: Database.Database }).db.prepare("UPDATE audit SET actor = 'x'").run()).toThrow(/append-only/);
    s.close();
    // Someone with file access drops the trigger and edits a row: the chain shows it.
    const raw = new Database(file);
    raw.exec('DROP TRIGGER audit_no_update');
    raw.prepare("UPDATE audit SET detail = '{\"question\":\"something else\"}' WHERE seq = 1").run();
    raw.close();
    const again = new SqliteStateStore(file);
    expect(again.verifyAudit()).toMatchObject({ ok: false, brokenAt: 1 });
    again.close();
  });

  it('stores sticky avatar choices, feedback and key-values', () => {
    const s = new SqliteStateStore(':memory:');
    s.setSticky('slack:T1:D1', 'lao-zhang');
    expect(s.getSticky('slack:T1:D1')).toBe('lao-zhang');
    s.setSticky('slack:T1:D1', null);
    expect(s.getSticky('slack:T1:D1')).toBeUndefined();
    s.addFeedback({ avatar: 'lao-zhang', conversation: 'c', userId: 'slack:U1', kind: 'down', text: 'too formal' });
    expect(s.listFeedback('lao-zhang')).toHaveLength(1);
    s.kvSet('consent', 'c1', { basis: 'self' });
    expect(s.kvGet('consent', 'c1')).toEqual({ basis: 'self' });
    expect(s.kvList('consent')).toHaveLength(1);
  });

  it('records a schema version and refuses a newer database', () => {
    const file = path.join(dir, 'state.db');
    const s = new SqliteStateStore(file);
    expect(s.schemaVersion).toBeGreaterThanOrEqual(1);
    s.close();
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => new SqliteStateStore(file)).toThrow(/schema version 999/);
  });

  it('forgets an avatar but keeps the audit trail', () => {
    const s = new SqliteStateStore(':memory:');
    s.appendTurn('c', 'a', { role: 'user', text: 'q', at: 'now' });
    s.audit({ actor: 'x', action: 'revoke', avatar: 'a' });
    s.forgetAvatar('a');
    expect(s.recentTurns('c', 'a', 5)).toEqual([]);
    expect(s.auditEntries({ avatar: 'a' })).toHaveLength(1);
  });
});
