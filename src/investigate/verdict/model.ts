/**
 * The explainable verdict model. Each rule below reads evidence facts from the ledger and, when it
 * applies, adds one WeightedFactor with its configured weight, a sentence, and the evidence ids
 * and stored event ids it rests on. The score is the plain sum; thresholds make the call; the
 * confidence grows with the distance from the nearest threshold. `wouldChange` lists the factors
 * whose removal, and the absent factors whose presence, would flip the call. Pure function of the
 * ledger and the configuration: same ledger → same verdict.
 */
import type { Incident, IncidentVerdict, VerdictValue, WeightedFactor } from '../../core/incident.js';
import type { EvidenceItem, Ledger } from '../types.js';
import { LEVEL_RANK } from '../steps/util.js';
import type { VerdictConfig, WeightName } from './config.js';
import { globMatch } from './glob.js';

export type ScoredVerdict = IncidentVerdict & { score: number; autoCloseBlocked?: string };

const HIGH_IMPACT = new Set(['TA0040', 'TA0010', 'TA0006']);

type F = Record<string, unknown>;
const facts = (items: EvidenceItem[], kind: string) => items.filter((e) => e.facts.kind === kind);
const cite = (items: EvidenceItem[], maxEvents = 10): string[] => {
  const out: string[] = [];
  for (const e of items) out.push(e.id);
  for (const e of items) for (const id of e.eventIds.slice(0, maxEvents)) if (!out.includes(id)) out.push(id);
  return out.slice(0, 60);
};
const round = (n: number) => Math.round(n * 100) / 100;
const uniqS = (xs: string[]) => [...new Set(xs)].sort();

export function judge(ledger: Ledger, incident: Incident, cfg: VerdictConfig, decidedAt: number): ScoredVerdict {
  const W = cfg.weights;
  const P = cfg.params;
  const ev = ledger.steps.flatMap((s) => s.evidence);
  const factors: WeightedFactor[] = [];
  const add = (factor: WeightName | string, weight: number, detail: string, items: EvidenceItem[]) => {
    if (weight === 0) return;
    factors.push({ factor, weight: round(weight), detail, cites: cite(items) });
  };

  const dets = facts(ev, 'detection');
  const summaryItem = facts(ev, 'detection_summary')[0];
  const S = (summaryItem?.facts ?? {}) as F;
  const maxLevel = String(S.maxLevel ?? 'informational');
  const tactics = (S.tactics as string[] | undefined) ?? [];
  // Behavioural models co-fire on one novelty (rarity and peer both see a first logon): all anomaly
  // detectors together count as one independent detector.
  const ruleDets = dets.filter((d) => d.facts.signalKind !== 'anomaly').length;
  const detectorCount = ruleDets + (dets.some((d) => d.facts.signalKind === 'anomaly') ? 1 : 0);

  // --- severity of the detections themselves
  const top = dets.filter((d) => d.facts.level === maxLevel);
  add('detection_level', W.level[maxLevel as keyof typeof W.level] ?? 0, `highest detection level is ${maxLevel} (${top.map((d) => d.facts.title).slice(0, 3).join('; ')})`, top);
  if (detectorCount > 1) add('multiple_detectors', Math.min(W.extra_detector_cap, W.extra_detector * (detectorCount - 1)), `${detectorCount} independent detectors agree (${ruleDets} rules${ruleDets < dets.length ? ' + behavioural models' : ''})`, dets);
  // progression needs several detections: one rule tagged with two tactics is not a sequence
  if (tactics.length > 1 && detectorCount > 1) add('tactic_progression', Math.min(W.tactic_progression_cap, W.tactic_progression * (tactics.length - 1)), `activity spans ${tactics.length} ATT&CK tactics (${tactics.join(', ')})`, dets);
  const impact = tactics.filter((t) => HIGH_IMPACT.has(t));
  if (impact.length) add('high_impact_tactic', W.high_impact_tactic, `high-impact tactics present: ${impact.join(', ')}`, dets.filter((d) => (d.facts.tactics as string[]).some((t) => HIGH_IMPACT.has(t))));

  // --- intel
  const intel = facts(ev, 'intel');
  if (intel.length) {
    const best = Math.max(...intel.map((i) => Number((i.facts.indicator as F).confidence ?? 50)));
    add('intel_hit', (W.intel_hit * best) / 100, `${intel.length} threat-intelligence match(es), best confidence ${best}: ${intel.map((i) => `${i.facts.value} (${(i.facts.indicator as F).source})`).slice(0, 3).join(', ')}`, intel);
  }
  const intelDet = dets.filter((d) => d.facts.signalKind === 'intel');

  // --- process lineage
  const trees = facts(ev, 'process_tree');
  const office = trees.filter((t) => t.facts.officeParent);
  if (office.length) add('office_spawns_shell', W.office_spawns_shell, `an Office application started a script interpreter (${office.map((t) => t.facts.process).join(', ')})`, office);
  const writableExec = trees.filter((t) => t.facts.userWritable);
  if (writableExec.length) add('user_writable_execution', W.user_writable_execution, `a process in the lineage runs from a user-writable folder (${writableExec.map((t) => `${t.facts.process} on ${t.facts.host}`).slice(0, 3).join(', ')})`, writableExec);

  // --- host activity
  const pers = facts(ev, 'host_persistence').filter((p) => Number(p.facts.userWritable) > 0);
  if (pers.length) add('persistence_user_writable', W.persistence_user_writable, `persistence pointing into user-writable folders on ${pers.map((p) => p.facts.host).join(', ')}`, pers);
  const wfiles = facts(ev, 'host_files').filter((f) => Number(f.facts.writableExecutableCount) > 0);
  if (wfiles.length) add('writable_executables_written', W.writable_executables_written, `executables or scripts written to user-writable folders on ${wfiles.map((f) => `${f.facts.host} (${f.facts.writableExecutableCount})`).join(', ')}`, wfiles);
  const others = facts(ev, 'host_other_signals');
  const othersHigh = others.filter((o) => Number(o.facts.sigmaHighOrAbove) > 0);
  if (othersHigh.length) add('other_detections_high', W.other_detections_high, `other high-severity detections on the same host in the window (${othersHigh.map((o) => o.facts.host).join(', ')})`, othersHigh);
  else if (others.length) add('other_detections', W.other_detections, `${others.reduce((s, o) => s + Number(o.facts.count), 0)} other lower-severity detections on the same hosts in the window`, others);

  // --- prevalence / first-seen
  const prev = facts(ev, 'prevalence');
  const rareExt = prev.filter((p) => ((p.facts.type === 'domain' && Number(p.facts.asDestination ?? 1) > 0) || p.facts.type === 'ip') && p.facts.firstSeenInWindow && Number(p.facts.hosts) <= 1 && Number(p.facts.users) <= 1);
  if (rareExt.length) add('rare_external', W.rare_external, `external ${rareExt.map((p) => `${p.facts.type} ${p.facts.value}`).slice(0, 3).join(', ')} first seen in the window, by one host or account only`, rareExt);
  const newProg = prev.filter((p) => p.facts.type === 'program' && p.facts.firstSeenInWindow && Number(p.facts.hosts) <= 1);
  if (newProg.length) add('new_program', W.new_program, `program ${newProg.map((p) => p.facts.value).slice(0, 3).join(', ')} never seen before in the fleet`, newProg);
  const common = prev.length > 0 && prev.every((p) => !p.facts.firstSeenInWindow && (Number(p.facts.hosts) >= P.fleetCommonHosts || Number(p.facts.users) >= P.fleetCommonUsers));
  if (common) add('common_in_fleet', W.common_in_fleet, `everything involved is common in the fleet and known before the incident: ${prev.map((p) => `${p.facts.value} (${p.facts.hosts} hosts, ${p.facts.users} users)`).slice(0, 4).join(', ')}`, prev);

  // --- spread
  const spread = facts(ev, 'spread').filter((s) => Number(s.facts.otherHostCount) >= 1 && Number(s.facts.otherHostCount) <= P.spreadMaxHosts);
  if (spread.length) add('spread', W.spread, `the same ${spread.map((s) => `${s.facts.what} ${String(s.facts.value).slice(0, 60)} (${s.facts.otherHostCount} other hosts)`).slice(0, 3).join(', ')} appears elsewhere`, spread);

  // --- user
  const usual = facts(ev, 'user_usual').filter((u) => u.facts.enoughHistory);
  const newHost = usual.filter((u) => (u.facts.newHosts as string[]).length > 0);
  if (newHost.length) add('unusual_host_for_user', W.unusual_host_for_user, `first activity of ${newHost.map((u) => `${u.facts.user} on ${(u.facts.newHosts as string[]).join(', ')}`).join('; ')}`, newHost);
  const oddHour = usual.filter((u) => u.facts.unusualHour === true);
  if (oddHour.length) add('unusual_hour', W.unusual_hour, `${oddHour.map((u) => `${u.facts.user} at ${u.facts.hour}:00 UTC (${Math.round(Number(u.facts.hourShare) * 100)}% of their history)`).join('; ')} is unusual`, oddHour);
  const knownHost = usual.filter((u) => (u.facts.newHosts as string[]).length === 0 && (u.facts.knownHosts as string[]).length > 0 && u.facts.unusualHour !== true);
  if (knownHost.length && !newHost.length) add('known_user_host', W.known_user_host, `${knownHost.map((u) => `${u.facts.user} works on ${(u.facts.knownHosts as string[]).join(', ')} regularly, at usual hours`).join('; ')}`, knownHost);

  // --- context
  const assets = facts(ev, 'asset');
  const jewels = assets.filter((a) => a.facts.crownJewel === true);
  if (jewels.length) add('crown_jewel', W.crown_jewel, `crown-jewel asset involved: ${jewels.map((a) => a.facts.host).join(', ')}`, jewels);
  const ids = facts(ev, 'identity');
  const actorUsers = new Set(dets.flatMap((d) => d.facts.users as string[]));
  const humans = ids.filter((i) => actorUsers.size === 0 || actorUsers.has(String(i.facts.user)));
  // remote admin tools run as SYSTEM: the operator is who logged on to the host just before
  const logonItems = facts(ev, 'host_logons').filter((l) => (l.facts.operators as unknown[] | undefined)?.length);
  const operators = logonItems.flatMap((l) => l.facts.operators as { user: string; privileged: boolean; service: boolean }[]);
  const humanActors = humans.length > 0;
  const allPriv = humanActors ? humans.every((i) => i.facts.privileged === true || i.facts.service === true) : operators.length > 0 && operators.every((o) => o.privileged || o.service);
  const privNames = humanActors ? humans.filter((i) => i.facts.privileged === true).map((i) => String(i.facts.user)) : operators.filter((o) => o.privileged).map((o) => o.user);
  const privItems = humanActors ? humans.filter((i) => i.facts.privileged === true) : logonItems;
  if (allPriv && privNames.length) add('privileged_admin', W.privileged_admin, `the acting account is a known administrator (${uniqS(privNames).join(', ')}${humanActors ? '' : ', logged on just before'})`, privItems);
  const svcNames = humanActors ? humans.filter((i) => i.facts.service === true).map((i) => String(i.facts.user)) : operators.filter((o) => o.service).map((o) => o.user);
  if (allPriv && svcNames.length && !privNames.length) add('service_account', W.service_account, `the acting account is a service account (${uniqS(svcNames).join(', ')})`, humanActors ? humans : logonItems);
  const adminDet = dets.filter((d) => cfg.adminTools.some((g) => globMatch(g, String(d.facts.detector)) || globMatch(g, String(d.facts.title ?? ''))) || (d.facts.patterns as string[]).some((p) => cfg.adminTools.some((g) => g.includes('*') && globMatch(g, p))));
  const adminHost = assets.filter((a) => ['scanner', 'backup'].includes(String(a.facts.role)));
  if (adminDet.length && ((allPriv && privNames.length) || adminHost.length)) add('known_admin_tool', W.known_admin_tool, `${adminDet.map((d) => d.facts.title).slice(0, 2).join('; ')} is an administration tool, here used by ${privNames.length ? uniqS(privNames).join(', ') : `the ${adminHost.map((a) => a.facts.role).join('/')} server`}`, [...adminDet, ...privItems, ...adminHost]);
  // every external source address was used by the same account before the window
  const srcIps = prev.filter((p) => p.facts.type === 'ip');
  const actors = new Set([...actorUsers, ...facts(ev, 'user_auth').map((u) => String(u.facts.user))]);
  if (srcIps.length && actors.size && srcIps.every((p) => (p.facts.usersBefore as string[] | undefined)?.some((u) => actors.has(u)))) add('known_source', W.known_source, `the account used ${srcIps.map((p) => p.facts.value).join(', ')} before the incident window`, srcIps);
  // the acting people own every host involved (their own workstation)
  const actorPeople = [...actorUsers].filter((u) => u && u !== '-');
  if (assets.length && actorPeople.length && assets.every((a) => typeof a.facts.owner === 'string' && actorPeople.includes(String(a.facts.owner).toLowerCase()))) {
    add('own_host', W.own_host, `the activity is by ${actorPeople.join(', ')} on ${assets.length > 1 ? 'hosts they own' : 'their own ' + String(assets[0].facts.role ?? 'host')} (${assets.map((a) => a.facts.host).join(', ')})`, [...assets, ...dets.filter((d) => (d.facts.users as string[]).some((u) => actorPeople.includes(u)))]);
  }
  const ipAssets = facts(ev, 'asset_ip');
  const extIps = prev.filter((p) => p.facts.type === 'ip');
  const egress = ipAssets.filter((a) => a.facts.egress === true);
  if (egress.length && extIps.length > 0 && extIps.every((p) => egress.some((a) => a.facts.ip === p.facts.value))) add('own_egress_source', W.own_egress_source, `the external address involved is the organization's own egress (${egress.map((a) => a.facts.ip).join(', ')})`, egress);

  // --- shape of the detections
  if (detectorCount === 1 && LEVEL_RANK[maxLevel] <= LEVEL_RANK.medium && !intel.length && !intelDet.length) add('single_detection', W.single_detection, `a single detector at ${maxLevel} level`, dets);
  if (S.anomalyOnly === true && !intel.length) add('anomaly_only', W.anomaly_only, 'only behavioural anomalies: no rule or threat intelligence corroborates them', dets);
  const hostItems = [...facts(ev, 'host_persistence'), ...facts(ev, 'host_files')];
  // absence of follow-up only counts where the hosts have telemetry in the window
  const withTelemetry = [...hostItems, ...facts(ev, 'host_network'), ...facts(ev, 'host_logons')].some((i) => Number(i.facts.events) > 0);
  if (hostItems.length && withTelemetry && !pers.length && !wfiles.length && !othersHigh.length && !office.length && !writableExec.length) add('no_followup', W.no_followup, 'no follow-up on the hosts: no persistence or executables in user folders, no other high-severity detection', hostItems);

  // --- analysts
  const fb = facts(ev, 'analyst_feedback');
  const fbBenFull = fb.filter((f) => f.facts.verdict === 'benign' && f.facts.match === 'full');
  const fbBenLoose = fb.filter((f) => f.facts.verdict === 'benign' && f.facts.match === 'loose');
  const fbMal = fb.filter((f) => f.facts.verdict !== 'benign');
  if (fbMal.length) add('analyst_malicious_pattern', W.analyst_malicious_pattern, `analysts judged ${fbMal.length} same-shaped incident(s) ${fbMal.map((f) => f.facts.verdict).join('/')}`, fbMal);
  else if (fbBenFull.length) add('analyst_benign_pattern', W.analyst_benign_pattern, `an analyst closed a same-shaped incident as benign (${fbBenFull.map((f) => f.facts.label).join(', ')})`, fbBenFull);
  else if (fbBenLoose.length) add('analyst_benign_similar', W.analyst_benign_similar, `an analyst closed a similar incident (same account and command) as benign`, fbBenLoose);
  for (const p of facts(ev, 'detector_precision')) {
    const prec = Number(p.facts.precision);
    if (prec >= P.highPrecision) add('detector_high_precision', W.detector_high_precision, `detector ${p.facts.detector} has precision ${prec} over ${p.facts.feedback} analyst verdicts`, [p]);
    else if (prec <= P.lowPrecision) add('detector_low_precision', W.detector_low_precision, `detector ${p.facts.detector} has precision ${prec} over ${p.facts.feedback} analyst verdicts`, [p]);
  }

  const score = round(factors.reduce((s, f) => s + f.weight, 0));
  const blockers: string[] = [];
  if (LEVEL_RANK[maxLevel] > LEVEL_RANK[cfg.autoClose.maxLevel]) blockers.push(`a ${maxLevel} detection is never closed automatically`);
  if (tactics.length > cfg.autoClose.maxTactics) blockers.push(`${tactics.length} ATT&CK tactics are never closed automatically`);
  if (intel.length || intelDet.length) blockers.push('a threat-intelligence match is never closed automatically');
  const newSources = prev.filter((p) => p.facts.type === 'ip' && p.facts.role === 'src' && Number(p.facts.eventsBefore) === 0);
  if (newSources.length) blockers.push(`an account acted from an external address never seen before (${newSources.map((p) => p.facts.value).slice(0, 3).join(', ')})`);
  const call = (s: number): VerdictValue => (s >= cfg.thresholds.malicious ? 'malicious' : s <= cfg.thresholds.benign && blockers.length === 0 ? 'benign' : 'suspicious');
  const verdict = call(score);
  const T = cfg.thresholds;
  const dist = verdict === 'malicious' ? score - T.malicious : verdict === 'benign' ? T.benign - score : Math.min(score - T.benign, T.malicious - score);
  const confidence = round(verdict === 'suspicious' ? 0.5 + 0.3 * (1 - Math.exp(-Math.max(0, dist) / P.confidenceScale)) : 0.6 + 0.39 * (1 - Math.exp(-Math.max(0, dist) / P.confidenceScale)));

  // what would change the call
  const wouldChange: string[] = [];
  for (const f of [...factors].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))) {
    const alt = call(score - f.weight);
    if (alt !== verdict) wouldChange.push(`without "${f.detail}" (${f.weight > 0 ? '+' : ''}${f.weight}) the call would be ${alt}`);
  }
  const hypo: [string, number][] = [
    ['a threat-intelligence match on any indicator involved', W.intel_hit * 0.9],
    ['the same activity on another host', W.spread],
    ['a high-severity rule detection on the same host', W.other_detections_high],
    ['an analyst marking a same-shaped incident malicious', W.analyst_malicious_pattern],
    ['an analyst marking a same-shaped incident benign', W.analyst_benign_pattern],
    ['the activity coming from a host new to the account', W.unusual_host_for_user],
    ['persistence pointing into a user-writable folder', W.persistence_user_writable],
  ];
  for (const [what, wgt] of hypo) {
    const alt = call(score + wgt);
    if (alt !== verdict && !factors.some((f) => what.includes(f.factor))) wouldChange.push(`${what} (${wgt > 0 ? '+' : ''}${round(wgt)}) would make it ${alt}`);
  }
  if (verdict === 'suspicious' && score <= T.benign && blockers.length) wouldChange.push(`the score (${score}) is in the benign range but it is not closed: ${blockers.join('; ')}`);

  const pos = factors.filter((f) => f.weight > 0).sort((a, b) => b.weight - a.weight);
  const neg = factors.filter((f) => f.weight < 0).sort((a, b) => a.weight - b.weight);
  const summary =
    verdict === 'benign'
      ? `Benign (score ${score}): ${neg.slice(0, 3).map((f) => f.detail).join('; ')}`
      : verdict === 'malicious'
        ? `Malicious (score ${score}): ${pos.slice(0, 3).map((f) => f.detail).join('; ')}`
        : `Suspicious (score ${score}), needs a person: ${[...pos.slice(0, 2), ...neg.slice(0, 1)].map((f) => f.detail).join('; ')}`;
  return {
    verdict,
    confidence,
    by: 'garrison',
    decidedAt,
    summary,
    factors,
    wouldChange: wouldChange.slice(0, 12),
    score,
    ...(blockers.length ? { autoCloseBlocked: blockers.join('; ') } : {}),
  };
}

/** closeReason for a benign verdict: the counter-evidence, strongest first. */
export function closeReason(v: ScoredVerdict): string {
  const neg = v.factors.filter((f) => f.weight < 0).sort((a, b) => a.weight - b.weight);
  return `benign (score ${v.score}, confidence ${v.confidence}): ` + neg.map((f) => `${f.factor}: ${f.detail}`).join('; ');
}
