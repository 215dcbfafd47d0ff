/**
 * Incident-building cost: signals at a target rate (default 10,000/s) over a population of
 * ~100,000 live entities (hosts, accounts, outside addresses, domains; grouped so that signals of
 * one "activity" share entities, plus hub entities every activity touches).
 *
 *   npx tsx bench/correlate/run.ts [--signals 200000] [--rate 10000] [--entities 100000] [--store memory|sqlite]
 *
 * Reports: maximum sustained signals/s (unpaced), then a paced run at --rate: per-batch latency
 * p50/p99 (a signal waits for its batch of rate/100), whether it kept up, state sizes and RSS,
 * and the ratio to a reference measured in the same run (JSON round trip of each signal, the
 * least a hand-off over the bus costs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Signal } from '../../src/core/signal.js';
import { createCorrelator } from '../../src/correlate/index.js';
import type { Store, StoredRecord } from '../../src/store/port.js';
import { openSqliteStore } from '../../src/store/index.js';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
};
const N = Number(arg('signals', '200000'));
const RATE = Number(arg('rate', '10000'));
const ENTITIES = Number(arg('entities', '100000'));
const STORE = arg('store', 'memory');

/**
 * A stand-in for an external store (isolates correlation cost from SQLite): it keeps only what
 * correlation reads back (status, revision, createdAt), as a database would not hold documents in
 * this process's memory.
 */
function memStore(): Store {
  const recs = new Map<string, StoredRecord<unknown>>();
  return {
    async putRecords(_c: string, rs: StoredRecord<{ status: string; revision: number; createdAt: number }>[]) {
      for (const r of rs) recs.set(r.id, { ...r, doc: { status: r.doc.status, revision: r.doc.revision, createdAt: r.doc.createdAt } });
    },
    async getRecord(_c: string, id: string) {
      return recs.get(id);
    },
    async appendAudit() {
      return {} as never;
    },
    async search() {
      return { events: [], query: { text: '', sql: '', params: [] } };
    },
  } as unknown as Store;
}

// Deterministic PRNG.
let seed = 42;
const rnd = (): number => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (n: number): number => Math.floor(rnd() * n);

// Entities are grouped into activities of 4 (host, account, outside IP, domain).
const groups = Math.max(1, Math.floor(ENTITIES / 4));
const levels = ['low', 'medium', 'high', 'critical'] as const;
const tactics = ['TA0001', 'TA0002', 'TA0003', 'TA0006', 'TA0007', 'TA0008', 'TA0010'];
const T0 = Date.UTC(2026, 10, 23);
function makeSignal(i: number): Signal {
  const g = pick(groups);
  const hub = rnd() < 0.2;
  const level = levels[pick(4)];
  return {
    id: `s${i.toString(36)}`,
    tenant: 'bench',
    kind: 'sigma',
    detector: `rule-${pick(40)}`,
    title: `Rule ${pick(40)}`,
    level,
    score: { low: 30, medium: 50, high: 75, critical: 95 }[level],
    time: T0 + Math.floor((i * 1000) / RATE),
    createdAt: T0,
    attack: { tactics: [tactics[pick(tactics.length)]], techniques: ['T1059'] },
    eventIds: [`e${i}`],
    entities: {
      host: `host-${g}.corp.example`,
      user: `user${g}`,
      userDomain: 'CORP',
      dstIp: hub ? '198.51.100.1' : `100.${(g >> 16) & 255}.${(g >> 8) & 255}.${g & 255}`.replace(/^100\./, '203.'),
      domain: hub ? 'www.popular.example' : `d${g}.example.net`,
      process: { guid: `{${g}-${pick(8)}}` },
    },
    details: {},
  };
}

const signals: Signal[] = Array.from({ length: N }, (_, i) => makeSignal(i));
const mb = (b: number): string => `${Math.round(b / 1048576)} MB`;
const pct = (xs: number[], p: number): number => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function setup(): Promise<{ store: Store; done: () => Promise<void> }> {
  if (STORE === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'garrison-bench-corr-'));
    const store = openSqliteStore({ file: join(dir, 'g.db'), fts: 'off' } as never);
    await store.init();
    return { store, done: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  return { store: memStore(), done: async () => undefined };
}

async function main(): Promise<void> {
  const rss0 = process.memoryUsage().rss;
  // Reference: JSON round trip of every signal.
  let t = performance.now();
  let sink = 0;
  for (const s of signals) sink += (JSON.parse(JSON.stringify(s)) as Signal).score;
  const refRate = N / ((performance.now() - t) / 1000);

  // 1. Unpaced: how fast can it go.
  {
    const { store, done } = await setup();
    const corr = createCorrelator({ store, config: { tenant: 'bench', storeLookups: false } });
    const batch = Math.max(1, Math.floor(RATE / 100));
    t = performance.now();
    for (let i = 0; i < N; i += batch) await corr.onSignals(signals.slice(i, i + batch));
    await corr.flush();
    const secs = (performance.now() - t) / 1000;
    const st = corr.stats();
    console.log(`unpaced (${STORE}): ${N} signals in ${secs.toFixed(2)} s = ${Math.round(N / secs)} signals/s; reference JSON round trip ${Math.round(refRate)}/s (ratio ${(N / secs / refRate).toFixed(3)})`);
    console.log(`  state: ${st.keys} live entity keys, ${st.clusters} clusters (${st.published} published incidents), ${st.merges} merges, RSS ${mb(process.memoryUsage().rss)} (start ${mb(rss0)})`);
    await corr.close();
    await done();
  }
  // 2. Paced at RATE: batches of RATE/100 every 10 ms.
  {
    const { store, done } = await setup();
    const corr = createCorrelator({ store, config: { tenant: 'bench', storeLookups: false } });
    const batch = Math.max(1, Math.floor(RATE / 100));
    const lat: number[] = [];
    const start = performance.now();
    let behind = 0;
    for (let k = 0, i = 0; i < N; k++, i += batch) {
      const due = start + k * 10;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else behind++;
      const b0 = performance.now();
      await corr.onSignals(signals.slice(i, i + batch));
      lat.push(performance.now() - b0 + Math.max(0, -wait));
    }
    const secs = (performance.now() - start) / 1000;
    const st = corr.stats();
    console.log(`paced at ${RATE}/s (${STORE}): ${Math.round(N / secs)} signals/s sustained over ${secs.toFixed(1)} s; per-batch (${batch} signals) latency p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms, max ${Math.max(...lat).toFixed(1)} ms; batches started late: ${behind}/${lat.length}`);
    console.log(`  live entity keys ${st.keys}, identity entries ${st.identityEntries}, clusters ${st.clusters}, published ${st.published}, RSS ${mb(process.memoryUsage().rss)}`);
    await corr.close();
    await done();
  }
  if (sink < 0) console.log(sink);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
