/**
 * IntelIndex throughput: builds an index of N indicators (IPs, CIDRs /16–/28,
 * domains, URLs, hashes) and matches synthetic events against it; the reference in the same run is
 * a plain Map.get over the same values (the floor for an exact look-up).
 *
 *   npx tsx bench/investigate/intel-index.ts [INDICATORS=1000000] [EVENTS=500000]
 */
import type { GarrisonEvent } from '../../src/core/event.js';
import { IntelIndex, makeIndicator, type Indicator } from '../../src/intel/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const E = Number(process.argv[3] ?? 500_000);
let seed = 0x9e3779b9;
const rnd = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const ip = () => `${1 + Math.floor(rnd() * 223)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');

const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
const inds: Indicator[] = [];
for (let i = 0; i < N; i++) {
  const k = i % 10;
  const v = k < 4 ? ip() : k === 4 ? `${ip()}/${[16, 20, 22, 24, 24, 24, 26, 28][Math.floor(rnd() * 8)]}` : k < 7 ? `d${i}.${hex(6)}.example` : k === 7 ? `http://u${i}.example/p/${hex(8)}` : hex(64);
  const ind = makeIndicator({ value: v, source: 'bench', confidence: 80 });
  if (ind) inds.push(ind);
}
const idx = new IntelIndex(inds);
const tBuild = performance.now() - t0;
const rss1 = process.memoryUsage().rss;

const evs: GarrisonEvent[] = [];
for (let i = 0; i < E; i++) evs.push({ id: String(i), time: 0, ingestTime: 0, tenant: 't', source: { format: 'zeek' }, class: { uid: 4001, name: 'network_activity' }, entities: { srcIp: ip(), dstIp: i % 100 === 0 ? inds[i % inds.length].value.split('/')[0] : ip(), domain: `h${i}.site${i % 1000}.example` }, fields: {}, raw: '' });
const t1 = performance.now();
let hits = 0;
for (const e of evs) hits += idx.matchEvent(e).length;
const tMatch = performance.now() - t1;

const ref = new Map(inds.map((i) => [i.value, i]));
const t2 = performance.now();
let refHits = 0;
for (const e of evs) for (const v of [e.entities.srcIp!, e.entities.dstIp!, e.entities.domain!]) if (ref.get(v)) refHits++;
const tRef = performance.now() - t2;
console.log(`${inds.length} indicators (${idx.size} distinct) built in ${(tBuild / 1000).toFixed(1)} s; index RSS +${((rss1 - rss0) / 1048576).toFixed(0)} MiB`);
console.log(`matchEvent: ${Math.round(E / (tMatch / 1000)).toLocaleString('en')} events/s (${hits} hits, 3 values/event incl. CIDR and parent-domain checks)`);
console.log(`reference Map.get over the same 3 values: ${Math.round(E / (tRef / 1000)).toLocaleString('en')} events/s (${refHits} exact hits); ratio ${(tRef / tMatch).toFixed(2)}`);
console.log(`peak RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
