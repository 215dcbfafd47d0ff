/**
 * Volume with robust statistics and seasonality.
 *
 * Sums a quantity per key over fixed buckets of event time (default one hour): bytes out per
 * host, per user and per host→destination, and file operations per process. When a bucket
 * closes its total is compared with that key's history for the same season (weekday working
 * hours, weekday off-hours, weekend): the history is a decayed histogram of log2(total) — a
 * fixed-size quantile sketch — whose median and MAD give a robust z-score. Heavy tails do not
 * move a median; no mean/stddev is used.
 */
import { z } from 'zod';
import { OCSF_CLASSES } from '../../../core/event.js';
import type { AttackRef } from '../../../core/signal.js';
import type { BaselineModel, EventView, ModelContext } from '../../types.js';
import { commonModelConfig, defineModel } from '../../types.js';
import { LruMap, Uint16Slab, attack, basename, cap, clampScore, fmtBytes, histQuantile, hourAndDay, isServiceAccount, stateError } from '../../util.js';

export const NBINS = 40; // log2 bins: up to 2^40 (1 TB); larger totals land in the last bin
const SEASONS = 3;
/** Histogram weights are fixed-point: one closed bucket adds SCALE (Uint16 cells, saturating). */
const SCALE = 16;
/** Decay is applied once the factor drops below this (so rounding cannot stall it). */
const DECAY_STEP = 0.9;

export const volumeConfig = z.object({
  ...commonModelConfig,
  bucketMs: z.number().int().min(60_000).default(3600_000),
  /** A bucket is closed once event time has passed its end by this much. */
  latenessMs: z.number().int().min(0).default(5 * 60_000),
  halfLifeMs: z.number().positive().default(28 * 24 * 3600_000),
  /** Closed buckets of history (decayed weight) needed before a key is scored. */
  minBuckets: z.number().positive().default(12),
  /** Robust z-score (in log2 units, MAD-scaled) at which a total is unusual. */
  zThreshold: z.number().positive().default(3.5),
  /** Smallest spread assumed (log2 units): a key with a constant volume still needs ×2^(z·minSpread). */
  minSpread: z.number().positive().default(0.5),
  /**
   * Heavy tails: the total must also exceed this quantile of the key's history by
   * `tailMarginLog2` (log2 units; 1.5 = ×2.8). Normal extreme draws of a heavy-tailed key sit
   * near its own high quantiles, so a z-score alone is not enough.
   */
  tailQuantile: z.number().min(0.5).max(1).default(0.99),
  tailMarginLog2: z.number().min(0).default(1.5),
  minBytes: z.number().min(0).default(20 * 1024 * 1024),
  minFileOps: z.number().min(0).default(500),
  minApiCalls: z.number().min(0).default(100),
  utcOffsetMinutes: z.number().int().min(-14 * 60).max(14 * 60).default(0),
  workHours: z.object({ start: z.number().int().min(0).max(23).default(8), end: z.number().int().min(1).max(24).default(18) }).prefault({}),
  metrics: z
    .object({
      hostBytesOut: z.boolean().default(true),
      userBytesOut: z.boolean().default(true),
      pairBytesOut: z.boolean().default(true),
      processFileOps: z.boolean().default(true),
      userApiCalls: z.boolean().default(true),
    })
    .prefault({}),
  maxKeys: z.number().int().positive().default(300_000),
});
export type VolumeConfig = z.output<typeof volumeConfig>;

interface Series {
  key: string;
  bucket: number; // start of the open bucket, -1 when none
  sum: number;
  lastTime: number; // latest event time in the open bucket
  topId: string; // event with the largest contribution in the open bucket
  topSize: number;
  lastId: string; // latest event of the open bucket
  /** Offset in the model's slab of this key's SEASONS × NBINS fixed-point weights (×SCALE). */
  base: number;
  decayedAt: number; // bucket start the histogram weights refer to
}

const stateSchema = z.object({
  series: z.array(
    z.tuple([
      z.string(),
      z.object({
        bucket: z.number(),
        sum: z.number(),
        lastTime: z.number(),
        topId: z.string(),
        topSize: z.number(),
        lastId: z.string(),
        hist: z.array(z.number().int().min(0).max(65535)).length(SEASONS * NBINS),
        decayedAt: z.number(),
      }),
    ]),
  ),
  lastFlushBucket: z.number(),
});

const EXFIL: AttackRef = attack(['TA0010'], ['T1041', 'T1048']);
const COLLECT: AttackRef = attack(['TA0009'], ['T1005']);
const CLOUD_COLLECT: AttackRef = attack(['TA0009', 'TA0007'], ['T1530', 'T1619']);

export class VolumeModel implements BaselineModel {
  readonly name = 'volume';
  private series: LruMap<string, Series>;
  private slab = new Uint16Slab(SEASONS * NBINS);
  private lastFlushBucket = -1;
  /** Series with an open bucket, by bucket start: flush closes only these (no full scan). */
  private open = new Map<number, Series[]>();

  constructor(private cfg: VolumeConfig) {
    this.series = new LruMap(cfg.maxKeys, (_k, s) => this.slab.release(s.base));
  }

  season(t: number): number {
    const { hour, dow } = hourAndDay(t, this.cfg.utcOffsetMinutes);
    if (dow === 0 || dow === 6) return 2;
    return hour >= this.cfg.workHours.start && hour < this.cfg.workHours.end ? 0 : 1;
  }

  observe(v: EventView, ctx: ModelContext): void {
    const cls = v.classUid;
    const m = this.cfg.metrics;
    if (cls === OCSF_CLASSES.network_activity || cls === OCSF_CLASSES.http_activity) {
      const e = v.ev.entities;
      const bytes = e.bytesOut;
      if (typeof bytes !== 'number' || !(bytes > 0) || !(bytes < 1e15)) return; // over a petabyte in one record: not a measurement
      const src = v.src;
      if (m.hostBytesOut && src) this.add(`bytes|host|${src}`, bytes, v, ctx);
      if (m.userBytesOut && v.user && !isServiceAccount(v.user)) this.add(`bytes|user|${v.user}`, bytes, v, ctx);
      const dst = v.domain || (typeof e.dstIp === 'string' ? e.dstIp : '');
      if (m.pairBytesOut && src && dst) this.add(`bytes|pair|${src}>${cap(dst, 120)}`, bytes, v, ctx);
    } else if (cls === OCSF_CLASSES.file_activity) {
      if (m.processFileOps && v.host) this.add(`files|proc|${v.host}>${cap(basename(v.image) || 'unknown', 120)}`, 1, v, ctx);
    } else if (cls === OCSF_CLASSES.api_activity) {
      if (m.userApiCalls && v.user) this.add(`calls|user|${v.user}`, 1, v, ctx);
    }
  }

  private add(key: string, x: number, v: EventView, ctx: ModelContext): void {
    const bms = this.cfg.bucketMs;
    const b = Math.floor(v.time / bms) * bms;
    let s = this.series.touch(key);
    if (!s) {
      s = { key, bucket: b, sum: 0, lastTime: v.time, topId: '', topSize: -1, lastId: '', base: this.slab.alloc(), decayedAt: b };
      this.series.set(key, s);
      this.enqueue(b, s);
    }
    if (s.bucket !== b) {
      if (b < s.bucket) return; // later than its bucket's lateness allows: not counted
      if (s.bucket >= 0) this.close(key, s, ctx);
      s.bucket = b;
      this.enqueue(b, s);
      s.sum = 0;
      s.topId = '';
      s.topSize = -1;
    }
    s.sum += x;
    if (v.time >= s.lastTime) {
      s.lastTime = v.time;
      s.lastId = v.ev.id;
    }
    if (x > s.topSize) {
      s.topId = v.ev.id;
      s.topSize = x;
    }
  }

  private enqueue(b: number, s: Series): void {
    let l = this.open.get(b);
    if (!l) this.open.set(b, (l = []));
    l.push(s);
  }

  /** Scores the open bucket of a series against its history, then adds it to the history. */
  private close(key: string, s: Series, ctx: ModelContext): void {
    if (s.sum <= 0) return;
    const h = this.slab.data;
    const hb = s.base;
    if (s.bucket > s.decayedAt) {
      const k = Math.pow(2, -(s.bucket - s.decayedAt) / this.cfg.halfLifeMs);
      if (k <= DECAY_STEP) {
        for (let i = hb; i < hb + SEASONS * NBINS; i++) h[i] = Math.round(h[i] * k);
        s.decayedAt = s.bucket;
      }
    }
    const x = Math.log2(s.sum + 1);
    const season = this.season(s.bucket);
    let off = hb + season * NBINS;
    let weight = 0;
    for (let i = 0; i < NBINS; i++) weight += h[off + i];
    weight /= SCALE;
    let useAll = false;
    if (weight < this.cfg.minBuckets) {
      useAll = true;
    }
    const c0 = key.charCodeAt(0); // 'bytes|', 'files|', 'calls|'
    const minAbs = c0 === 98 ? this.cfg.minBytes : c0 === 102 ? this.cfg.minFileOps : this.cfg.minApiCalls;
    if (s.sum < minAbs) weight = 0; // too small to matter: only recorded
    let bins: ArrayLike<number> = h;
    if (useAll && weight > 0) {
      const all = new Float64Array(NBINS);
      weight = 0;
      for (let si = 0; si < SEASONS; si++) for (let i = 0; i < NBINS; i++) all[i] += h[hb + si * NBINS + i];
      for (let i = 0; i < NBINS; i++) weight += all[i];
      weight /= SCALE;
      bins = all;
      off = 0;
    }
    if (weight >= this.cfg.minBuckets && s.sum >= minAbs) {
      const med = histQuantile(bins, off, NBINS, 0.5);
      // MAD from the histogram: weighted median of |bin centre − median|
      const dev = new Float32Array(NBINS * 2);
      for (let i = 0; i < NBINS; i++) {
        const w = bins[off + i];
        if (w > 0) dev[Math.min(NBINS * 2 - 1, Math.floor(Math.abs(i + 0.5 - med) * 2))] += w;
      }
      const madv = histQuantile(dev, 0, NBINS * 2, 0.5) / 2;
      const sigma = Math.max(1.4826 * madv, this.cfg.minSpread);
      const zs = (x - med) / sigma;
      const tail = histQuantile(bins, off, NBINS, this.cfg.tailQuantile);
      if (zs >= this.cfg.zThreshold && x >= tail + this.cfg.tailMarginLog2) {
        this.emit(key, s, ctx, zs, med, histQuantile(bins, off, NBINS, 0.25), histQuantile(bins, off, NBINS, 0.75), weight, useAll ? 'all seasons' : (['weekday working hours', 'weekday off-hours', 'weekend'][season] as string));
      }
    }
    const bi = hb + season * NBINS + Math.min(NBINS - 1, Math.floor(x));
    h[bi] = Math.min(65535, h[bi] + SCALE);
  }

  private emit(key: string, s: Series, ctx: ModelContext, zs: number, med: number, q25: number, q75: number, weight: number, season: string): void {
    if (!s.lastId) return;
    const p1 = key.indexOf('|');
    const p2 = key.indexOf('|', p1 + 1);
    const metric = key.slice(0, p1);
    const scope = key.slice(p1 + 1, p2);
    const id = key.slice(p2 + 1);
    const bytes = metric === 'bytes';
    const fmt = (l2: number) => (bytes ? fmtBytes(Math.pow(2, l2)) : String(Math.round(Math.pow(2, l2))));
    const seen = bytes ? `${fmtBytes(s.sum)} sent` : metric === 'files' ? `${s.sum} file operations` : `${s.sum} API calls`;
    const hours = this.cfg.bucketMs / 3600_000;
    const [host, other] = id.split('>');
    const entity = scope === 'user' ? { type: 'user' as const, id } : scope === 'host' ? { type: 'host' as const, id } : scope === 'pair' ? { type: 'pair' as const, id } : { type: 'process' as const, id };
    const kind = bytes ? `bytes_out_${scope}` : metric === 'files' ? 'file_ops_spike' : 'api_calls_spike';
    const title =
      metric === 'files' ? `Volume: unusual file activity by ${other ?? id} on ${host}` : bytes ? `Volume: unusual bytes out for ${scope} ${id}` : `Volume: unusual number of API calls by ${id}`;
    ctx.emit({
      kind,
      pattern: `volume.${bytes ? 'bytes_out' : metric === 'files' ? 'file_ops' : 'api_calls'} ${scope}=${id}`,
      title,
      score: clampScore(55 + 6 * (zs - this.cfg.zThreshold)),
      entity,
      entities: scope === 'user' ? { user: id } : { host: host || id, ...(scope === 'pair' ? { domain: other } : {}) },
      expected: { median: fmt(med), typicalRange: `${fmt(q25)}–${fmt(q75)}`, historyBuckets: Math.round(weight * 10) / 10, season, bucketHours: hours },
      seen: { total: s.sum, human: seen, bucketStart: new Date(s.bucket).toISOString() },
      why: `${seen} in ${hours} h by ${scope} ${id}; median for ${season} is ${fmt(med)} (typical ${fmt(q25)}–${fmt(q75)}); robust z = ${zs.toFixed(1)} (threshold ${this.cfg.zThreshold})`,
      attack: bytes ? EXFIL : metric === 'files' ? COLLECT : CLOUD_COLLECT,
      eventIds: s.topId && s.topId !== s.lastId ? [s.topId, s.lastId] : [s.lastId],
      time: s.lastTime,
    });
  }

  flush(watermark: number, ctx: ModelContext): void {
    const bms = this.cfg.bucketMs;
    const wb = Math.floor((watermark - this.cfg.latenessMs) / bms);
    if (wb <= this.lastFlushBucket) return;
    this.lastFlushBucket = wb;
    const due = [...this.open.keys()].filter((b) => b + bms + this.cfg.latenessMs <= watermark).sort((a, b) => a - b);
    for (const b of due) {
      const list = this.open.get(b) ?? [];
      this.open.delete(b);
      for (const s of list) {
        // skip series evicted since, or whose bucket moved on (closed when it did)
        if (s.bucket !== b || this.series.get(s.key) !== s) continue;
        this.close(s.key, s, ctx);
        s.bucket = -1;
        s.sum = 0;
        s.topId = '';
        s.topSize = -1;
      }
    }
  }

  snapshot(): unknown {
    return {
      series: [...this.series.entries()].map(([k, s]) => {
        const { base, key: _key, ...rest } = s;
        return [k, { ...rest, hist: Array.from(this.slab.data.subarray(base, base + SEASONS * NBINS)) }];
      }),
      lastFlushBucket: this.lastFlushBucket,
    };
  }

  restore(state: unknown): void {
    const r = stateSchema.safeParse(state);
    if (!r.success) throw stateError(this.name, r.error.issues[0]?.message ?? 'invalid', r.error.issues[0]?.path.join('.'));
    this.series.clear();
    this.slab.clear();
    this.open.clear();
    for (const [k, { hist, ...rest }] of r.data.series) {
      const base = this.slab.alloc();
      this.slab.data.set(hist, base);
      const s: Series = { ...rest, key: k, base };
      this.series.set(k, s);
      if (s.bucket >= 0) this.enqueue(s.bucket, s);
    }
    this.lastFlushBucket = r.data.lastFlushBucket;
  }

  entityCount(): number {
    return this.series.size;
  }
}

export const volumeModel = defineModel({
  name: 'volume',
  description: 'Bytes out per host/user/destination and file operations per process against a seasonal median/MAD baseline.',
  schema: volumeConfig,
  create: (c) => new VolumeModel(c),
});
