/**
 * The story of an incident, built from its signals: ATT&CK stages in time order, entities with
 * their context, score and severity with the factors behind them, and a template-generated title
 * and summary. Pure and deterministic: the same signals give the same story.
 */
import type { IncidentEntity, IncidentStage, WeightedFactor } from '../core/incident.js';
import type { Level } from '../core/signal.js';
import { LEVELS } from '../core/signal.js';
import type { ContextIndex } from './context.js';
import type { SigKey } from './keys.js';

/** What correlation keeps of each signal (compact). */
export interface SigRec {
  id: string;
  detector: string;
  kind: string;
  title: string;
  level: Level;
  score: number;
  time: number;
  tactics: string[];
  techniques: string[];
  /** Up to 5 evidence event ids (cited by scoring factors). */
  eventIds: string[];
  keys: SigKey[];
}

/** Enterprise tactics in kill-chain order. */
export const TACTICS: readonly [id: string, name: string][] = [
  ['TA0043', 'Reconnaissance'],
  ['TA0042', 'Resource Development'],
  ['TA0001', 'Initial Access'],
  ['TA0002', 'Execution'],
  ['TA0003', 'Persistence'],
  ['TA0004', 'Privilege Escalation'],
  ['TA0005', 'Defense Evasion'],
  ['TA0006', 'Credential Access'],
  ['TA0007', 'Discovery'],
  ['TA0008', 'Lateral Movement'],
  ['TA0009', 'Collection'],
  ['TA0011', 'Command and Control'],
  ['TA0010', 'Exfiltration'],
  ['TA0040', 'Impact'],
];
const RANK = new Map(TACTICS.map(([id], i) => [id, i]));
const NAME = new Map(TACTICS);
export function tacticName(id: string): string {
  return NAME.get(id) ?? (id === 'unknown' ? 'Unclassified' : id);
}
export function levelRank(l: string): number {
  const i = LEVELS.indexOf(l as Level);
  return i < 0 ? 0 : i;
}
export function levelFromScore(score: number): Level {
  if (score >= 85) return 'critical';
  if (score >= 65) return 'high';
  if (score >= 40) return 'medium';
  if (score >= 20) return 'low';
  return 'informational';
}

const CRIT_BONUS: Record<string, number> = { low: 0, medium: 3, high: 8, critical: 15 };

export interface Story {
  title: string;
  summary: string;
  severity: Level;
  score: number;
  confidence: number;
  firstSeen: number;
  lastSeen: number;
  attack: { tactics: string[]; techniques: string[] };
  stages: IncidentStage[];
  entities: IncidentEntity[];
  scoring: WeightedFactor[];
}

const byTime = (a: SigRec, b: SigRec): number => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Longest run of tactics in kill-chain order over time (first appearance of each tactic). Each
 * step of the run comes from a different signal: one technique mapped to several tactics (Valid
 * Accounts is initial access, persistence, privilege escalation and defense evasion at once) is
 * one observation, not a progression.
 */
export function tacticProgression(sigs: readonly SigRec[]): string[] {
  // Per tactic its first appearance, and its first appearance in another signal (a tactic first
  // seen as one of several of a multi-tactic technique can still be a step of its own later).
  const obs = new Map<string, { t: string; time: number; sig: string }[]>();
  for (const s of [...sigs].sort(byTime)) {
    for (const t of s.tactics) {
      if (!RANK.has(t)) continue;
      const o = obs.get(t);
      if (!o) obs.set(t, [{ t, time: s.time, sig: s.id }]);
      else if (o.length === 1 && o[0].sig !== s.id) o.push({ t, time: s.time, sig: s.id });
    }
  }
  const seq = [...obs.values()].flat().sort((a, b) => a.time - b.time || RANK.get(a.t)! - RANK.get(b.t)!);
  // Longest run increasing by rank (O(n²), n ≤ 28), consecutive steps from distinct signals.
  const best: { t: string; time: number; sig: string }[][] = [];
  let top: { t: string; time: number; sig: string }[] = [];
  seq.forEach((x, i) => {
    let chain = [x];
    for (let j = 0; j < i; j++) {
      const prev = best[j];
      if (RANK.get(seq[j].t)! < RANK.get(x.t)! && seq[j].sig !== x.sig && prev.length + 1 > chain.length) chain = [...prev, x];
    }
    best.push(chain);
    if (chain.length > top.length) top = chain;
  });
  return top.map((x) => x.t);
}

export function buildStory(sigsIn: readonly SigRec[], ctx: ContextIndex, maxEntities: number): Story {
  const sigs = [...sigsIn].sort(byTime);
  const firstSeen = sigs.length ? sigs[0].time : 0;
  const lastSeen = sigs.length ? sigs[sigs.length - 1].time : 0;
  // Entities.
  const ents = new Map<string, IncidentEntity>();
  for (const s of sigs) {
    for (const k of s.keys) {
      if (!k.entity) continue;
      const id = `${k.entity.kind}:${k.entity.value}`;
      let en = ents.get(id);
      if (!en) {
        if (ents.size >= maxEntities) continue;
        en = { kind: k.entity.kind, value: k.entity.value, firstSeen: s.time, lastSeen: s.time, signalIds: [] };
        if (k.entity.display && k.entity.display !== k.entity.value) en.display = k.entity.display;
        if (k.entity.role) en.role = k.entity.role;
        if (en.kind === 'host') {
          const a = ctx.host(en.value);
          if (a) en.context = ctx.hostContext(a);
        } else if (en.kind === 'user') {
          const u = ctx.user(en.value);
          if (u) en.context = ctx.userContext(u);
        }
        ents.set(id, en);
      } else if (k.entity.role === 'source' && en.role !== 'source' && en.role !== 'affected') en.role = 'source';
      else if (k.entity.role === 'affected' && en.role !== 'affected') en.role = 'affected';
      en.lastSeen = Math.max(en.lastSeen, s.time);
      en.firstSeen = Math.min(en.firstSeen, s.time);
      if (en.signalIds.length < 100 && en.signalIds[en.signalIds.length - 1] !== s.id) en.signalIds.push(s.id);
    }
  }
  const kindOrder = ['host', 'user', 'ip', 'domain', 'url', 'cloud_identity', 'process', 'file', 'hash', 'registry'];
  const entities = [...ents.values()].sort((a, b) => kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || a.firstSeen - b.firstSeen || (a.value < b.value ? -1 : 1));
  const hostsOf = (ss: readonly SigRec[]): string[] => [...new Set(ss.flatMap((s) => s.keys.filter((k) => k.entity?.kind === 'host').map((k) => k.entity!.display ?? k.entity!.value)))];
  const usersOf = (ss: readonly SigRec[]): string[] => [...new Set(ss.flatMap((s) => s.keys.filter((k) => k.entity?.kind === 'user' && k.entity.role !== 'target').map((k) => k.entity!.value)))];
  // Stages, one per tactic, ordered by first time then kill-chain rank.
  const st = new Map<string, SigRec[]>();
  for (const s of sigs) for (const t of s.tactics.length ? s.tactics : ['unknown']) (st.get(t) ?? st.set(t, []).get(t)!).push(s);
  const stages: IncidentStage[] = [...st.entries()]
    .map(([tactic, ss]) => {
      const techniques = [...new Set(ss.flatMap((s) => s.techniques))].sort();
      const titles = [...new Set(ss.map((s) => s.title))];
      const hosts = hostsOf(ss);
      const users = usersOf(ss);
      const summary = `${titles.slice(0, 2).join('; ')}${titles.length > 2 ? ` (+${titles.length - 2} more)` : ''}${hosts.length ? ` on ${hosts.slice(0, 3).join(', ')}` : ''}${users.length ? ` by ${users.slice(0, 2).join(', ')}` : ''} (${ss.length} signal${ss.length === 1 ? '' : 's'})`;
      return { tactic, tacticName: tacticName(tactic), techniques, first: ss[0].time, last: ss[ss.length - 1].time, signalIds: ss.map((s) => s.id), hosts, users, summary };
    })
    .sort((a, b) => a.first - b.first || (RANK.get(a.tactic) ?? 99) - (RANK.get(b.tactic) ?? 99));
  const tactics = [...st.keys()].filter((t) => t !== 'unknown').sort((a, b) => (RANK.get(a) ?? 99) - (RANK.get(b) ?? 99) || (a < b ? -1 : 1));
  const techniques = [...new Set(sigs.flatMap((s) => s.techniques))].sort();

  // Scoring.
  const scoring: WeightedFactor[] = [];
  const top = sigs.reduce<SigRec | undefined>((m, s) => (!m || s.score > m.score || (s.score === m.score && levelRank(s.level) > levelRank(m.level)) ? s : m), undefined);
  const base = top ? Math.round(Math.min(100, Math.max(0, top.score)) * 0.75) : 0;
  if (top) scoring.push({ factor: 'strongest_signal', weight: base, detail: `strongest signal: ${top.title} (${top.level}, score ${top.score})`, cites: top.eventIds });
  const detectors = new Set(sigs.map((s) => s.detector));
  const breadth = Math.min(15, 5 * (detectors.size - 1));
  if (breadth > 0) scoring.push({ factor: 'corroboration', weight: breadth, detail: `${detectors.size} distinct detectors agree` });
  const prog = tacticProgression(sigs);
  const progression = Math.min(32, 8 * (prog.length - 1));
  if (progression > 0) scoring.push({ factor: 'tactic_progression', weight: progression, detail: `kill-chain progression: ${prog.map(tacticName).join(' → ')}` });
  let crit = 0;
  let critDetail = '';
  let jewel: string | undefined;
  for (const en of entities) {
    if (en.kind !== 'host') continue;
    const a = ctx.host(en.value);
    if (!a || ctx.isHub(a)) continue;
    if (CRIT_BONUS[a.criticality] > crit) {
      crit = CRIT_BONUS[a.criticality];
      critDetail = `${a.name} is a ${a.criticality}-criticality ${a.role.replace(/_/g, ' ')}${a.owner ? ` owned by ${a.owner}` : ''}`;
    }
    if (a.crownJewel && !jewel) jewel = a.name;
  }
  if (crit > 0) scoring.push({ factor: 'asset_criticality', weight: crit, detail: critDetail });
  if (jewel) scoring.push({ factor: 'crown_jewel', weight: 10, detail: `${jewel} is a crown jewel` });
  const priv = entities.find((en) => en.kind === 'user' && ctx.user(en.value)?.privileged);
  if (priv) scoring.push({ factor: 'privileged_account', weight: 5, detail: `privileged account ${priv.display ?? priv.value} involved` });
  const hostCount = entities.filter((en) => en.kind === 'host' && (en.role === 'affected' || en.role === 'source') && !(ctx.host(en.value) && ctx.isHub(ctx.host(en.value)!))).length;
  if (hostCount > 1) scoring.push({ factor: 'spread', weight: Math.min(10, 4 * (hostCount - 1)), detail: `${hostCount} hosts involved` });
  const onlyLow = sigs.every((s) => levelRank(s.level) <= levelRank('low'));
  if (onlyLow && sigs.length) scoring.push({ factor: 'low_level_only', weight: -10, detail: 'only informational/low signals' });
  const score = Math.max(0, Math.min(100, Math.round(scoring.reduce((a, f) => a + f.weight, 0))));
  // Severity: from the score, never below the strongest signal when it is corroborated.
  let severity = levelFromScore(score);
  if (top && detectors.size >= 2 && levelRank(top.level) > levelRank(severity)) severity = top.level;
  // Confidence that the signals belong together and are real.
  const kinds = new Set(sigs.map((s) => s.kind));
  const confidence = Math.min(0.99, Math.round((0.4 + 0.12 * Math.min(4, detectors.size - 1) + 0.08 * Math.min(3, prog.length - 1) + (kinds.size > 1 ? 0.05 : 0) + (top && levelRank(top.level) >= levelRank('high') ? 0.1 : 0)) * 100) / 100);

  // Title and summary (templates).
  const hosts = entities.filter((en) => en.kind === 'host' && en.role !== 'destination').map((en) => en.display ?? en.value);
  const users = entities.filter((en) => en.kind === 'user' && en.role !== 'target').map((en) => en.display ?? en.value);
  const ips = entities.filter((en) => en.kind === 'ip').map((en) => en.value);
  const where = hosts.length ? hosts.slice(0, 2).join(', ') + (hosts.length > 2 ? ` +${hosts.length - 2}` : '') : users.length ? users.slice(0, 2).join(', ') : ips.length ? `from ${ips[0]}` : 'unattributed activity';
  const what = prog.length >= 2 ? `${tacticName(prog[0])} → ${tacticName(prog[prog.length - 1])}` : (top?.title ?? 'Correlated signals');
  const title = `${what} ${hosts.length || users.length ? 'on ' : ''}${where}`.slice(0, 200);
  const span = lastSeen - firstSeen;
  const dur = span < 60_000 ? `${Math.round(span / 1000)} s` : span < 3_600_000 ? `${Math.round(span / 60_000)} min` : `${(span / 3_600_000).toFixed(1)} h`;
  const parts = [
    `${sigs.length} signal${sigs.length === 1 ? '' : 's'} from ${detectors.size} detector${detectors.size === 1 ? '' : 's'} over ${dur} (${new Date(firstSeen).toISOString()} to ${new Date(lastSeen).toISOString()})`,
    `involving ${hosts.length} host${hosts.length === 1 ? '' : 's'}${hosts.length ? ` (${hosts.slice(0, 4).join(', ')})` : ''} and ${users.length} account${users.length === 1 ? '' : 's'}${users.length ? ` (${users.slice(0, 4).join(', ')})` : ''}.`,
  ];
  const story = stages.filter((s) => s.tactic !== 'unknown').map((s) => s.tacticName);
  if (story.length) parts.push(`Stages: ${story.join(' → ')}.`);
  if (top) parts.push(`Strongest: ${top.title} (${top.level}).`);
  if (critDetail) parts.push(`${critDetail}${jewel ? ' (crown jewel)' : ''}.`);
  const summary = parts.join(' ');
  return { title, summary, severity, score, confidence, firstSeen, lastSeen, attack: { tactics, techniques }, stages, entities, scoring };
}
