/**
 * Detector status for the console's Operations page (GET /api/v1/detectors/status): the Sigma rules
 * loaded and rejected (with every problem, file:line), the baseline models with their learning
 * state, and the intel feeds loaded.
 *
 * Where the figures come from:
 *  - the running engine, when the engine area exposes it (`liveEngine(store)` exported by
 *    src/app/service.ts; looked up at run time so this works before and after it exists);
 *  - otherwise: Sigma rules are loaded from the same configuration the engine starts with
 *    (`engine.sigma`: built-in pack + rulePaths + rule config), once per server; the baseline state
 *    is the engine's last checkpoint in the store (`baseline/state/v1`, saved every
 *    `engine.checkpointMs`, restored through src/baseline persist.loadFromStore), re-read at most
 *    every 10 s.
 * Learning is measured in event time, as the models measure it: a model learns from the first event
 * it sees until that time + its `learningMs`, compared with the newest event time it has seen.
 */
import * as appService from '../../app/service.js';
import type { EngineStatus } from '../../app/engine.js';
import { POSITION_KEY } from '../../app/engine.js';
import { MODELS, MODEL_NAMES, type ModelName } from '../../baseline/registry.js';
import { loadFromStore, STATE_KEY } from '../../baseline/persist.js';
import { BaselineStage } from '../../baseline/stage.js';
import { toGarrisonError, type GarrisonError } from '../../core/errors.js';
import { attackFromTags } from '../../detect/attack/index.js';
import { SigmaStage } from '../../detect/engine.js';
import { listFeeds } from '../../intel/feeds.js';
import type { Store } from '../../store/port.js';
import { perServer, type ServerContext } from './context.js';

export type LearningState = 'learning' | 'ready' | 'not-started' | 'disabled';

export interface DetectorProblem {
  code: string;
  message: string;
  file?: string;
  line?: number;
}

export interface DetectorStatus {
  generatedAt: number;
  engine: {
    /** `engine.enabled` in the configuration. */
    enabled: boolean;
    /** The engine service runs in this server. */
    running: boolean;
    ready: boolean;
    /** Where the runtime figures below come from. */
    source: 'engine' | 'store';
    /** The engine's last checkpoint in the store (processed position, newest event time, when). */
    checkpoint?: { position: number; watermark: number; at: number };
    /** Counters of the running engine (only when source is 'engine'). */
    status?: Pick<EngineStatus, 'mode' | 'started' | 'position' | 'head' | 'backlog' | 'events' | 'checkpoints' | 'watermark' | 'stages' | 'errors' | 'lastError'>;
  };
  sigma: {
    enabled: boolean;
    source: 'engine' | 'files';
    builtin: boolean;
    paths: string[];
    files: number;
    /** Rules compiled and matching. */
    rules: number;
    correlations: number;
    filters: number;
    /** Distinct rule documents (file:line) with a problem: not loaded, or loaded without the part named. */
    rejected: number;
    problems: DetectorProblem[];
    /** Problems in all (the list is cut at 500). */
    problemCount: number;
    perRule: { id: string; title: string; level: string; status?: string; file: string; line: number; techniques: string[] }[];
    /** The rules could not be loaded at all (an unreadable configuration). */
    error?: DetectorProblem;
  };
  baselines: {
    enabled: boolean;
    source: 'engine' | 'store' | 'none';
    /** Newest event time the models have seen (ms); learning is measured against it. */
    watermark?: number;
    feedback: number;
    models: {
      name: string;
      description: string;
      enabled: boolean;
      learningMs: number;
      state: LearningState;
      /** The earliest end of learning among tenants still learning, else the latest end. */
      learningUntil?: number;
      entities: number;
      tenants: { tenant: string; startedAt?: number; learningUntil?: number; state: LearningState }[];
    }[];
    /** The saved state could not be read (the code and message; the models are then shown without state). */
    error?: DetectorProblem;
  };
  intel: {
    enabled: boolean;
    feeds: { id: string; source: string; format: string; indicators: number; problems: number; skipped: number; origin: string; updatedAt: number }[];
    indicators: number;
  };
}

/** What this module needs of a running engine (src/app/engine.ts Engine). */
interface LiveEngine {
  status(): EngineStatus;
  readonly sigma?: SigmaStage;
  readonly baselines?: BaselineStage;
}

/** The engine running in this process over `store` (src/app/service.ts), if any. */
function liveEngineOf(store: Store): LiveEngine | undefined {
  return appService.liveEngine(store);
}

const MAX_PROBLEMS = 500;
const MAX_RULES = 5000;
const BASELINE_TTL_MS = 10_000;

const problemOf = (e: GarrisonError): DetectorProblem => ({ code: e.code, message: e.message, file: e.location?.file, line: e.location?.line });

function sigmaStatus(stage: SigmaStage, source: 'engine' | 'files', cfg: ServerContext['config']['engine']['sigma']): DetectorStatus['sigma'] {
  const where = new Set<string>();
  for (const p of stage.problems) where.add(`${p.location?.file ?? '?'}:${p.location?.line ?? '?'}`);
  return {
    enabled: true,
    source,
    builtin: cfg.builtin,
    paths: [...cfg.rulePaths],
    files: stage.loaded.files,
    rules: stage.matcher.rules.length,
    correlations: stage.loaded.correlations.length,
    filters: stage.loaded.filters.length,
    rejected: where.size,
    problems: stage.problems.slice(0, MAX_PROBLEMS).map(problemOf),
    problemCount: stage.problems.length,
    perRule: stage.matcher.rules.slice(0, MAX_RULES).map((r) => ({ id: r.id, title: r.title, level: r.level, status: r.status, file: r.source.file, line: r.source.line, techniques: attackFromTags(r.tags).techniques })),
  };
}

function learning(stage: BaselineStage, name: ModelName, startedAt: number | undefined, watermark: number): { state: LearningState; until?: number } {
  if (startedAt === undefined) return { state: 'not-started' };
  const until = startedAt + stage.config.models[name].learningMs;
  return { state: watermark >= until ? 'ready' : 'learning', until };
}

function baselineModels(stage: BaselineStage | undefined, cfg: ServerContext['config']['engine']['baselines']): Pick<DetectorStatus['baselines'], 'models' | 'watermark' | 'feedback'> {
  const snap = stage?.snapshot();
  const counts = stage?.entityCounts() ?? {};
  const watermark = snap?.watermark ?? 0;
  const models = MODEL_NAMES.map((name) => {
    const mcfg = (stage?.config ?? cfg.config).models[name];
    const enabled = cfg.enabled && mcfg.enabled;
    const tenants: DetectorStatus['baselines']['models'][number]['tenants'] = [];
    if (enabled && stage && snap)
      for (const [tenant, t] of Object.entries(snap.tenants)) {
        const m = t.models[name];
        if (!m) continue;
        const l = learning(stage, name, m.startedAt, watermark);
        tenants.push({ tenant, startedAt: m.startedAt, learningUntil: l.until, state: l.state });
      }
    const learningT = tenants.filter((t) => t.state === 'learning');
    const ready = tenants.filter((t) => t.state === 'ready');
    const state: LearningState = !enabled ? 'disabled' : learningT.length ? 'learning' : ready.length ? 'ready' : 'not-started';
    const until = learningT.length ? Math.min(...learningT.map((t) => t.learningUntil!)) : ready.length ? Math.max(...ready.map((t) => t.learningUntil!)) : undefined;
    return { name, description: MODELS[name].description, enabled, learningMs: mcfg.learningMs, state, learningUntil: until, entities: counts[name] ?? 0, tenants };
  });
  return { models, watermark: snap ? watermark : undefined, feedback: stage?.feedbackEntries().length ?? 0 };
}

/** One per server: the Sigma load is kept (rules change only with a restart), the baseline state re-read at most every 10 s. */
export class DetectorStatusService {
  private sigmaFromFiles?: SigmaStage;
  private sigmaError?: DetectorProblem;
  private baselineCache?: { at: number; value: DetectorStatus['baselines'] };
  private inflight?: Promise<DetectorStatus['baselines']>;

  constructor(
    private readonly ctx: ServerContext,
    private readonly now: () => number = Date.now,
  ) {}

  async status(): Promise<DetectorStatus> {
    const ctx = this.ctx;
    const cfg = ctx.config.engine;
    const live = liveEngineOf(ctx.store);
    const svc = ctx.serviceStates().find((s) => s.name === 'engine');
    const checkpoint = await this.checkpoint();
    const st = live?.status();
    const [baselines, feeds] = await Promise.all([this.baselines(live), listFeeds(ctx.store, ctx.config.tenant).catch(() => [])]);
    return {
      generatedAt: this.now(),
      engine: {
        enabled: cfg.enabled,
        running: !!svc,
        ready: svc?.ready ?? false,
        source: live ? 'engine' : 'store',
        checkpoint,
        status: st
          ? { mode: st.mode, started: st.started, position: st.position, head: st.head, backlog: st.backlog, events: st.events, checkpoints: st.checkpoints, watermark: st.watermark, stages: st.stages, errors: st.errors, lastError: st.lastError }
          : undefined,
      },
      sigma: this.sigma(live),
      baselines,
      intel: {
        enabled: cfg.enabled && cfg.intel.enabled,
        feeds: feeds.map((f) => ({ id: f.id, source: f.doc.source, format: f.doc.format, indicators: f.doc.indicators.length, problems: f.doc.problems.length, skipped: f.doc.skipped, origin: f.doc.origin, updatedAt: f.updatedAt })),
        indicators: feeds.reduce((a, f) => a + f.doc.indicators.length, 0),
      },
    };
  }

  private async checkpoint(): Promise<DetectorStatus['engine']['checkpoint']> {
    try {
      const text = await this.ctx.store.getState(POSITION_KEY);
      if (text === undefined) return undefined;
      const p = JSON.parse(text) as { position?: unknown; watermark?: unknown; at?: unknown };
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
      return { position: num(p.position), watermark: num(p.watermark), at: num(p.at) };
    } catch {
      return undefined;
    }
  }

  private sigma(live: LiveEngine | undefined): DetectorStatus['sigma'] {
    const cfg = this.ctx.config.engine.sigma;
    const off = (error?: DetectorProblem): DetectorStatus['sigma'] => ({ enabled: cfg.enabled, source: 'files', builtin: cfg.builtin, paths: [...cfg.rulePaths], files: 0, rules: 0, correlations: 0, filters: 0, rejected: 0, problems: [], problemCount: 0, perRule: [], error });
    if (live?.sigma) return sigmaStatus(live.sigma, 'engine', cfg);
    if (!cfg.enabled) return off();
    if (!this.sigmaFromFiles && !this.sigmaError) {
      try {
        this.sigmaFromFiles = new SigmaStage({ builtin: cfg.builtin, rulePaths: cfg.rulePaths, config: cfg.rules, correlation: cfg.correlation, tenant: this.ctx.config.tenant });
      } catch (e) {
        this.sigmaError = problemOf(toGarrisonError(e));
      }
    }
    return this.sigmaFromFiles ? sigmaStatus(this.sigmaFromFiles, 'files', cfg) : off(this.sigmaError);
  }

  private async baselines(live: LiveEngine | undefined): Promise<DetectorStatus['baselines']> {
    const cfg = this.ctx.config.engine.baselines;
    if (live?.baselines) return { enabled: cfg.enabled, source: 'engine', ...baselineModels(live.baselines, cfg) };
    if (!cfg.enabled) return { enabled: false, source: 'none', ...baselineModels(undefined, cfg) };
    const c = this.baselineCache;
    if (c && this.now() - c.at < BASELINE_TTL_MS) return c.value;
    this.inflight ??= this.fromStore().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fromStore(): Promise<DetectorStatus['baselines']> {
    const cfg = this.ctx.config.engine.baselines;
    let value: DetectorStatus['baselines'];
    try {
      const stage = new BaselineStage(cfg.config);
      const found = await loadFromStore(this.ctx.store, stage, STATE_KEY);
      value = { enabled: true, source: found ? 'store' : 'none', ...baselineModels(found ? stage : undefined, cfg) };
    } catch (e) {
      value = { enabled: true, source: 'none', ...baselineModels(undefined, cfg), error: problemOf(toGarrisonError(e)) };
    }
    this.baselineCache = { at: this.now(), value };
    return value;
  }
}

export const detectorStatusService = perServer((ctx) => new DetectorStatusService(ctx));
