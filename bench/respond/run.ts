/**
 * Response stage throughput: pure policy decisions per second, and incidents per second through a
 * full responder (plan, policy, preview, execute, verify, audit on a SQLite store) with in-memory
 * connectors. Run: npx tsx bench/respond/run.ts [incidents]
 */
import { connectorSet, createResponder, evaluate, loadPolicyFile, MemoryConnector } from '../../src/respond/index.js';
import { entity, incident, tempStore, verdict } from '../../src/respond/testing/fixtures.js';

const N = Number(process.argv[2] ?? 2000);
const policy = loadPolicyFile();
const mb = () => Math.round(process.memoryUsage().rss / 1048576);

// 1. Pure evaluation.
const cands = Array.from({ length: 100_000 }, (_, i) => ({
  kind: (['isolate_host', 'block_ip', 'block_domain', 'disable_account'] as const)[i % 4],
  target: i % 4 === 0 ? { type: 'host' as const, host: `ws${i}` } : i % 4 === 1 ? { type: 'ip' as const, cidr: `203.0.113.${i % 250}` } : i % 4 === 2 ? { type: 'domain' as const, domain: `d${i}.example` } : { type: 'account' as const, account: `u${i}` },
  verdict: { verdict: 'malicious' as const, confidence: (i % 100) / 100 },
  asset: { criticality: (['low', 'medium', 'high', 'critical'] as const)[i % 4], tags: i % 50 === 0 ? ['domain_controller'] : [] },
  identity: { type: (['regular', 'service', 'admin'] as const)[i % 3] },
  blast: { hosts: 1, users: 0, addresses: 1 },
}));
let t = performance.now();
let auto = 0;
for (const c of cands) if (evaluate(policy, c).mode === 'automatic') auto++;
const evalSec = (performance.now() - t) / 1000;
console.log(`evaluate: ${cands.length} decisions in ${evalSec.toFixed(3)} s = ${Math.round(cands.length / evalSec)} decisions/s (${auto} automatic), RSS ${mb()} MiB`);

// 2. Full responder.
const ts = await tempStore();
let now = Date.UTC(2025, 0, 6);
const r = createResponder({ store: ts.store, policy, connectors: connectorSet([new MemoryConnector('mem')]), now: () => now });
t = performance.now();
let actions = 0;
for (let i = 0; i < N; i++) {
  now += 60_000; // one incident a minute: the hourly isolation limit holds most of them for approval
  const acts = await r.respond(
    incident(`inc-${i}`, [entity('host', `NW-WS-${i}`, { context: { criticality: 'low', ip: `10.20.${(i >> 8) & 255}.${i & 255}` } }), entity('domain', `evil${i}.example`, { role: 'c2' }), entity('ip', `203.0.${(i >> 8) & 255}.${i & 255}`)]),
    verdict('malicious', 0.95),
  );
  actions += acts.length;
}
const sec = (performance.now() - t) / 1000;
const audit = await ts.store.verifyAudit();
console.log(`respond: ${N} incidents, ${actions} actions in ${sec.toFixed(2)} s = ${Math.round(N / sec)} incidents/s, ${Math.round(actions / sec)} actions/s; audit ${audit.entries} entries ok=${audit.ok}; RSS ${mb()} MiB`);
t = performance.now();
await ts.store.verifyAudit();
console.log(`verifyAudit: ${audit.entries} entries in ${((performance.now() - t) / 1000).toFixed(3)} s`);
await r.close();
await ts.cleanup();
