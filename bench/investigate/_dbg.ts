import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { campaignsOf, runSimHarness } from '../../src/investigate/testing/sim-harness.js';
import { createInvestigator } from '../../src/investigate/index.js';
const store = openSqliteStore({ file: join(mkdtempSync(join(tmpdir(), 'dbg-')), 'g.db'), fts: 'off' });
const h = await runSimHarness(store, { trainDays: 1, learningDays: 1, grouping: 'truth' });
const inc = h.incidents.find((i) => campaignsOf(h, i).includes('f'))!;
const r = await createInvestigator({ store, context: h.context }).investigate(inc.id);
for (const s of r.investigation.ledger.steps) { console.log(s.id, s.status, s.note ?? ''); for (const e of s.evidence) console.log('   ', e.title, JSON.stringify(e.facts).slice(0, 300)); }
const evs = await store.getEvents(h.signals.filter((s) => inc.signalIds.includes(s.id)).flatMap((s) => s.eventIds));
for (const e of evs) console.log(e.class.name, e.source.format, JSON.stringify(e.entities));
await store.close();
