import { UnderstudyError } from '../../src/errors';
import { PendingStateStore } from '../../src/store/pending-store';
import { SqliteStateStore } from '../../src/store/sqlite-store';

describe('PendingStateStore (a store still connecting)', () => {
  it('waits for the store to open, then passes every call through', async () => {
    let open!: (s: SqliteStateStore) => void;
    const store = new PendingStateStore(new Promise((resolve) => (open = resolve)));
    const claimed = store.claim('slack:event:Ev1', 60_000);
    open(new SqliteStateStore(':memory:'));
    expect(await claimed).toBe(true);
    expect(await store.claim('slack:event:Ev1', 60_000)).toBe(false);
    await store.ready();
    await store.close();
  });

  it('fails ready() and each call with the connection error, and closes without one', async () => {
    const refused = new UnderstudyError('CONFIG_INVALID', 'DATABASE_URL: cannot connect to 127.0.0.1:5432 (ECONNREFUSED)');
    const store = new PendingStateStore(Promise.reject(refused));
    await expect(store.ready()).rejects.toBe(refused);
    await expect(store.claim('k', 1000)).rejects.toThrow('DATABASE_URL: cannot connect');
    await expect(store.withLock('conv:A', async () => 1, { ttlMs: 1000 })).rejects.toBe(refused);
    await expect(store.close()).resolves.toBeUndefined();
  });
});
