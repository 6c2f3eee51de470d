import { openPgStateStore } from '../../src/store/pg/pg-store';
import { openProductionStateStore } from '../../src/store/production-store';
import type { StateStore } from '../../src/store/types';
import { adminQuery, describeServices, freshPrefix, freshSchema, redisUrl, type FreshSchema } from '../helpers/services';
import { stateStoreContract } from './state-store.contract';

describeServices('state stores on PostgreSQL', () => {
  const schemas: FreshSchema[] = [];
  afterAll(async () => {
    for (const s of schemas) await s.drop();
  });
  /** Each test gets an empty schema of its own. */
  const inFreshSchema = (open: (url: string) => Promise<StateStore>) => async (): Promise<StateStore> => {
    const s = await freshSchema();
    schemas.push(s);
    return open(s.url);
  };
  const hooks = {
    // What someone with SQL access can do: switch the append-only trigger off and edit a row.
    tamperAudit: async (_store: StateStore, seq: number): Promise<void> => {
      const { schema } = schemas[schemas.length - 1];
      await adminQuery('ALTER TABLE audit DISABLE TRIGGER audit_no_change', [], schema);
      await adminQuery(`UPDATE audit SET detail = '{"question":"nothing to see"}' WHERE seq = $1`, [seq], schema);
    },
  };

  stateStoreContract('PostgreSQL', inFreshSchema((url) => openPgStateStore(url)), hooks);
  // The production composition, with a Redis key prefix of its own per test.
  stateStoreContract('PostgreSQL + Redis', inFreshSchema((url) => openProductionStateStore({ databaseUrl: url, redisUrl: redisUrl(0), redisPrefix: freshPrefix() })), hooks);
});
