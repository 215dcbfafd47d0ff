import { randomBytes } from 'node:crypto';
import { runStoreContract } from '../contract.js';
import { openPostgresStore } from './store.js';

// PostgreSQL at 127.0.0.1:5432 (trust auth), database `test`; override with GARRISON_TEST_PG_URL.
const url = process.env.GARRISON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

runStoreContract('postgres', async () => {
  const schema = `garrison_t_${randomBytes(6).toString('hex')}`;
  const store = openPostgresStore({ url, schema });
  return {
    store,
    cleanup: async () => {
      // A fresh store handle drops the per-test schema.
      const dropper = openPostgresStore({ url, schema });
      await dropper.dropSchema();
      await dropper.close();
    },
  };
});
