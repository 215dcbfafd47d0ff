/**
 * Time of activity: for each person (user account, not machine/service accounts) a decayed
 * histogram of activity by hour of day, kept separately for weekdays and weekends (48 bins).
 * Activity in an hour whose smoothed share of the entity's history is below `minShare` is an
 * anomaly once the entity has at least `minEvents` of (decayed) history.
 */
import { z } from 'zod';
import { OCSF_CLASSES } from '../../../core/event.js';
import type { BaselineModel, EventView, ModelContext } from '../../types.js';
import { commonModelConfig, defineModel } from '../../types.js';
import { LruMap, attack, clampScore, hourAndDay, isServiceAccount, stateError } from '../../util.js';

export const timeConfig = z.object({
  ...commonModelConfig,
  /** Local time of the organisation, minutes east of UTC. */
  utcOffsetMinutes: z.number().int().min(-14 * 60).max(14 * 60).default(0),
  halfLifeMs: z.number().positive().default(21 * 24 * 3600_000),
  minEvents: z.number().positive().default(100),
  /**
   * Only entities with a rhythm are scored: the busiest half of the 48 hour bins must hold at
   * least this share of the activity (an office worker ≈ 1.0, round-the-clock activity ≈ 0.6).
   */
  minConcentration: z.number().min(0).max(1).default(0.85),
  /** An hour holding less than this share of the entity's activity is unusual. */
  minShare: z.number().min(0).max(1).default(0.005),
  /** Which events count as a person's activity. */
  sources: z
    .object({ logons: z.boolean().default(true), processes: z.boolean().default(true), api: z.boolean().default(true) })
    .prefault({}),
  maxEntities: z.number().int().positive().default(500_000),
});
export type TimeConfig = z.output<typeof timeConfig>;

interface Profile {
  bins: Float32Array; // 0..23 weekday hours, 24..47 weekend hours
  total: number;
  last: number;
}

const stateSchema = z.object({
  profiles: z.array(z.tuple([z.string(), z.array(z.number()).length(48), z.number(), z.number()])),
});

const INTERACTIVE = new Set([2, 7, 10, 11]);

export class TimeModel implements BaselineModel {
  readonly name = 'time';
  private profiles: LruMap<string, Profile>;

  constructor(private cfg: TimeConfig) {
    this.profiles = new LruMap(cfg.maxEntities);
  }

  /** Bin index (0..47) of an event time. */
  bin(t: number): number {
    const { hour, dow } = hourAndDay(t, this.cfg.utcOffsetMinutes);
    return (dow === 0 || dow === 6 ? 24 : 0) + hour;
  }

  observe(v: EventView, ctx: ModelContext): void {
    const s = this.cfg.sources;
    let user = '';
    const cls = v.classUid;
    if (cls === OCSF_CLASSES.authentication) {
      if (!s.logons || v.ev.entities.outcome !== 'success') return;
      const lt = typeof v.ev.entities.logonType === 'number' ? v.ev.entities.logonType : undefined;
      if (lt !== undefined && !INTERACTIVE.has(lt)) return;
      user = v.targetUser || v.user;
    } else if (cls === OCSF_CLASSES.process_activity) {
      if (!s.processes) return;
      user = v.user;
    } else if (cls === OCSF_CLASSES.api_activity) {
      if (!s.api) return;
      user = v.user;
    } else return;
    if (isServiceAccount(user)) return;
    const t = v.time;
    let p = this.profiles.touch(user);
    if (!p) {
      p = { bins: new Float32Array(48), total: 0, last: t };
      this.profiles.set(user, p);
    }
    const dt = t - p.last;
    if (dt > 3600_000) {
      const k = Math.pow(2, -dt / this.cfg.halfLifeMs);
      for (let i = 0; i < 48; i++) p.bins[i] *= k;
      p.total *= k;
      p.last = t;
    }
    const b = this.bin(t);
    if (p.total >= this.cfg.minEvents) {
      const base = b < 24 ? 0 : 24;
      const h = b - base;
      const m = p.bins[b] + 0.5 * (p.bins[base + ((h + 23) % 24)] + p.bins[base + ((h + 1) % 24)]);
      const share = m / p.total;
      if (share < this.cfg.minShare && this.concentration(p) >= this.cfg.minConcentration) {
        const score = clampScore(55 + 12 * Math.log10(this.cfg.minShare / Math.max(share, 1e-5)));
        const usual = this.usualHours(p.bins, base);
        const day = base ? 'weekend' : 'weekday';
        ctx.emit({
          kind: 'unusual_hour',
          pattern: `time.unusual_hour user=${user}`,
          title: `Time of activity: ${user} active at an unusual hour`,
          score,
          entity: { type: 'user', id: user },
          entities: { host: v.ev.entities.host, user: v.ev.entities.user, targetUser: v.ev.entities.targetUser },
          expected: { usualHours: usual, dayType: day, historyEvents: Math.round(p.total), minShare: this.cfg.minShare },
          seen: { hour: h, dayType: day, share },
          why: `${user} was active at ${String(h).padStart(2, '0')}:00 on a ${day}; that hour holds ${(share * 100).toFixed(2)}% of ${Math.round(p.total)} past activities (unusual below ${(this.cfg.minShare * 100).toFixed(1)}%); usual ${day} hours ${usual}`,
          attack: attack(['TA0001', 'TA0003'], ['T1078']),
          eventIds: [v.ev.id],
          time: t,
        });
      }
    }
    p.bins[b] += 1;
    p.total += 1;
  }

  /** Share of the activity held by the busiest 24 of the 48 bins. */
  private concentration(p: Profile): number {
    if (p.total <= 0) return 0;
    const sorted = Float32Array.from(p.bins).sort();
    let top = 0;
    for (let i = 24; i < 48; i++) top += sorted[i];
    return top / p.total;
  }

  private usualHours(bins: Float32Array, base: number): string {
    let tot = 0;
    for (let i = 0; i < 24; i++) tot += bins[base + i];
    if (tot <= 0) return 'none';
    const hours: number[] = [];
    for (let i = 0; i < 24; i++) if (bins[base + i] / tot >= 0.02) hours.push(i);
    if (!hours.length) return 'none';
    return `${String(hours[0]).padStart(2, '0')}:00–${String(hours[hours.length - 1] + 1).padStart(2, '0')}:00`;
  }

  snapshot(): unknown {
    return { profiles: [...this.profiles.entries()].map(([u, p]) => [u, Array.from(p.bins), p.total, p.last]) };
  }

  restore(state: unknown): void {
    const r = stateSchema.safeParse(state);
    if (!r.success) throw stateError(this.name, r.error.issues[0]?.message ?? 'invalid', r.error.issues[0]?.path.join('.'));
    this.profiles.clear();
    for (const [u, bins, total, last] of r.data.profiles) this.profiles.set(u, { bins: Float32Array.from(bins), total, last });
  }

  entityCount(): number {
    return this.profiles.size;
  }
}

export const timeModel = defineModel({
  name: 'time',
  description: 'Activity at hours and days unusual for that person (decayed hour-of-day histograms, weekday/weekend).',
  schema: timeConfig,
  create: (c) => new TimeModel(c),
});
