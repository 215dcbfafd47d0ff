/**
 * `garrison eval`: the whole pipeline over a seeded simulated organization, scored against the
 * simulator's ground truth.
 *
 *   1. Warm-up: `warmupDays` of background activity (scenario `quiet`) right before the scenario
 *      window, so the behavioural baselines learn what is normal. The baselines' learning period
 *      is set to min(each model's default, learningDays) — reported in the result.
 *   2. The scenario window (`hours`, default 24, starting Monday 2026-11-23 00:00 UTC).
 *   Every record goes through the ingest path the server uses: HEC-shaped raw records → the
 *   normalizer registry (parseRecord) → the bounded pipeline → a fresh SQLite store → the engine
 *   (detection, then correlation / investigation / response when those stages exist).
 *   3. The scorecard (src/sim/scorecard.ts) over the scenario window: signals, incidents,
 *      verdicts and actions, each traced to ground truth through the event ids they cite.
 *
 * Deterministic: the same options give the same scorecard. The engine's clock is the simulated
 * time (the newest event submitted), and each batch is processed before the next is submitted,
 * so batch boundaries do not depend on timing.
 */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baselineConfigSchema } from '../baseline/config.js';
import { MODEL_NAMES } from '../baseline/registry.js';
import { GarrisonError } from '../core/errors.js';
import type { Incident } from '../core/incident.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { Signal } from '../core/signal.js';
import { createPipeline, type PipelineStats } from '../ingest/pipeline.js';
import { parseRecord } from '../normalize/registry.js';
import type { RawRecord } from '../normalize/types.js';
import { SCENARIOS } from '../sim/campaigns.js';
import { SOURCES, type SimRecord, type Truth } from '../sim/record.js';
import { computeScorecard, type Scorecard, type ScoredAction, type ScoredIncident, type ScoredSignal } from '../sim/scorecard.js';
import { DEFAULT_START, Simulation } from '../sim/simulation.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import type { Store } from '../store/port.js';
import { contextFromOrg } from '../correlate/index.js';
import { connectorSet, MemoryConnector } from '../respond/index.js';
import type { EngineConfigInput } from './config.js';
import { createEngine, type EngineStatus } from './engine.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface EvalOptions {
  scenario?: string;
  seed?: number;
  /** Total hosts of the simulated organization (default: the organization file's). */
  hosts?: number;
  /** Days of background activity before the scenario (default 7). */
  warmupDays?: number;
  /** Hours of the scenario window (default 24). */
  hours?: number;
  /** Baseline learning period in days (default: min(7, warmupDays)); each model uses min(its default, this). */
  learningDays?: number;
  /** Engine configuration overrides (switch stages off, Sigma options ...). */
  engine?: EngineConfigInput;
  /** Store directory; default a fresh temporary directory, removed afterwards unless `keep`. */
  dataDir?: string;
  keep?: boolean;
  /** Full-text index of the eval store: 'off' (default: investigation's full-text terms scan) or 'background'. */
  fts?: 'off' | 'background';
  /** Records per submit (default 1000). */
  batchSize?: number;
  onProgress?: (p: { phase: 'warmup' | 'scenario' | 'scoring'; records: number; simTime: number }) => void;
  logger?: Logger;
  /**
   * Diagnostics (bench/correlate/diagnose.ts): called after scoring, before the store closes, with
   * the store, every signal (warm-up included) and the ground truth of the window's signals.
   */
  inspect?: (d: { store: Store; signals: Signal[]; truthBySignal: Map<string, Truth[]> }) => Promise<void> | void;
}

export interface EvalResult {
  garrison: 'eval';
  version: 1;
  scenario: string;
  seed: number;
  campaigns: { id: string; name: string; techniques: string[]; steps: number; events: number; firstTime: number }[];
  organization: { hosts: number; /** Distinct producer host names in the window (hosts plus cloud and sensor names). */ reportingHosts: number };
  warmup: { days: number; start: string; end: string; records: number; signals: number; benignSignalsPerHostPerDay: number };
  window: { hours: number; start: string; end: string; records: number; attackRecords: number };
  baselines: { enabled: boolean; learningDays: number; learningMs: Record<string, number>; note: string };
  stages: string[];
  /** The least number of campaigns this scenario must detect with these stages (CI gate). */
  expectation: { minCampaignsDetected: number; campaignsDetected: number; met: boolean; why: string };
  ingest: Pick<PipelineStats, 'received' | 'stored' | 'duplicates' | 'rejected' | 'rejectedByCode'>;
  engine: Pick<EngineStatus, 'events' | 'batches' | 'signals' | 'incidents' | 'verdicts' | 'errors' | 'lastError' | 'stageSeconds'>;
  scorecard: Scorecard;
  /** Every incident of the window, in short: what it holds and how it was judged. */
  incidents?: { id: string; title: string; severity: string; status: string; verdict?: string; confidence?: number; campaigns: string[]; signals: number; closeReason?: string }[];
  /** Wall-clock figures of this run (not deterministic). */
  timing: { seconds: number; eventsPerSecond: number; peakRssMb: number };
  dataDir?: string;
}

/** Campaigns a scenario must detect, by what runs: the CI gate (`expectation.met`). */
export function expectedMinimum(scenario: string, stages: { sigma: boolean; baselines: boolean }): { min: number; why: string } {
  const campaigns = SCENARIOS[scenario]?.campaigns ?? [];
  // Campaign f is caught by no shipped rule by design (docs/simulation.md): only baselines find it.
  const byRules = campaigns.filter((c) => c !== 'f');
  if (stages.sigma && stages.baselines) return { min: campaigns.length, why: 'every campaign of the scenario (rules catch a-e, only baselines catch f)' };
  if (stages.sigma) return { min: byRules.length, why: 'campaigns with rules (all but f)' };
  if (stages.baselines) return { min: campaigns.includes('f') ? 1 : 0, why: 'baselines alone: at least campaign f' };
  return { min: 0, why: 'no detector enabled' };
}

function toRaw(r: SimRecord, origin: string): RawRecord {
  const s = SOURCES[r.source];
  // The record as the HEC endpoint hands it to the pipeline (see ingest/hec/parse.ts).
  return { data: r.event, origin, input: 'hec', tenant: 'default', receivedAt: r.time, format: s.sourcetype, meta: { hec: true, host: r.host, source: s.source, sourcetype: s.sourcetype, time: r.time } };
}

export async function runEval(opts: EvalOptions = {}): Promise<EvalResult> {
  const t0 = performance.now();
  const scenario = opts.scenario ?? 'default';
  const seed = opts.seed ?? 1;
  const warmupDays = opts.warmupDays ?? 7;
  const hours = opts.hours ?? 24;
  if (!SCENARIOS[scenario]) throw new GarrisonError('SIM_SCENARIO_UNKNOWN', `unknown scenario "${scenario.slice(0, 60)}"; known: ${Object.keys(SCENARIOS).join(', ')}`, { location: { field: 'scenario' } });
  if (!Number.isFinite(warmupDays) || warmupDays < 0 || warmupDays > 28) throw new GarrisonError('SIM_OPTION_INVALID', `--days (warm-up) must be between 0 and 28, got ${opts.warmupDays}`, { location: { field: 'days' } });
  const learningDays = opts.learningDays ?? Math.min(7, warmupDays);
  if (!Number.isFinite(learningDays) || learningDays < 0 || learningDays > 28) throw new GarrisonError('SIM_OPTION_INVALID', `--learning-days must be between 0 and 28, got ${opts.learningDays}`, { location: { field: 'learning-days' } });
  const start = DEFAULT_START;
  const warmStart = start - Math.round(warmupDays * DAY);
  const attackSim = new Simulation({ scenario, seed, hours, start, hosts: opts.hosts });
  const warmSim = warmupDays > 0 ? new Simulation({ scenario: 'quiet', seed, hours: warmupDays * 24, start: warmStart, hosts: opts.hosts }) : undefined;

  // Baselines: each model learns for min(its default, learningDays).
  const userBaselines = (opts.engine?.baselines?.config ?? {}) as Record<string, unknown>;
  const defaults = baselineConfigSchema.parse(userBaselines);
  const learningMs: Record<string, number> = {};
  const models: Record<string, Record<string, unknown>> = { ...((userBaselines.models as Record<string, Record<string, unknown>>) ?? {}) };
  for (const name of MODEL_NAMES) {
    const ms = Math.min(defaults.models[name].learningMs, Math.round(learningDays * DAY));
    learningMs[name] = ms;
    models[name] = { ...(models[name] ?? {}), learningMs: ms };
  }
  const engineConfig: EngineConfigInput = {
    ...opts.engine,
    checkpointMs: 3_600_000,
    baselines: { ...opts.engine?.baselines, config: { ...userBaselines, models } },
  };

  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'garrison-eval-'));
  mkdirSync(dir, { recursive: true });
  const store = openSqliteStore({ file: join(dir, 'garrison.db'), fts: opts.fts ?? 'off', synchronous: 'NORMAL' });
  await store.init();

  // Ground truth travels by the origin of each attack record to the id the normalizer gives it.
  const truthByOrigin = new Map<string, Truth>();
  const truthByEvent = new Map<string, Truth>();
  const parse = (rec: RawRecord) => {
    const r = parseRecord(rec);
    if (r.ok) {
      const t = truthByOrigin.get(rec.origin);
      if (t) truthByEvent.set(r.event.id, t);
    }
    return r;
  };
  const pipeline = createPipeline({ store, parse });
  let simNow = warmStart;
  const signals = new Map<string, Signal>();
  // Simulated time at which an incident / a verdict became possible: the event time of the newest
  // signal it held then (the engine's clock only advances per batch, which would blur times).
  const incidentTime = new Map<string, number>();
  const verdictTime = new Map<string, number>();
  const decisionAt = new Map<string, number>();
  const evidenceTime = (inc: Incident): number => (typeof inc.lastSeen === 'number' && Number.isFinite(inc.lastSeen) ? Math.min(inc.lastSeen, simNow) : simNow);
  const engine = createEngine({
    store,
    config: engineConfig,
    logger: opts.logger ?? silentLogger(),
    now: () => simNow,
    // The simulated organization is the asset inventory and identity directory; containment runs
    // against an in-memory environment (no real hosts to isolate), verified like a real connector.
    context: contextFromOrg(attackSim.org),
    connectors: connectorSet([new MemoryConnector('simulated')]),
    hooks: {
      signals: (s) => {
        for (const x of s) signals.set(x.id, x);
      },
      incident: (c) => {
        // When correlation says at which signal the incident became one (detectedAt), that is the
        // time: later-timed signals handled in the same batch must not delay it.
        const at = typeof c.incident.detectedAt === 'number' && Number.isFinite(c.incident.detectedAt) ? Math.min(c.incident.detectedAt, evidenceTime(c.incident)) : evidenceTime(c.incident);
        if (!incidentTime.has(c.incident.id)) incidentTime.set(c.incident.id, at);
      },
      verdict: (inc) => {
        const t = evidenceTime(inc);
        if (!verdictTime.has(inc.id)) verdictTime.set(inc.id, t);
        // The responder stamps its actions with the engine clock (simNow): this maps them back.
        const k = `${inc.id}|${simNow}`;
        decisionAt.set(k, Math.min(decisionAt.get(k) ?? Infinity, t));
      },
    },
  });
  let result: EvalResult | undefined;
  try {
    await engine.start();
    engine.attach(pipeline);
    const batchSize = opts.batchSize ?? 1000;
    const hostsSeen = new Set<string>();
    const feed = async (sim: Simulation, phase: 'warmup' | 'scenario'): Promise<{ records: number; attack: number }> => {
      let batch: RawRecord[] = [];
      let n = 0;
      let attack = 0;
      const flush = async () => {
        if (!batch.length) return;
        const b = batch;
        batch = [];
        await pipeline.submit(b);
        await engine.drain();
        opts.onProgress?.({ phase, records: n, simTime: simNow });
      };
      for (const r of sim.records()) {
        const origin = `eval:${seed}:${phase}:${r.seq}`;
        if (r.truth) {
          truthByOrigin.set(origin, r.truth);
          attack++;
        }
        if (phase === 'scenario' && r.host) hostsSeen.add(r.host.toLowerCase());
        if (r.time > simNow) simNow = r.time;
        batch.push(toRaw(r, origin));
        n++;
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      return { records: n, attack };
    };
    const warm = warmSim ? await feed(warmSim, 'warmup') : { records: 0, attack: 0 };
    const warmSignals = signals.size;
    const win = await feed(attackSim, 'scenario');
    simNow = Math.max(simNow, attackSim.end);
    await pipeline.close();
    await engine.drain();
    await engine.finish();
    await engine.stop({ drainMs: 0 });
    opts.onProgress?.({ phase: 'scoring', records: warm.records + win.records, simTime: simNow });
    const st = engine.status();

    // ---- scoring (the scenario window; warm-up figures are reported apart)
    const truthsOf = (eventIds: readonly string[]): Truth[] => {
      const out: Truth[] = [];
      const seen = new Set<string>();
      for (const id of eventIds) {
        const t = truthByEvent.get(id);
        if (t && !seen.has(`${t.campaign}:${t.step}:${t.technique}`)) {
          seen.add(`${t.campaign}:${t.step}:${t.technique}`);
          out.push(t);
        }
      }
      return out;
    };
    const all = [...signals.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
    const inWindow = all.filter((s) => s.time >= start);
    const warmBenign = all.filter((s) => s.time < start && truthsOf(s.eventIds).length === 0).length;
    const scored: ScoredSignal[] = inWindow.map((s) => ({ id: s.id, time: s.time, rule: s.detector, level: s.level, kind: s.kind, truths: truthsOf(s.eventIds) }));
    const truthBySignal = new Map(scored.map((s) => [s.id!, s.truths]));

    const hasCorrelation = st.stages.includes('correlation');
    let incidents: ScoredIncident[] | undefined;
    let actions: ScoredAction[] | undefined;
    const incidentCampaign = new Map<string, string | undefined>();
    const incidentList: NonNullable<EvalResult['incidents']> = [];
    if (hasCorrelation) {
      const recs = await store.listRecords<Incident>('incidents', { limit: 100_000 });
      incidents = [];
      for (const r of recs) {
        const inc = r.doc;
        if (!inc || inc.mergedInto) continue;
        if (typeof inc.lastSeen === 'number' && inc.lastSeen < start) continue;
        const ids = Array.isArray(inc.signalIds) ? inc.signalIds : [];
        const truths: Truth[] = [];
        const counts = new Map<string, number>();
        for (const id of ids) {
          for (const t of truthBySignal.get(id) ?? truthsOf(signals.get(id)?.eventIds ?? [])) {
            truths.push(t);
            counts.set(t.campaign, (counts.get(t.campaign) ?? 0) + 1);
          }
        }
        incidentCampaign.set(inc.id, [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0]);
        incidentList.push({
          id: inc.id,
          title: String(inc.title ?? '').slice(0, 200),
          severity: inc.severity,
          status: inc.status,
          verdict: inc.verdict?.verdict,
          confidence: inc.verdict?.confidence,
          campaigns: [...counts.keys()].sort(),
          signals: ids.length,
          closeReason: inc.closeReason,
        });
        const times = [inc.id, ...(inc.mergedFrom ?? [])].map((id) => incidentTime.get(id)).filter((t): t is number => t !== undefined);
        const verdict = inc.verdict?.verdict;
        incidents.push({
          id: inc.id,
          time: times.length ? Math.min(...times) : (inc.firstSeen ?? inc.createdAt),
          truths,
          signalIds: ids,
          severity: inc.severity,
          verdict,
          closeReason: inc.closeReason,
          autoClosedBenign: inc.status === 'closed' && verdict === 'benign' && (inc.verdict?.by ?? 'garrison') === 'garrison' && !inc.analystVerdict,
          reachedPerson: inc.status === 'needs_review' || verdict === 'suspicious',
        });
      }
      if (st.stages.includes('response')) {
        const acts = await store.listRecords<Record<string, unknown>>('actions', { limit: 100_000 });
        actions = acts.map((a) => {
          const doc = a.doc ?? {};
          const incidentId = a.ref || (typeof doc.incidentId === 'string' ? doc.incidentId : '');
          const decided = decisionAt.get(`${incidentId}|${a.createdAt}`);
          const inRange = a.createdAt >= warmStart && a.createdAt <= attackSim.end + DAY;
          return {
            campaign: incidentCampaign.get(incidentId),
            kind: String(doc.kind ?? doc.action ?? doc.type ?? 'action'),
            state: a.status || (typeof doc.state === 'string' ? doc.state : undefined),
            time: decided ?? (inRange ? a.createdAt : verdictTime.get(incidentId)),
          };
        });
      }
    }
    const days = hours / 24;
    const scorecard = computeScorecard({
      campaigns: attackSim.campaigns,
      events: win.records,
      attackEvents: win.attack,
      signals: scored,
      incidents,
      actions,
      // Per-host rates use the organization's hosts (reporting names also include cloud and sensor producers).
      hosts: attackSim.org.hosts.length,
      days,
    });
    if (opts.inspect) await opts.inspect({ store, signals: all, truthBySignal });
    const cfg = engine.config;
    const exp = expectedMinimum(scenario, { sigma: cfg.sigma.enabled, baselines: cfg.baselines.enabled });
    const ps = pipeline.stats();
    const secs = (performance.now() - t0) / 1000;
    result = {
      garrison: 'eval',
      version: 1,
      scenario,
      seed,
      campaigns: attackSim.campaigns.map((c) => ({ id: c.id, name: c.name, techniques: c.techniques, steps: c.steps.length, events: c.events, firstTime: c.firstTime })),
      organization: { hosts: attackSim.org.hosts.length, reportingHosts: hostsSeen.size },
      warmup: {
        days: warmupDays,
        start: new Date(warmStart).toISOString(),
        end: new Date(start).toISOString(),
        records: warm.records,
        signals: warmSignals,
        benignSignalsPerHostPerDay: warmupDays > 0 ? Math.round((warmBenign / attackSim.org.hosts.length / warmupDays) * 1000) / 1000 : 0,
      },
      window: { hours, start: new Date(start).toISOString(), end: new Date(attackSim.end).toISOString(), records: win.records, attackRecords: win.attack },
      baselines: {
        enabled: cfg.baselines.enabled,
        learningDays,
        learningMs,
        note:
          learningDays >= 7
            ? `baselines used their default learning periods (up to 7 days), covered by ${warmupDays} day(s) of warm-up`
            : `baselines' learning period shortened to ${learningDays} day(s) (default 7) to fit ${warmupDays} day(s) of warm-up: expect more anomaly false positives than in production`,
      },
      stages: st.stages,
      expectation: { minCampaignsDetected: exp.min, campaignsDetected: scorecard.campaignsDetected, met: scorecard.campaignsDetected >= exp.min, why: exp.why },
      ingest: { received: ps.received, stored: ps.stored, duplicates: ps.duplicates, rejected: ps.rejected, rejectedByCode: ps.rejectedByCode },
      engine: { events: st.events, batches: st.batches, signals: st.signals, incidents: st.incidents, verdicts: st.verdicts, errors: st.errors, lastError: st.lastError, stageSeconds: roundAll(st.stageSeconds) },
      scorecard,
      ...(hasCorrelation ? { incidents: incidentList.sort((a, b) => cmp(a.campaigns[0] ?? '~', b.campaigns[0] ?? '~') || cmp(a.id, b.id)) } : {}),
      timing: { seconds: Math.round(secs * 10) / 10, eventsPerSecond: Math.round((warm.records + win.records) / Math.max(secs, 0.001)), peakRssMb: Math.round(process.memoryUsage().rss / 1048576) },
      ...(opts.keep || opts.dataDir ? { dataDir: dir } : {}),
    };
    return result;
  } finally {
    await engine.stop({ drainMs: 0 }).catch(() => undefined);
    await pipeline.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    if (!opts.keep && !opts.dataDir) rmSync(dir, { recursive: true, force: true });
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function roundAll(o: Partial<Record<string, number>>): Partial<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) out[k] = Math.round((v ?? 0) * 1000) / 1000;
  return out as Partial<Record<string, number>>;
}

/** The text report: what ran, then the scorecard. */
export function formatEval(r: EvalResult, formatScorecard: (c: Scorecard) => string): string {
  const out: string[] = [];
  out.push(`garrison eval: scenario "${r.scenario}", seed ${r.seed}, ${r.organization.hosts} hosts (${r.organization.reportingHosts} reporting)`);
  out.push(`  warm-up: ${r.warmup.days} day(s) of background ${r.warmup.start} .. ${r.warmup.end}: ${r.warmup.records.toLocaleString('en')} records, ${r.warmup.signals} signals (${r.warmup.benignSignalsPerHostPerDay} benign per host per day)`);
  out.push(`  window:  ${r.window.hours} h ${r.window.start} .. ${r.window.end}: ${r.window.records.toLocaleString('en')} records, ${r.window.attackRecords} attack records`);
  out.push(`  baselines: ${r.baselines.enabled ? r.baselines.note : 'disabled'}${r.baselines.enabled ? ` (learning: ${Object.entries(r.baselines.learningMs).map(([m, ms]) => `${m} ${fmtDays(ms)}`).join(', ')})` : ''}`);
  out.push(`  stages: ${r.stages.join(' → ') || '(none)'}`);
  out.push(`  ingest: ${r.ingest.stored.toLocaleString('en')} events stored, ${r.ingest.rejected} rejected${r.ingest.rejected ? ' ' + JSON.stringify(r.ingest.rejectedByCode) : ''}; engine errors: ${Object.keys(r.engine.errors).length ? JSON.stringify(r.engine.errors) : 'none'}`);
  out.push('');
  out.push(formatScorecard(r.scorecard));
  out.push('');
  out.push(`expectation: at least ${r.expectation.minCampaignsDetected} campaign(s) detected [${r.expectation.why}]: ${r.expectation.met ? 'met' : 'NOT MET'}`);
  out.push(`time: ${r.timing.seconds} s (${r.timing.eventsPerSecond.toLocaleString('en')} events/s end to end, RSS ${r.timing.peakRssMb} MB)`);
  return out.join('\n');
}

function fmtDays(ms: number): string {
  if (ms === 0) return '0';
  return ms % DAY === 0 ? `${ms / DAY}d` : `${Math.round((ms / HOUR) * 10) / 10}h`;
}
