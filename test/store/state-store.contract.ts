import type { StateStore, Turn } from '../../src/store/types';

/**
 * What every StateStore must do, whatever is behind it (SQLite today; PostgreSQL and Redis for
 * scale-out). A backend runs it from its own `*.contract.test.ts`:
 *
 *   stateStoreContract('SQLite', async () => new SqliteStateStore(':memory:'), { tamperAudit });
 *
 * `make` must return an empty store (fresh schema or database); each test gets its own and closes
 * it. `tamperAudit` edits a stored audit entry behind the store's back (as someone with direct
 * database access would); without it the tamper test is listed as a todo.
 *
 * Expiry is checked against real time with short TTLs, because a networked store keeps its own
 * clock (Redis PX, PostgreSQL now()).
 */
export interface ContractHooks {
  tamperAudit?: (store: StateStore, seq: number) => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolver outside, to hold a lock open as long as a test wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const turn = (role: Turn['role'], text: string, extra: Partial<Turn> = {}): Turn => ({ role, text, at: '2026-12-02T06:00:00.000Z', ...extra });

export function stateStoreContract(name: string, make: () => Promise<StateStore>, hooks: ContractHooks = {}): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store.close();
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('claim (dedupe: set-if-absent with a TTL)', () => {
      it('lets the first claim of a key win and refuses the next ones while it lives', async () => {
        expect(await store.claim('slack:event:Ev1', 60_000)).toBe(true);
        expect(await store.claim('slack:event:Ev1', 60_000)).toBe(false);
        expect(await store.claim('slack:event:Ev1', 60_000)).toBe(false);
        // Keys are independent.
        expect(await store.claim('slack:event:Ev2', 60_000)).toBe(true);
        expect(await store.claim('lark:event:Ev1', 60_000)).toBe(true);
      });

      it('frees a key once its TTL has passed, and the next claim wins again', async () => {
        expect(await store.claim('k', 150)).toBe(true);
        expect(await store.claim('k', 150)).toBe(false);
        await sleep(300);
        expect(await store.claim('k', 60_000)).toBe(true);
        expect(await store.claim('k', 60_000)).toBe(false);
      });

      it('a claim made with a token is won again by the same token alone (a journaled delivery replayed after a crash), never by a claim without one', async () => {
        expect(await store.claim('slack:event:Ev1', 60_000, 'entry-a')).toBe(true);
        expect(await store.claim('slack:event:Ev1', 60_000, 'entry-a')).toBe(true);
        // A second delivery of the event (a Slack retry journaled anew) has a token of its own.
        expect(await store.claim('slack:event:Ev1', 60_000, 'entry-b')).toBe(false);
        expect(await store.claim('slack:event:Ev1', 60_000)).toBe(false);
        expect(await store.claim('slack:event:Ev1', 60_000, 'entry-a')).toBe(true);
        // A key claimed without a token belongs to nobody: no token wins it back.
        expect(await store.claim('slack:event:Ev2', 60_000)).toBe(true);
        expect(await store.claim('slack:event:Ev2', 60_000, 'entry-a')).toBe(false);
        expect(await store.claim('slack:event:Ev2', 60_000)).toBe(false);
      });

      it('an expired tokened claim is anyone\'s, and then no longer its old token\'s', async () => {
        expect(await store.claim('k', 150, 'entry-a')).toBe(true);
        await sleep(300);
        expect(await store.claim('k', 60_000, 'entry-b')).toBe(true);
        expect(await store.claim('k', 60_000, 'entry-a')).toBe(false);
        expect(await store.claim('k', 60_000, 'entry-b')).toBe(true);
      });

      it('a losing claim does not extend the winner\'s TTL', async () => {
        expect(await store.claim('k', 250)).toBe(true);
        await sleep(100);
        expect(await store.claim('k', 60_000)).toBe(false);
        await sleep(250);
        expect(await store.claim('k', 60_000)).toBe(true);
      });

      it('gives exactly one of many concurrent claims of the same key', async () => {
        const results = await Promise.all(Array.from({ length: 25 }, () => store.claim('slack:message:C1:1.0001', 60_000)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('prunes expired claims and keeps live ones', async () => {
        await store.claim('old', 100);
        await store.claim('live', 60_000);
        await sleep(200);
        const removed = await store.pruneClaims();
        // A store that expires keys itself (Redis) reports 0; a table-backed one removes the old key.
        expect(removed).toBeGreaterThanOrEqual(0);
        expect(removed).toBeLessThanOrEqual(1);
        expect(await store.claim('live', 60_000)).toBe(false);
        expect(await store.claim('old', 60_000)).toBe(true);
      });

      it('rejects a TTL that is not a positive number of milliseconds', async () => {
        await expect(store.claim('k', 0)).rejects.toThrow(/ttlMs/);
        await expect(store.claim('k', -5)).rejects.toThrow(/ttlMs/);
        await expect(store.claim('k', Number.NaN)).rejects.toThrow(/ttlMs/);
      });
    });

    describe('conversation turns (memory)', () => {
      it('returns the newest turns up to the limit, oldest first, with every field', async () => {
        for (let i = 1; i <= 5; i++) await store.appendTurn('slack:T1:D1', 'lao-zhang', turn(i % 2 ? 'user' : 'avatar', `t${i}`));
        await store.appendTurn('slack:T1:D1', 'lao-zhang', turn('avatar', 'a6', { userId: 'slack:U1', ref: '1760000000.000100', citations: [{ source: 'runbook.md', locator: 'L1-L5' }] }));
        const recent = await store.recentTurns('slack:T1:D1', 'lao-zhang', 3);
        expect(recent.map((t) => t.text)).toEqual(['t4', 't5', 'a6']);
        expect(recent[2]).toEqual({ role: 'avatar', text: 'a6', userId: 'slack:U1', ref: '1760000000.000100', citations: [{ source: 'runbook.md', locator: 'L1-L5' }], at: '2026-12-02T06:00:00.000Z' });
        expect(recent[0]).toEqual({ role: 'avatar', text: 't4', at: '2026-12-02T06:00:00.000Z' });
        expect(await store.recentTurns('slack:T1:D1', 'lao-zhang', 100)).toHaveLength(6);
      });

      it('keeps conversations and avatars apart, and knows whether the avatar has spoken', async () => {
        await store.appendTurn('c1', 'lao-zhang', turn('user', 'q1'));
        await store.appendTurn('c1', 'other', turn('avatar', 'x'));
        await store.appendTurn('c2', 'lao-zhang', turn('avatar', 'y'));
        expect((await store.recentTurns('c1', 'lao-zhang', 10)).map((t) => t.text)).toEqual(['q1']);
        expect(await store.hasAvatarSpoken('c1', 'lao-zhang')).toBe(false);
        expect(await store.hasAvatarSpoken('c1', 'other')).toBe(true);
        expect(await store.hasAvatarSpoken('c2', 'lao-zhang')).toBe(true);
        expect(await store.recentTurns('nowhere', 'lao-zhang', 10)).toEqual([]);
        expect(await store.hasAvatarSpoken('nowhere', 'lao-zhang')).toBe(false);
      });

      it('keeps the order of turns appended one after another without pauses', async () => {
        const texts = Array.from({ length: 30 }, (_, i) => `m${i}`);
        for (const t of texts) await store.appendTurn('c', 'a', turn('user', t));
        expect((await store.recentTurns('c', 'a', 30)).map((t) => t.text)).toEqual(texts);
      });
    });

    describe('sticky avatar choices', () => {
      it('sets, replaces, clears, and answers undefined for an unknown key', async () => {
        expect(await store.getSticky('slack:T1:D1')).toBeUndefined();
        await store.setSticky('slack:T1:D1', 'lao-zhang');
        expect(await store.getSticky('slack:T1:D1')).toBe('lao-zhang');
        await store.setSticky('slack:T1:D1', 'wang-fang');
        expect(await store.getSticky('slack:T1:D1')).toBe('wang-fang');
        await store.setSticky('slack:T1:D1', null);
        expect(await store.getSticky('slack:T1:D1')).toBeUndefined();
        // Clearing what is not there is not an error.
        await store.setSticky('slack:T1:D2', null);
      });
    });

    describe('feedback', () => {
      it('stores records per avatar in order, with increasing ids and a time', async () => {
        const a = await store.addFeedback({ avatar: 'lao-zhang', conversation: 'c', ref: '1.1', userId: 'slack:U1', kind: 'up' });
        const b = await store.addFeedback({ avatar: 'other', conversation: 'c', userId: 'slack:U2', kind: 'down' });
        const c = await store.addFeedback({ avatar: 'lao-zhang', conversation: 'c2', userId: 'lark:ou_1', kind: 'correction', text: '他会说：先回滚。' });
        expect(b).toBeGreaterThan(a);
        expect(c).toBeGreaterThan(b);
        const list = await store.listFeedback('lao-zhang');
        expect(list).toEqual([
          { id: a, avatar: 'lao-zhang', conversation: 'c', ref: '1.1', userId: 'slack:U1', kind: 'up', text: undefined, at: expect.any(String) },
          { id: c, avatar: 'lao-zhang', conversation: 'c2', ref: undefined, userId: 'lark:ou_1', kind: 'correction', text: '他会说：先回滚。', at: expect.any(String) },
        ]);
        expect(Number.isNaN(Date.parse(list[0].at))).toBe(false);
        expect(await store.listFeedback('nobody')).toEqual([]);
      });
    });

    describe('audit log (hash-chained, append-only)', () => {
      it('appends linked entries and reads them oldest first, filtered and limited', async () => {
        const e1 = await store.audit({ actor: 'slack:U1', action: 'ask', avatar: 'lao-zhang', detail: { question: 'how to deploy', sources: ['a.md#L1-L5'] } });
        const e2 = await store.audit({ actor: 'system', action: 'consent_expired' });
        const e3 = await store.audit({ actor: 'slack:U2', action: 'ask', avatar: 'lao-zhang', detail: { question: '回滚' } });
        expect([e1.seq, e2.seq, e3.seq]).toEqual([1, 2, 3]);
        expect(e1.prevHash).toMatch(/^0{64}$/);
        expect(e2.prevHash).toBe(e1.hash);
        expect(e3.prevHash).toBe(e2.hash);
        expect(new Set([e1.hash, e2.hash, e3.hash]).size).toBe(3);
        const all = await store.auditEntries();
        expect(all.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(all[0]).toEqual({ ...e1, detail: { question: 'how to deploy', sources: ['a.md#L1-L5'] } });
        expect(all[1].detail).toEqual({});
        expect(all[1].avatar).toBeUndefined();
        expect((await store.auditEntries({ action: 'ask' })).map((e) => e.seq)).toEqual([1, 3]);
        expect((await store.auditEntries({ avatar: 'lao-zhang', action: 'ask', limit: 1 })).map((e) => e.seq)).toEqual([3]);
        expect((await store.auditEntries({ limit: 2 })).map((e) => e.seq)).toEqual([2, 3]);
        expect(await store.auditEntries({ avatar: 'nobody' })).toEqual([]);
      });

      it('verifies an empty log and a written one', async () => {
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 0 });
        for (let i = 0; i < 5; i++) await store.audit({ actor: 'slack:U1', action: 'ask', detail: { i } });
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 5 });
      });

      it('keeps the chain whole under concurrent appends (each append is atomic)', async () => {
        const entries = await Promise.all(Array.from({ length: 20 }, (_, i) => store.audit({ actor: `slack:U${i}`, action: 'ask', detail: { i } })));
        expect(entries.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const stored = await store.auditEntries();
        for (let i = 1; i < stored.length; i++) expect(stored[i].prevHash).toBe(stored[i - 1].hash);
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 20 });
      });

      if (hooks.tamperAudit) {
        const tamperAudit = hooks.tamperAudit;
        it('detects an entry edited behind its back', async () => {
          for (let i = 1; i <= 4; i++) await store.audit({ actor: `slack:U${i}`, action: 'ask', detail: { question: `q${i}` } });
          await tamperAudit(store, 2);
          expect(await store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 2, reason: expect.any(String) });
        });
      } else {
        it.todo('detects an entry edited behind its back (pass hooks.tamperAudit)');
      }
    });

    describe('key-values', () => {
      it('stores JSON values per namespace: get, replace, list by key, delete', async () => {
        expect(await store.kvGet('consent', 'c1')).toBeUndefined();
        await store.kvSet('consent', 'c2', { basis: 'self', scope: { channels: ['#a'] }, note: '本人同意' });
        await store.kvSet('consent', 'c1', { basis: 'policy' });
        await store.kvSet('jobs', 'c1', 7);
        expect(await store.kvGet('consent', 'c2')).toEqual({ basis: 'self', scope: { channels: ['#a'] }, note: '本人同意' });
        await store.kvSet('consent', 'c1', { basis: 'consent' });
        expect(await store.kvGet('consent', 'c1')).toEqual({ basis: 'consent' });
        expect(await store.kvList('consent')).toEqual([
          { key: 'c1', value: { basis: 'consent' } },
          { key: 'c2', value: { basis: 'self', scope: { channels: ['#a'] }, note: '本人同意' } },
        ]);
        expect(await store.kvGet('jobs', 'c1')).toBe(7);
        await store.kvDelete('consent', 'c1');
        expect(await store.kvGet('consent', 'c1')).toBeUndefined();
        expect((await store.kvList('consent')).map((r) => r.key)).toEqual(['c2']);
        // Deleting what is not there is not an error; other namespaces are untouched.
        await store.kvDelete('consent', 'missing');
        expect(await store.kvList('jobs')).toEqual([{ key: 'c1', value: 7 }]);
        expect(await store.kvList('empty')).toEqual([]);
      });
    });

    describe('forgetAvatar (revoke)', () => {
      it('deletes the avatar\'s turns, feedback and sticky choices, keeps others and the audit log', async () => {
        await store.appendTurn('c', 'gone', turn('user', 'secret question'));
        await store.appendTurn('c', 'kept', turn('user', 'other question'));
        await store.addFeedback({ avatar: 'gone', conversation: 'c', userId: 'slack:U1', kind: 'down' });
        await store.addFeedback({ avatar: 'kept', conversation: 'c', userId: 'slack:U1', kind: 'up' });
        await store.setSticky('slack:T1:D1', 'gone');
        await store.setSticky('slack:T1:D2', 'kept');
        await store.kvSet('consent', 'c1', { slug: 'gone' });
        await store.audit({ actor: 'slack:U1', action: 'revoke', avatar: 'gone' });
        await store.forgetAvatar('gone');
        expect(await store.recentTurns('c', 'gone', 10)).toEqual([]);
        expect(await store.hasAvatarSpoken('c', 'gone')).toBe(false);
        expect(await store.listFeedback('gone')).toEqual([]);
        expect(await store.getSticky('slack:T1:D1')).toBeUndefined();
        expect((await store.recentTurns('c', 'kept', 10)).map((t) => t.text)).toEqual(['other question']);
        expect(await store.listFeedback('kept')).toHaveLength(1);
        expect(await store.getSticky('slack:T1:D2')).toBe('kept');
        expect(await store.auditEntries({ avatar: 'gone' })).toHaveLength(1);
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 1 });
        // Consent records are the tombstone's evidence, not conversation content.
        expect(await store.kvGet('consent', 'c1')).toEqual({ slug: 'gone' });
      });
    });

    describe('hit (rate limits: a sliding window)', () => {
      it('counts up to the limit, refuses the next hit with the wait, and keeps keys apart', async () => {
        for (let i = 0; i < 3; i++) expect(await store.hit('user:slack:U1', 3, 60_000)).toEqual({ allowed: true, retryAfterMs: 0 });
        const refused = await store.hit('user:slack:U1', 3, 60_000);
        expect(refused.allowed).toBe(false);
        expect(refused.retryAfterMs).toBeGreaterThan(30_000);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
        expect((await store.hit('user:slack:U2', 3, 60_000)).allowed).toBe(true);
        expect((await store.hit('workspace:slack:T1', 0, 60_000)).allowed).toBe(true);
      });

      it('lets hits through again as the counted ones leave the window; refused hits are not counted', async () => {
        expect((await store.hit('k', 2, 300)).allowed).toBe(true);
        expect((await store.hit('k', 2, 300)).allowed).toBe(true);
        for (let i = 0; i < 5; i++) expect((await store.hit('k', 2, 300)).allowed).toBe(false);
        await sleep(450);
        expect((await store.hit('k', 2, 300)).allowed).toBe(true);
        expect((await store.hit('k', 2, 300)).allowed).toBe(true);
        expect((await store.hit('k', 2, 300)).allowed).toBe(false);
      });

      it('counts concurrent hits exactly', async () => {
        const results = await Promise.all(Array.from({ length: 20 }, () => store.hit('user:slack:U1', 5, 60_000)));
        expect(results.filter((r) => r.allowed)).toHaveLength(5);
      });
    });

    describe('withLock (per-conversation lock)', () => {
      it('runs holders of the same key one at a time, in arrival order, and returns each result', async () => {
        let inside = 0;
        let most = 0;
        const order: number[] = [];
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            store.withLock('conv:slack:T1:D1', async () => {
              inside++;
              most = Math.max(most, inside);
              order.push(i);
              await sleep(10);
              inside--;
              return i * 10;
            }, { ttlMs: 10_000 }),
          ),
        );
        expect(most).toBe(1);
        expect(order).toEqual([0, 1, 2, 3, 4, 5]);
        expect(results).toEqual([0, 10, 20, 30, 40, 50]);
      });

      it('does not make different keys wait for each other', async () => {
        const held = gate();
        const first = store.withLock('conv:A', () => held.promise, { ttlMs: 10_000 });
        const other = await store.withLock('conv:B', async () => 'B ran', { ttlMs: 10_000 });
        expect(other).toBe('B ran');
        held.open();
        await first;
      });

      it('frees the lock when the holder throws, and passes the error on', async () => {
        await expect(store.withLock('conv:A', async () => { throw new Error('boom'); }, { ttlMs: 10_000 })).rejects.toThrow('boom');
        const started = Date.now();
        expect(await store.withLock('conv:A', async () => 'next', { ttlMs: 10_000 })).toBe('next');
        expect(Date.now() - started).toBeLessThan(1_000);
      });

      it('frees the lock after its TTL when the holder never finishes; the late holder does not free its successor', async () => {
        const stuck = gate();
        const events: string[] = [];
        const first = store.withLock('conv:A', async () => {
          events.push('first in');
          await stuck.promise;
          events.push('first out');
        }, { ttlMs: 200 });
        await sleep(20);
        const started = Date.now();
        const secondHolds = gate();
        const secondIn = gate();
        const second = store.withLock('conv:A', async () => {
          events.push('second in');
          secondIn.open();
          await secondHolds.promise;
        }, { ttlMs: 10_000 });
        await secondIn.promise;
        const waited = Date.now() - started;
        expect(waited).toBeGreaterThanOrEqual(100);
        expect(waited).toBeLessThan(5_000);
        // The expired holder finishes while the second one holds the lock: a third still waits.
        stuck.open();
        await first;
        let thirdIn = false;
        const third = store.withLock('conv:A', async () => {
          thirdIn = true;
        }, { ttlMs: 10_000 });
        await sleep(50);
        expect(thirdIn).toBe(false);
        secondHolds.open();
        await Promise.all([second, third]);
        expect(thirdIn).toBe(true);
        expect(events).toEqual(['first in', 'second in', 'first out']);
      });

      it('rejects a TTL that is not a positive number of milliseconds', async () => {
        await expect(store.withLock('conv:A', async () => 1, { ttlMs: 0 })).rejects.toThrow(/ttlMs/);
      });
    });
  });
}
