/**
 * Diagnostic (not a benchmark): runs `garrison eval` (correlation on, investigation and response
 * off unless --full) and prints, per campaign, every detected signal of the window with the
 * entities correlation keys on and the incident it landed in, then the benign incidents.
 * Shows exactly why a campaign was split or background became an incident.
 *
 *   npx tsx bench/correlate/diagnose.ts [--seed N] [--hosts N] [--days D] [--hours H] [--full] [--brief]
 */
import type { Incident } from '../../src/core/incident.js';
import type { Signal } from '../../src/core/signal.js';
import { runEval } from '../../src/app/eval.js';
import { DEFAULT_START } from '../../src/sim/simulation.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = Number(opt('seed') ?? 1);
const full = args.includes('--full');
const brief = args.includes('--brief');
const iso = (t: number): string => new Date(t).toISOString().slice(5, 19).replace('T', ' ');

function ents(s: Signal): string {
  const e = s.entities ?? {};
  const parts: string[] = [];
  const put = (k: string, v: unknown): void => {
    if (v !== undefined && v !== null && v !== '') parts.push(`${k}=${String(v).slice(0, 60)}`);
  };
  put('host', e.host);
  put('user', e.user);
  put('tuser', e.targetUser);
  put('src', e.srcIp);
  put('dst', e.dstIp);
  put('dom', e.domain);
  put('lid', e.logonId);
  put('proc', e.process?.guid ? String(e.process.guid).slice(0, 12) : undefined);
  put('ppid', e.process?.parent?.guid ? String(e.process.parent.guid).slice(0, 12) : undefined);
  put('img', e.process?.image ? String(e.process.image).split(/[\\/]/).pop() : undefined);
  put('file', e.file?.path);
  const gb = (s.details as { groupBy?: unknown } | undefined)?.groupBy;
  if (gb && typeof gb === 'object') put('groupBy', JSON.stringify(gb));
  return parts.join(' ');
}

const r = await runEval({
  scenario: opt('scenario') ?? 'default',
  seed,
  hosts: opt('hosts') ? Number(opt('hosts')) : undefined,
  warmupDays: opt('days') ? Number(opt('days')) : undefined,
  hours: opt('hours') ? Number(opt('hours')) : undefined,
  engine: full ? undefined : { investigation: { enabled: false }, response: { enabled: false } },
  inspect: async ({ store, signals, truthBySignal }) => {
    const recs = await store.listRecords<Incident>('incidents', { limit: 100_000 });
    const incOf = new Map<string, string>();
    const incs = new Map<string, Incident>();
    for (const x of recs) {
      if (x.doc.mergedInto) continue;
      incs.set(x.doc.id, x.doc);
      for (const id of x.doc.signalIds) incOf.set(id, x.doc.id);
    }
    const byId = new Map(signals.map((s) => [s.id, s]));
    const camp = new Map<string, Signal[]>();
    for (const [id, ts] of truthBySignal) {
      const c = ts[0]?.campaign;
      const s = byId.get(id);
      if (!c || !s) continue;
      if (!camp.has(c)) camp.set(c, []);
      camp.get(c)!.push(s);
    }
    for (const [c, list] of [...camp].sort()) {
      list.sort((a, b) => a.time - b.time);
      const per = new Map<string, number>();
      for (const s of list) per.set(incOf.get(s.id) ?? '(none)', (per.get(incOf.get(s.id) ?? '(none)') ?? 0) + 1);
      console.log(`\n=== campaign ${c}: ${list.length} signals → ${[...per].map(([k, v]) => `${k.slice(4, 12)}:${v}`).join(' ')}`);
      if (args.includes('--dump')) {
        const main = [...per].sort((x, y) => y[1] - x[1])[0][0];
        for (const s of list) {
          if ((incOf.get(s.id) ?? '(none)') === main) continue;
          console.log('  OUTSIDE ' + JSON.stringify({ ...s, eventIds: s.eventIds.slice(0, 2) }));
          for (const ev of await store.getEvents(s.eventIds.slice(0, 3))) console.log('    EVIDENCE ' + JSON.stringify({ format: ev.source?.format, entities: ev.entities, raw: typeof ev.raw === 'string' ? ev.raw.slice(0, 300) : undefined }));
        }
      }
      if (args.includes('--entities')) {
        for (const id of per.keys()) {
          const inc = incs.get(id);
          if (inc) console.log(`  ${id.slice(4, 12)} "${inc.title}" ${inc.severity} entities: ${inc.entities.map((x) => `${x.kind}:${x.display ?? x.value}${x.role ? `(${x.role})` : ''}[${x.signalIds.length}]`).join(' ')}`);
        }
      }
      if (brief && per.size === 1) continue;
      for (const s of list) console.log(`  ${iso(s.time)} ${(incOf.get(s.id) ?? '(none)').slice(4, 12).padEnd(8)} ${s.kind.padEnd(6).slice(0, 6)} ${s.level.slice(0, 4)} ${s.detector.slice(0, 40).padEnd(40)} ${ents(s)}`);
    }
    const benign = [...incs.values()].filter((i) => i.lastSeen >= DEFAULT_START && i.signalIds.every((id) => !(truthBySignal.get(id) ?? []).length));
    console.log(`\n=== benign incidents (window): ${benign.length}`);
    for (const i of benign) {
      console.log(` ${i.id.slice(4, 12)} ${i.severity} "${i.title}" signals=${i.signalIds.length} ${iso(i.firstSeen)}..${iso(i.lastSeen)}`);
      if (args.includes('--dump')) console.log('    scoring ' + JSON.stringify(i.scoring) + ' score ' + i.score);
      for (const id of i.signalIds.slice(0, 12)) {
        const s = byId.get(id);
        if (s && args.includes('--dump')) console.log('    ' + JSON.stringify(s));
        if (s) console.log(`    ${iso(s.time)} ${s.kind.padEnd(6).slice(0, 6)} ${s.level.slice(0, 4)} ${s.detector.slice(0, 40).padEnd(40)} ${ents(s)}`);
      }
    }
  },
});
const inc = r.scorecard.incidents!;
console.log(`\nseed ${seed}: signals ${r.scorecard.signals} incidents ${JSON.stringify({ total: inc.total, benign: inc.benign, inOne: inc.campaignsInOneIncident, mixed: inc.mixed, purity: inc.purity, completeness: inc.completeness, benignPer100: inc.benignPer100HostsPerDay, reduction: inc.reduction })}`);
console.log(`per campaign: ${r.scorecard.campaigns.map((c) => `${c.id}:${c.signals}s/${c.incidents}i/${c.completeness}`).join(' ')}  time ${r.timing.seconds}s`);
