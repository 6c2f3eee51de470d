import { openProductionStateStore } from '../../src/store/production-store';
import { adminQuery, describeServices, freshPrefix, freshSchema, redisUrl, type FreshSchema } from '../helpers/services';
import { stateStoreContract } from './state-store.contract';

describeServices('production state store (PostgreSQL + Redis)', () => {
  const schemas: FreshSchema[] = [];
  afterAll(async () => {
    for (const s of schemas) await s.drop();
  });

  // Each test gets an empty schema and a Redis key prefix of its own.
  stateStoreContract(
    'PostgreSQL + Redis',
    async () => {
      const s = await freshSchema();
      schemas.push(s);
      return openProductionStateStore({ databaseUrl: s.url, redisUrl: redisUrl(0), redisPrefix: freshPrefix() });
    },
    {
      tamperAudit: async (_store, seq) => {
        const { schema } = schemas[schemas.length - 1];
        await adminQuery('ALTER TABLE audit DISABLE TRIGGER audit_no_change', [], schema);
        await adminQuery(`UPDATE audit SET detail = '{"question":"nothing to see"}' WHERE seq = $1`, [seq], schema);
      },
    },
  );
});
