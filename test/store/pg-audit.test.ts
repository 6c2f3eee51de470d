import { loadAuditKey, nextEntry, type AuditRow } from '../../src/store/audit-chain';
import { openPgStateStore } from '../../src/store/pg/pg-store';
import { adminQuery, describeServices, schemaPerTest } from '../helpers/services';

const KEY = 'k'.repeat(40);

/** `count` chained rows as a store holding KEY would write them. */
function chain(count: number): AuditRow[] {
  const key = loadAuditKey({ envKey: KEY });
  const rows: AuditRow[] = [];
  for (let i = 0; i < count; i++) {
    const head = rows.length ? { seq: rows[rows.length - 1].seq, hash: rows[rows.length - 1].hash } : undefined;
    rows.push(nextEntry(key, head, { actor: `slack:U${i % 7}`, action: 'ask', avatar: 'lao-zhang', detail: { i } }, new Date(Date.UTC(2026, 11, 2, 0, 0, i)).toISOString()).row);
  }
  return rows;
}

describeServices('PostgreSQL audit chain', () => {
  const schema = schemaPerTest();

  it('verifies a chain longer than one page read, finds an edit on a later page, and appends after it', async () => {
    const store = await openPgStateStore(schema().url, { auditKey: KEY });
    try {
      const rows = chain(12_345);
      const cols = ['seq', 'at', 'actor', 'action', 'avatar', 'detail', 'prev_hash', 'hash'] as const;
      await adminQuery(
        `INSERT INTO audit(${cols.join(', ')}) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
        cols.map((c) => rows.map((r) => r[c])),
        schema().schema,
      );
      expect(await store.verifyAudit()).toEqual({ ok: true, entries: 12_345 });
      const next = await store.audit({ actor: 'system', action: 'consent_expired' });
      expect(next.seq).toBe(12_346);
      expect(next.prevHash).toBe(rows[rows.length - 1].hash);

      await adminQuery('ALTER TABLE audit DISABLE TRIGGER audit_no_change', [], schema().schema);
      await adminQuery(`UPDATE audit SET actor = 'slack:U_SOMEONE_ELSE' WHERE seq = 11000`, [], schema().schema);
      expect(await store.verifyAudit()).toMatchObject({ ok: false, brokenAt: 11_000 });
    } finally {
      await store.close();
    }
  });

  it('refuses to change or delete an entry through SQL while the trigger is on', async () => {
    const store = await openPgStateStore(schema().url);
    try {
      await store.audit({ actor: 'slack:U1', action: 'ask' });
      await expect(adminQuery(`UPDATE audit SET actor = 'x'`, [], schema().schema)).rejects.toThrow(/append-only/);
      await expect(adminQuery('DELETE FROM audit', [], schema().schema)).rejects.toThrow(/append-only/);
      await expect(adminQuery('TRUNCATE audit', [], schema().schema)).rejects.toThrow(/append-only/);
    } finally {
      await store.close();
    }
  });
});
