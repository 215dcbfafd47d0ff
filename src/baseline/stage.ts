/**
 * BaselineStage: runs every enabled model over stored events and turns what they report into
 * Signals of kind `anomaly`.
 *
 * Deterministic: the same events in the same order (and the same state) give the same signals,
 * ids included; only event time is used, never the wall clock. State is per tenant. Everything
 * common to the models lives here: learning period, thresholds, allow-lists, cooldown and
 * analyst feedback (with its audit trail).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { GarrisonEvent } from '../core/event.js';
import { hostKey } from '../core/event.js';
import { GarrisonError, ProblemList } from '../core/errors.js';
import type { Level, Signal } from '../core/signal.js';
import { MODELS, type ModelName, MODEL_NAMES } from './registry.js';
import type { Anomaly, BaselineModel, EventView, ModelContext } from './types.js';
import { LruMap, cap, checkGlob, clampScore, globMatch } from './util.js';
import type { BaselineConfig } from './config.js';
import { parseBaselineConfig } from './config.js';

export const SNAPSHOT_FORMAT = 'garrison-baseline';
export const SNAPSHOT_VERSION = 1;

export interface FeedbackEntry {
  pattern: string;
  /** Multiplier applied to the score of future anomalies whose pattern matches (0..1). */
  factor: number;
  by: string;
  reason: string;
  /** Event-time watermark (or the time given by the caller) when the mark was made. */
  at: number;
  /** Where the mark came from, e.g. `incident:<id> feedback:<id>` (analyst feedback on an incident); absent for direct marks. */
  source?: string;
  /** Only anomalies of this tenant are affected; absent = every tenant. */
  tenant?: string;
}

export interface AuditRecord {
  action: 'mark_benign' | 'unmark_benign' | 'import' | 'restore';
  pattern?: string;
  factor?: number;
  by: string;
  reason: string;
  at: number;
}

export interface StageStats {
  events: number;
  skipped: number;
  /** Model failures (bugs) caught while observing; see lastError. */
  errors: number;
  candidates: number;
  signals: number;
  dropped: { learning: number; allowListed: number; belowThreshold: number; cooldown: number };
  perModel: Record<string, { candidates: number; signals: number }>;
}

interface ModelSlot {
  name: ModelName;
  model: BaselineModel;
  /** Event time of the first event this model saw (start of the learning period). */
  startedAt?: number;
}

const snapshotSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.number(),
  watermark: z.number(),
  tenants: z.record(z.string(), z.object({ models: z.record(z.string(), z.object({ startedAt: z.number().optional(), state: z.unknown() })) })),
  cooldown: z.array(z.tuple([z.string(), z.number()])),
  feedback: z.array(
    z.object({ pattern: z.string(), factor: z.number().min(0).max(1), by: z.string(), reason: z.string(), at: z.number(), source: z.string().optional(), tenant: z.string().optional() }),
  ),
  audit: z.array(
    z.object({
      action: z.enum(['mark_benign', 'unmark_benign', 'import', 'restore']),
      pattern: z.string().optional(),
      factor: z.number().optional(),
      by: z.string(),
      reason: z.string(),
      at: z.number(),
    }),
  ),
});
export type BaselineSnapshot = z.output<typeof snapshotSchema>;

/** Formats written by network sensors: their `host` names the sensor, not the machine talking. */
const SENSOR_FORMATS = new Set<string>(['zeek', 'cef', 'syslog', 'proxy']);

function levelOf(score: number): Level {
  if (score >= 90) return 'high';
  if (score >= 70) return 'medium';
  if (score >= 40) return 'low';
  return 'informational';
}

function lowerUser(u: string | undefined): string {
  if (!u) return '';
  let s = u.trim().toLowerCase();
  const bs = s.lastIndexOf('\\');
  if (bs >= 0) s = s.slice(bs + 1);
  const at = s.indexOf('@');
  if (at > 0) s = s.slice(0, at);
  return s;
}

export class BaselineStage {
  readonly config: BaselineConfig;
  private tenants = new Map<string, ModelSlot[]>();
  private cooldown: LruMap<string, number>;
  private feedback: FeedbackEntry[] = [];
  private auditLog: AuditRecord[] = [];
  private watermark = 0;
  private out: Signal[] = [];
  private current: { slot: ModelSlot; tenant: string } | undefined;
  private readonly ctx: ModelContext;
  stats: StageStats;
  /** The last model failure caught by observe() (an INTERNAL GarrisonError), if any. */
  lastError: GarrisonError | undefined;

  constructor(config: unknown = {}) {
    this.config = parseBaselineConfig(config);
    this.cooldown = new LruMap(this.config.maxCooldownKeys);
    for (const e of this.config.allow) {
      const err = checkGlob(e, 'allow');
      if (err) throw err;
    }
    this.stats = this.emptyStats();
    this.ctx = { emit: (a) => this.accept(a) };
  }

  private emptyStats(): StageStats {
    const perModel: StageStats['perModel'] = {};
    for (const n of MODEL_NAMES) perModel[n] = { candidates: 0, signals: 0 };
    return {
      events: 0,
      skipped: 0,
      errors: 0,
      candidates: 0,
      signals: 0,
      dropped: { learning: 0, allowListed: 0, belowThreshold: 0, cooldown: 0 },
      perModel,
    };
  }

  private slots(tenant: string): ModelSlot[] {
    let s = this.tenants.get(tenant);
    if (!s) {
      s = [];
      for (const name of MODEL_NAMES) {
        const cfg = this.config.models[name];
        if (!cfg.enabled) continue;
        // each registry entry creates its model from its own validated config
        const model = (MODELS[name].create as (c: unknown) => BaselineModel)(cfg);
        s.push({ name, model });
      }
      this.tenants.set(tenant, s);
    }
    return s;
  }

  /** Names of the models that run. */
  enabledModels(): ModelName[] {
    return MODEL_NAMES.filter((n) => this.config.models[n].enabled);
  }

  /**
   * Feeds events (in order) to every enabled model and returns the anomaly signals they raise.
   * Events that are not well-formed (no finite time, no entities) are skipped and counted.
   */
  observe(events: readonly GarrisonEvent[]): Signal[] {
    this.out = [];
    const touched = new Set<string>();
    for (const ev of events) {
      if (!ev || typeof ev !== 'object' || typeof ev.time !== 'number' || !Number.isFinite(ev.time) || !ev.entities || !ev.class) {
        this.stats.skipped++;
        continue;
      }
      this.stats.events++;
      const tenant = typeof ev.tenant === 'string' ? ev.tenant : 'default';
      touched.add(tenant);
      if (ev.time > this.watermark) this.watermark = ev.time;
      const v = this.view(ev);
      for (const slot of this.slots(tenant)) {
        if (slot.startedAt === undefined) slot.startedAt = ev.time;
        this.current = { slot, tenant };
        try {
          slot.model.observe(v, this.ctx);
        } catch (e) {
          // a model bug must not stop the other models or the rest of the batch
          this.stats.errors++;
          this.lastError = new GarrisonError('INTERNAL', `baseline model ${slot.name} failed on event ${String(ev.id).slice(0, 64)}: ${e instanceof Error ? e.message : String(e)}`, {
            location: { field: slot.name },
            cause: e,
          });
        }
      }
    }
    for (const tenant of touched) {
      for (const slot of this.slots(tenant)) this.flushSlot(slot, tenant);
    }
    this.current = undefined;
    return this.out;
  }

  /** Closes every open time bucket up to `time` (end of a training run or a replay). */
  flushAll(time: number): Signal[] {
    this.out = [];
    if (time > this.watermark) this.watermark = time;
    for (const [tenant, slots] of this.tenants) {
      for (const slot of slots) this.flushSlot(slot, tenant);
    }
    this.current = undefined;
    return this.out;
  }

  /** One view object, refilled for each event (models read it during observe() and keep no reference). */
  private readonly v: EventView = { ev: undefined as unknown as GarrisonEvent, time: 0, classUid: 0, host: '', user: '', targetUser: '', image: '', parentImage: '', domain: '', eventCode: '', src: '' };

  private flushSlot(slot: ModelSlot, tenant: string): void {
    if (!slot.model.flush) return;
    this.current = { slot, tenant };
    try {
      slot.model.flush(this.watermark, this.ctx);
    } catch (e) {
      this.stats.errors++;
      this.lastError = new GarrisonError('INTERNAL', `baseline model ${slot.name} failed while closing buckets: ${e instanceof Error ? e.message : String(e)}`, {
        location: { field: slot.name },
        cause: e,
      });
    }
  }

  private view(ev: GarrisonEvent): EventView {
    const e = ev.entities;
    const p = e.process;
    let domain = typeof e.domain === 'string' ? e.domain.trim().toLowerCase() : '';
    if (domain.endsWith('.')) domain = domain.slice(0, -1);
    const v = this.v;
    v.ev = ev;
    v.time = ev.time;
    v.classUid = typeof ev.class.uid === 'number' ? ev.class.uid : -1;
    v.host = cap((typeof e.host === 'string' && hostKey(e.host)) || '', 255);
    v.user = cap(lowerUser(typeof e.user === 'string' ? e.user : undefined), 128);
    v.targetUser = cap(lowerUser(typeof e.targetUser === 'string' ? e.targetUser : undefined), 128);
    v.image = p && typeof p.image === 'string' ? cap(p.image.toLowerCase(), 1024) : '';
    v.parentImage = p?.parent && typeof p.parent.image === 'string' ? cap(p.parent.image.toLowerCase(), 1024) : '';
    v.domain = domain.length > 253 ? domain.slice(0, 253) : domain;
    v.eventCode = typeof ev.source?.eventCode === 'string' ? ev.source.eventCode : '';
    const srcIp = typeof e.srcIp === 'string' ? cap(e.srcIp, 64) : '';
    v.src = SENSOR_FORMATS.has(ev.source?.format as string) ? srcIp || v.host : v.host || srcIp;
    return v;
  }

  private accept(a: Anomaly): void {
    const cur = this.current;
    if (!cur) return;
    const name = cur.slot.name;
    const cfg = this.config.models[name];
    this.stats.candidates++;
    this.stats.perModel[name].candidates++;
    if (a.time < (cur.slot.startedAt ?? a.time) + cfg.learningMs) {
      this.stats.dropped.learning++;
      return;
    }
    for (const g of cfg.allow) if (globMatch(g, a.pattern)) return void this.stats.dropped.allowListed++;
    for (const g of this.config.allow) if (globMatch(g, a.pattern)) return void this.stats.dropped.allowListed++;
    let factor = 1;
    const applied: string[] = [];
    for (const fb of this.feedback) {
      if (fb.tenant !== undefined && fb.tenant !== cur.tenant) continue;
      if (globMatch(fb.pattern, a.pattern)) {
        factor *= fb.factor;
        applied.push(fb.pattern);
      }
    }
    const score = clampScore(a.score * factor);
    if (score < cfg.threshold) {
      this.stats.dropped.belowThreshold++;
      return;
    }
    const ckey = `${cur.tenant}\u0000${a.pattern}`;
    const last = this.cooldown.get(ckey);
    if (last !== undefined && a.time >= last && a.time - last < cfg.cooldownMs) {
      this.stats.dropped.cooldown++;
      return;
    }
    this.cooldown.set(ckey, a.time);
    this.stats.signals++;
    this.stats.perModel[name].signals++;
    const id = createHash('sha1')
      .update(`${cur.tenant}\u0000${name}\u0000${a.pattern}\u0000${a.time}\u0000${a.eventIds.join(',')}`)
      .digest('hex')
      .slice(0, 32);
    this.out.push({
      id,
      tenant: cur.tenant,
      kind: 'anomaly',
      detector: `baseline.${name}`,
      title: a.title,
      level: levelOf(score),
      score,
      time: a.time,
      createdAt: a.time,
      attack: a.attack ?? { tactics: [], techniques: [] },
      eventIds: a.eventIds,
      entities: a.entities,
      details: {
        model: name,
        kind: a.kind,
        pattern: a.pattern,
        entity: a.entity,
        expected: a.expected,
        seen: a.seen,
        why: a.why,
        rawScore: a.score,
        ...(applied.length ? { feedback: { factor, patterns: applied } } : {}),
      },
    });
  }

  /**
   * Analyst feedback: anomalies whose pattern matches `target` (a glob over the pattern, or a
   * signal whose pattern is taken) get their future score multiplied by `factor`
   * (default config.feedbackFactor). Recorded in the audit trail.
   */
  markBenign(target: string | Signal, opts: { by: string; reason?: string; at?: number; factor?: number; source?: string; tenant?: string }): FeedbackEntry {
    const pattern = typeof target === 'string' ? target : String(target.details?.pattern ?? '');
    const err = checkGlob(pattern, 'markBenign.pattern');
    if (err) throw err;
    if (!opts.by || typeof opts.by !== 'string')
      throw new GarrisonError('BAD_REQUEST', 'markBenign: `by` (who marks it) is required for the audit trail', { location: { field: 'by' } });
    const factor = opts.factor ?? this.config.feedbackFactor;
    if (!(factor >= 0 && factor <= 1))
      throw new GarrisonError('BAD_REQUEST', 'markBenign: factor must be between 0 and 1', { location: { field: 'factor' } });
    const entry: FeedbackEntry = { pattern, factor, by: opts.by, reason: opts.reason ?? '', at: opts.at ?? this.watermark };
    if (opts.source !== undefined) entry.source = opts.source;
    const tenant = opts.tenant ?? (typeof target === 'string' ? undefined : target.tenant);
    if (tenant !== undefined) entry.tenant = tenant;
    // Bounded: every entry is checked against every candidate anomaly.
    while (this.feedback.length >= this.config.maxFeedback) {
      const old = this.feedback.shift()!;
      this.audit_({ action: 'unmark_benign', pattern: old.pattern, by: 'system', reason: `oldest feedback dropped: more than ${this.config.maxFeedback} entries (maxFeedback)`, at: entry.at });
    }
    this.feedback.push(entry);
    this.audit_({ action: 'mark_benign', pattern, factor, by: entry.by, reason: entry.reason, at: entry.at });
    return entry;
  }

  /** Removes every feedback entry with exactly this pattern (audited). Returns how many. */
  unmarkBenign(pattern: string, opts: { by: string; reason?: string; at?: number }): number {
    const before = this.feedback.length;
    this.feedback = this.feedback.filter((f) => f.pattern !== pattern);
    const n = before - this.feedback.length;
    if (n > 0) this.audit_({ action: 'unmark_benign', pattern, by: opts.by, reason: opts.reason ?? '', at: opts.at ?? this.watermark });
    return n;
  }

  /** Removes the feedback entries made from `source` (e.g. an incident re-labelled malicious), audited; returns them. */
  unmarkBySource(source: string, opts: { by: string; reason?: string; at?: number }): FeedbackEntry[] {
    const gone = this.feedback.filter((f) => f.source === source);
    if (gone.length === 0) return [];
    this.feedback = this.feedback.filter((f) => f.source !== source);
    for (const g of gone) this.audit_({ action: 'unmark_benign', pattern: g.pattern, by: opts.by, reason: opts.reason ?? '', at: opts.at ?? this.watermark });
    return gone;
  }

  private audit_(r: AuditRecord): void {
    this.auditLog.push(r);
    if (this.auditLog.length > this.config.maxAuditRecords) this.auditLog.splice(0, this.auditLog.length - this.config.maxAuditRecords);
  }

  /** Adds a record to the audit trail (imports, restores done on an operator's behalf). */
  recordAudit(r: Omit<AuditRecord, 'at'> & { at?: number }): void {
    this.audit_({ ...r, at: r.at ?? this.watermark });
  }

  feedbackEntries(): readonly FeedbackEntry[] {
    return this.feedback;
  }

  audit(): readonly AuditRecord[] {
    return this.auditLog;
  }

  /** Entities tracked, per model (summed over tenants). */
  entityCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const slots of this.tenants.values()) for (const s of slots) out[s.name] = (out[s.name] ?? 0) + s.model.entityCount();
    return out;
  }

  snapshot(): BaselineSnapshot {
    const tenants: BaselineSnapshot['tenants'] = {};
    for (const [t, slots] of this.tenants) {
      const models: Record<string, { startedAt?: number; state: unknown }> = {};
      for (const s of slots) models[s.name] = { startedAt: s.startedAt, state: s.model.snapshot() };
      tenants[t] = { models };
    }
    return {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      watermark: this.watermark,
      tenants,
      cooldown: [...this.cooldown.entries()],
      feedback: this.feedback.map((f) => ({ ...f })),
      audit: this.auditLog.map((a) => ({ ...a })),
    };
  }

  /**
   * Replaces all state with a snapshot. Every problem is collected (model and field named); on
   * any problem nothing is changed and one GarrisonError lists them all.
   */
  restore(snap: unknown, source = 'snapshot'): void {
    if (!snap || typeof snap !== 'object' || (snap as { format?: unknown }).format !== SNAPSHOT_FORMAT)
      throw new GarrisonError('BASELINE_STATE_VERSION', `${source}: not a Garrison baseline snapshot (format must be "${SNAPSHOT_FORMAT}")`, {
        location: { file: source, field: 'format' },
      });
    if ((snap as { version?: unknown }).version !== SNAPSHOT_VERSION)
      throw new GarrisonError('BASELINE_STATE_VERSION', `${source}: snapshot version ${String((snap as { version?: unknown }).version)} is not supported (expected ${SNAPSHOT_VERSION})`, {
        location: { file: source, field: 'version' },
      });
    const r = snapshotSchema.safeParse(snap);
    const problems = new ProblemList();
    if (!r.success) {
      for (const i of r.error.issues.slice(0, 50))
        problems.add(new GarrisonError('BASELINE_STATE_INVALID', `${i.path.join('.') || '(root)'}: ${i.message}`, { location: { file: source, field: i.path.join('.') } }));
      throw new GarrisonError('BASELINE_STATE_INVALID', `invalid baseline snapshot:\n${problems.format()}`, { location: { file: source }, details: { problems: problems.problems.map((p) => p.toJSON()) } });
    }
    const s = r.data;
    for (const f of s.feedback) {
      const e = checkGlob(f.pattern, 'feedback.pattern');
      if (e) problems.add(e);
    }
    const fresh = new Map<string, ModelSlot[]>();
    const saved = this.tenants;
    this.tenants = fresh;
    for (const [t, entry] of Object.entries(s.tenants)) {
      const slots = this.slots(t);
      for (const slot of slots) {
        const m = entry.models[slot.name];
        if (!m) continue; // a model enabled since the snapshot was taken starts learning now
        try {
          slot.model.restore(m.state);
          slot.startedAt = m.startedAt;
        } catch (e) {
          problems.add(
            e instanceof GarrisonError
              ? new GarrisonError(e.code, `tenant ${t}: ${e.message}`, { location: { file: source, field: `tenants.${t}.models.${e.location?.field ?? slot.name}` } })
              : new GarrisonError('BASELINE_STATE_INVALID', `tenant ${t}, model ${slot.name}: ${String(e)}`, { location: { file: source } }),
          );
        }
      }
    }
    if (!problems.ok) {
      this.tenants = saved;
      throw new GarrisonError('BASELINE_STATE_INVALID', `invalid baseline snapshot:\n${problems.format()}`, {
        location: { file: source },
        details: { problems: problems.problems.map((p) => p.toJSON()) },
      });
    }
    this.watermark = s.watermark;
    this.cooldown.clear();
    for (const [k, v] of s.cooldown) this.cooldown.set(k, v);
    this.feedback = s.feedback.map((f) => {
      const e: FeedbackEntry = { pattern: f.pattern, factor: f.factor, by: f.by, reason: f.reason, at: f.at };
      if (f.source !== undefined) e.source = f.source;
      if (f.tenant !== undefined) e.tenant = f.tenant;
      return e;
    });
    this.auditLog = s.audit.slice(-this.config.maxAuditRecords).map((a) => ({ ...a }) as AuditRecord);
  }

  /** The largest event time seen. */
  get time(): number {
    return this.watermark;
  }
}

export type { ModelName };
