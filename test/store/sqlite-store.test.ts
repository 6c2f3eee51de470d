import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStateStore } from '../../src/store/sqlite-store';

describe('SqliteStateStore', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('claims an event once, also after reopening the file (restart during a retry)', async () => {
    const file = path.join(dir, 'state.db');
    const a = new SqliteStateStore(file);
    expect(await a.claim('slack:Ev1', 60_000)).toBe(true);
    expect(await a.claim('slack:Ev1', 60_000)).toBe(false);
    await a.close();
    const b = new SqliteStateStore(file);
    expect(await b.claim('slack:Ev1', 60_000)).toBe(false);
    await b.close();
  });

  it('migrates the dedupe keys of schema version 1 to claims that expire a day after they were taken', async () => {
    const file = path.join(dir, 'state.db');
    new SqliteStateStore(file).close();
    // Back to version 1's shape: the events table with the time each key was taken.
    const raw = new Database(file);
    raw.exec('DROP TABLE claims; CREATE TABLE events (key TEXT PRIMARY KEY, at INTEGER NOT NULL);');
    const now = Date.now();
    raw.prepare('INSERT INTO events(key, at) VALUES (?, ?), (?, ?)').run('slack:event:Fresh', now - 60_000, 'slack:event:Old', now - 2 * 86_400_000);
    raw.pragma('user_version = 1');
    raw.close();
    const s = new SqliteStateStore(file);
    expect(s.schemaVersion).toBe(3);
    expect(await s.claim('slack:event:Fresh', 60_000)).toBe(false);
    expect(await s.claim('slack:event:Old', 60_000)).toBe(true);
    await s.close();
  });

  it('keeps the claims of schema version 2 (no owner) when it adds their owners: taken, and no token wins them back', async () => {
    const file = path.join(dir, 'state.db');
    new SqliteStateStore(file).close();
    const raw = new Database(file);
    raw.exec('DROP TABLE claims; CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);');
    raw.prepare('INSERT INTO claims(key, expires_at) VALUES (?, ?)').run('slack:event:Held', Date.now() + 60_000);
    raw.pragma('user_version = 2');
    raw.close();
    const s = new SqliteStateStore(file);
    expect(s.schemaVersion).toBe(3);
    expect(await s.claim('slack:event:Held', 60_000)).toBe(false);
    expect(await s.claim('slack:event:Held', 60_000, 'entry-a')).toBe(false);
    expect(await s.claim('slack:event:New', 60_000, 'entry-a')).toBe(true);
    expect(await s.claim('slack:event:New', 60_000, 'entry-a')).toBe(true);
    await s.close();
  });

  it('a claim made with a token survives the restart of the process: the journaled delivery replayed by the next run wins it back, a redelivery does not', async () => {
    const file = path.join(dir, 'state.db');
    const before = new SqliteStateStore(file);
    expect(await before.claim('slack:event:Ev1', 60_000, 'entry-a')).toBe(true);
    await before.close();
    const after = new SqliteStateStore(file);
    expect(await after.claim('slack:event:Ev1', 60_000, 'entry-b')).toBe(false);
    expect(await after.claim('slack:event:Ev1', 60_000, 'entry-a')).toBe(true);
    await after.close();
  });

  it('keeps conversation turns per avatar in order', async () => {
    const s = new SqliteStateStore(':memory:');
    const at = new Date().toISOString();
    await s.appendTurn('c1', 'lao-zhang', { role: 'user', text: 'q1', at });
    await s.appendTurn('c1', 'lao-zhang', { role: 'avatar', text: 'a1', at, citations: [{ source: 'a.md', locator: 'L1-L2' }] });
    await s.appendTurn('c1', 'other', { role: 'user', text: 'x', at });
    expect((await s.recentTurns('c1', 'lao-zhang', 10)).map((t) => t.text)).toEqual(['q1', 'a1']);
    expect(await s.hasAvatarSpoken('c1', 'lao-zhang')).toBe(true);
    expect(await s.hasAvatarSpoken('c1', 'other')).toBe(false);
  });

  it('chains audit entries and detects tampering', async () => {
    const file = path.join(dir, 'state.db');
    const s = new SqliteStateStore(file);
    await s.audit({ actor: 'slack:U1', action: 'ask', avatar: 'lao-zhang', detail: { question: 'how to deploy', sources: ['a.md#L1-L5'] } });
    await s.audit({ actor: 'slack:U2', action: 'ask', avatar: 'lao-zhang', detail: { question: 'rollback' } });
    expect(await s.verifyAudit()).toEqual({ ok: true, entries: 2 });
    expect(() => (s as unknown as { db: Database.Database }).db.prepare("UPDATE audit SET actor = 'x'").run()).toThrow(/append-only/);
    s.close();
    // Someone with file access drops the trigger and edits a row: the chain shows it.
    const raw = new Database(file);
    raw.exec('DROP TRIGGER audit_no_update');
    raw.prepare("UPDATE audit SET detail = '{\"question\":\"something else\"}' WHERE seq = 1").run();
    raw.close();
    const again = new SqliteStateStore(file);
    expect(await again.verifyAudit()).toMatchObject({ ok: false, brokenAt: 1 });
    again.close();
  });

  it('stores sticky avatar choices, feedback and key-values', async () => {
    const s = new SqliteStateStore(':memory:');
    await s.setSticky('slack:T1:D1', 'lao-zhang');
    expect(await s.getSticky('slack:T1:D1')).toBe('lao-zhang');
    await s.setSticky('slack:T1:D1', null);
    expect(await s.getSticky('slack:T1:D1')).toBeUndefined();
    await s.addFeedback({ avatar: 'lao-zhang', conversation: 'c', userId: 'slack:U1', kind: 'down', text: 'too formal' });
    expect(await s.listFeedback('lao-zhang')).toHaveLength(1);
    await s.kvSet('consent', 'c1', { basis: 'self' });
    expect(await s.kvGet('consent', 'c1')).toEqual({ basis: 'self' });
    expect(await s.kvList('consent')).toHaveLength(1);
  });

  it('records a schema version and refuses a newer database', async () => {
    const file = path.join(dir, 'state.db');
    const s = new SqliteStateStore(file);
    expect(s.schemaVersion).toBeGreaterThanOrEqual(1);
    s.close();
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => new SqliteStateStore(file)).toThrow(/schema version 999/);
  });

  it('forgets an avatar but keeps the audit trail', async () => {
    const s = new SqliteStateStore(':memory:');
    await s.appendTurn('c', 'a', { role: 'user', text: 'q', at: 'now' });
    await s.audit({ actor: 'x', action: 'revoke', avatar: 'a' });
    await s.forgetAvatar('a');
    expect(await s.recentTurns('c', 'a', 5)).toEqual([]);
    expect(await s.auditEntries({ avatar: 'a' })).toHaveLength(1);
  });
});
