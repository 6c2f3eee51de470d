import { openPgStateStore } from '../../src/store/pg/pg-store';
import { adminQuery, describeServices, freshSchema, type FreshSchema } from '../helpers/services';
import { stateStoreContract } from './state-store.contract';

describeServices('PostgreSQL state store', () => {
  const schemas: FreshSchema[] = [];
  afterAll(async () => {
    for (const s of schemas) await s.drop();
  });

  // Each test gets an empty schema of its own.
  stateStoreContract(
    'PostgreSQL',
    async () => {
      const s = await freshSchema();
      schemas.push(s);
      return openPgStateStore(s.url);
    },
    {
      // What someone with SQL access can do: switch the append-only trigger off and edit a row.
      tamperAudit: async (_store, seq) => {
        const { schema } = schemas[schemas.length - 1];
        await adminQuery('ALTER TABLE audit DISABLE TRIGGER audit_no_change', [], schema);
        await adminQuery(`UPDATE audit SET detail = '{"question":"nothing to see"}' WHERE seq = $1`, [seq], schema);
      },
    },
  );
});
