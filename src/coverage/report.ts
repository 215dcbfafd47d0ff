/**
 * The coverage report as Markdown (also readable as plain text in a terminal). Every value that
 * came from events (host names, channels, field names) is made inert: no control characters, and
 * Markdown table metacharacters escaped.
 */
import type { CoverageReport, CoverageState } from './coverage.js';
import type { Gap } from './gaps.js';

export function inert(s: string, max = 400): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/[|<>`]/g, (c) => `\\${c}`);
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

const iso = (t: number | undefined) => (t === undefined || !Number.isFinite(t) ? '-' : new Date(t).toISOString().replace('.000Z', 'Z'));
const STATES: CoverageState[] = ['covered', 'covered-but-blind', 'data-without-detection', 'uncovered'];

export function renderMarkdown(r: CoverageReport, gaps: Gap[] = [], opts: { allTechniques?: boolean } = {}): string {
  const L: string[] = [];
  const s = r.summary;
  L.push(`# Detection coverage`, '');
  L.push(`Window ${iso(r.window.from)} to ${iso(r.window.to)} (telemetry older than ${Math.round(r.window.staleAfterMs / 3_600_000)} h before the end is stale). ATT&CK v${r.attack.version}: ${s.techniques} techniques.`, '');
  L.push(`| state | techniques |`, `| --- | ---: |`);
  for (const st of STATES) L.push(`| ${st} | ${s[st]}${st === 'covered' ? ` (${s.validated} validated)` : ''} |`);
  L.push('');
  L.push(`Rules: ${r.rules.enabled} enabled of ${r.rules.loaded} (${r.rules.correlations} correlations), ${r.rules.problems.length} load problems. Models: ${r.models.join(', ') || 'none'}.` + (r.tests ? ` Rule tests: ${r.tests.passed}/${r.tests.cases} passed.` : '') + (r.replay ? ` Replay: scenario ${r.replay.scenario}, seed ${r.replay.seed}, ${r.replay.hours} h at ${iso(r.replay.at)}.` : ''), '');
  L.push(`## By tactic`, '', `| tactic | covered | blind | data only | uncovered |`, `| --- | ---: | ---: | ---: | ---: |`);
  for (const [ta, row] of Object.entries(s.byTactic)) L.push(`| ${ta} | ${row.covered} | ${row['covered-but-blind']} | ${row['data-without-detection']} | ${row.uncovered} |`);
  L.push('');
  const shown = r.techniques.filter((t) => opts.allTechniques || t.state !== 'uncovered' || t.detectors.length > 0);
  L.push(`## Techniques${opts.allTechniques ? '' : ' (uncovered ones without any detector omitted)'}`, '', `| technique | state | by | validated | reason |`, `| --- | --- | --- | --- | --- |`);
  const order = (x: CoverageState) => STATES.indexOf(x);
  for (const t of [...shown].sort((a, b) => order(a.state) - order(b.state) || a.id.localeCompare(b.id))) {
    L.push(`| ${t.id} ${inert(t.name, 60)} | ${t.state} | ${t.detectedBy ?? ''} | ${t.state === 'covered' ? (t.validated ? 'yes' : 'no') : ''} | ${inert(t.reason, 600)} |`);
  }
  L.push('');
  if (gaps.length) {
    L.push(`## Top gaps`, '', `| # | technique | state | score | weight | next step |`, `| ---: | --- | --- | ---: | --- | --- |`);
    for (const g of gaps) {
      const w = [g.weight.campaigns.length ? `campaigns ${g.weight.campaigns.join(',')}` : '', g.weight.intel ? `intel ${g.weight.intel}` : '', g.weight.criticality > 1 ? `criticality ${g.weight.criticality}${g.weight.criticalHost ? ` (${inert(g.weight.criticalHost, 60)})` : ''}` : ''].filter(Boolean).join('; ');
      L.push(`| ${g.rank} | ${g.technique} ${inert(g.name, 50)} | ${g.state} | ${g.score} | ${w} | ${g.next.kind}: ${inert(g.next.action, 400)} |`);
    }
    L.push('');
  }
  const t = r.telemetry;
  L.push(`## Telemetry`, '', `${t.scanned.toLocaleString('en-US')} events read${t.truncated ? ' (scan bound reached; unseen needs probed with targeted queries)' : ''}${t.excluded ? `, ${t.excluded.toLocaleString('en-US')} excluded (${t.exclude.map((x) => inert(x)).join('; ')})` : ''}.`, '');
  L.push(`| source | events | hosts | last | stale |`, `| --- | ---: | ---: | --- | --- |`);
  for (const x of t.sources.slice(0, 60)) L.push(`| ${inert([x.format, x.product, x.service, x.category, x.channel, x.eventCode].filter(Boolean).join(' / '), 160)} | ${x.events} | ${x.hosts} | ${iso(x.last)} | ${x.stale ? 'yes' : ''} |`);
  if (t.sources.length > 60) L.push(`| … ${t.sources.length - 60} more | | | | |`);
  L.push('', `| rule telemetry | events | hosts | last | fields never present |`, `| --- | ---: | ---: | --- | --- |`);
  for (const n of t.needs) L.push(`| ${inert(n.label, 200)} | ${n.events} | ${n.hosts} | ${iso(n.lastSeen)} | ${n.events ? inert(Object.entries(n.fields).filter(([, c]) => c === 0).map(([f]) => f).join(', ')) : ''} |`);
  if (t.staleHosts.length) {
    L.push('', `### Hosts whose telemetry stopped (${t.staleHosts.length})`, '', `| host | source | last |`, `| --- | --- | --- |`);
    for (const h of t.staleHosts.slice(0, 50)) L.push(`| ${inert(h.host, 80)} | ${inert(h.family, 80)} | ${iso(h.lastSeen)} |`);
  }
  if (r.unknownTechniques.length) L.push('', `Technique tags not in ATT&CK v${r.attack.version}: ${r.unknownTechniques.map((u) => `${u.id} (${u.detectors.length} rules)`).join(', ')}.`);
  L.push('', `_${r.attack.source}_`, '');
  return L.join('\n');
}
