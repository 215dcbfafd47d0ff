/**
 * Beaconing: periodic connections from one source to one destination.
 *
 * Per (source host, destination) pair the model keeps the last `window` connection times and
 * sizes in ring buffers. A pair is scored when it has at least `minConnections` connections over
 * at least `minDurationMs`: the median interval and its MAD give the jitter (MAD/median), the
 * sizes' MAD/median their regularity. Robustness to benign periodic traffic: destinations that
 * many hosts of the fleet talk to (update services, NTP, monitoring) are infrastructure, NTP/DNS
 * ports and internal destinations are skipped by default, and allow-lists take glob patterns.
 */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { OCSF_CLASSES } from '../../../core/event.js';
import type { BaselineModel, EventView, ModelContext } from '../../types.js';
import { commonModelConfig, defineModel } from '../../types.js';
import { LruMap, attack, cap, clampScore, fmtDuration, stateError } from '../../util.js';

export const DEFAULT_BEACON_ALLOW = [
  '* dst=*.windowsupdate.com',
  '* dst=*.update.microsoft.com',
  '* dst=*.delivery.mp.microsoft.com',
  '* dst=time.windows.com*',
  '* dst=*.ntp.org*',
  '* dst=ocsp.*',
  '* dst=*.digicert.com',
];

export const beaconingConfig = z.object({
  ...commonModelConfig,
  learningMs: z.number().int().min(0).default(24 * 3600_000),
  allow: z.array(z.string().min(1).max(512)).max(10_000).default(DEFAULT_BEACON_ALLOW),
  window: z.number().int().min(4).max(256).default(32),
  minConnections: z.number().int().min(3).default(12),
  minDurationMs: z.number().int().min(0).default(3600_000),
  minIntervalMs: z.number().int().min(0).default(10_000),
  maxIntervalMs: z.number().int().positive().default(6 * 3600_000),
  /** Connections closer than this to the previous one are the same burst. */
  burstGapMs: z.number().int().min(0).default(2_000),
  /** MAD / median of intervals at or below which the timing is periodic. */
  maxJitter: z.number().positive().default(0.2),
  /** A destination contacted by more than this many hosts is shared infrastructure. */
  maxFleetHosts: z.number().int().min(1).default(3),
  ignoreInternal: z.boolean().default(true),
  ignorePorts: z.array(z.number().int()).default([53, 123, 137, 138, 5353]),
  maxPairs: z.number().int().positive().default(200_000),
});
export type BeaconingConfig = z.output<typeof beaconingConfig>;

interface Pair {
  /** Ring buffers, grown up to `window` entries (plain double arrays: small pairs stay small). */
  times: number[];
  sizes: number[];
  n: number; // connections recorded (ring holds min(n, window))
  first: number; // time of the first connection of the pair
  ids: string[]; // up to 3 most recent event ids (evidence)
}

const stateSchema = z.object({
  pairs: z.array(z.tuple([z.string(), z.array(z.number()), z.array(z.number()), z.number(), z.array(z.string())])),
  /** first connection time per pair, same order as pairs */
  firsts: z.array(z.number()),
  dstHosts: z.array(z.tuple([z.string(), z.number()])),
});

const INTERNAL = new Set(['private', 'loopback', 'linkLocal', 'multicast', 'broadcast', 'unspecified', 'uniqueLocal', 'carrierGradeNat']);

function isInternal(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  try {
    let a = ipaddr.parse(ip);
    if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
    return INTERNAL.has(a.range());
  } catch {
    return false;
  }
}

export class BeaconingModel implements BaselineModel {
  readonly name = 'beaconing';
  private pairs: LruMap<string, Pair>;
  private dstHosts: LruMap<string, number>;
  private ignorePorts: Set<number>;
  private scratch: Float64Array;
  private scratch2: Float64Array;
  private internalCache = new LruMap<string, boolean>(20_000);

  constructor(private cfg: BeaconingConfig) {
    this.pairs = new LruMap(cfg.maxPairs);
    this.dstHosts = new LruMap(Math.max(1000, cfg.maxPairs >> 1));
    this.ignorePorts = new Set(cfg.ignorePorts);
    this.scratch = new Float64Array(cfg.window);
    this.scratch2 = new Float64Array(cfg.window);
  }

  private internal(ip: string): boolean {
    let r = this.internalCache.get(ip);
    if (r === undefined) {
      r = isInternal(ip);
      this.internalCache.set(ip, r);
    }
    return r;
  }

  observe(v: EventView, ctx: ModelContext): void {
    const cls = v.classUid;
    if (cls !== OCSF_CLASSES.network_activity && cls !== OCSF_CLASSES.http_activity) return;
    const e = v.ev.entities;
    const src = v.src;
    if (!src) return;
    const port = typeof e.dstPort === 'number' ? e.dstPort : undefined;
    if (port !== undefined && this.ignorePorts.has(port)) return;
    let dst = v.domain;
    if (!dst) {
      if (typeof e.dstIp !== 'string' || !e.dstIp) return;
      if (this.cfg.ignoreInternal && this.internal(e.dstIp)) return;
      dst = port !== undefined ? `${e.dstIp}:${port}` : e.dstIp;
    }
    dst = cap(dst, 200);
    const key = `${src}>${dst}`;
    const W = this.cfg.window;
    const t = v.time;
    let p = this.pairs.touch(key);
    if (!p) {
      // literal one-element arrays: a pair seen once (most of them) costs little
      p = { times: [t], sizes: [typeof e.bytesOut === 'number' && e.bytesOut > 0 && e.bytesOut < 1e15 ? e.bytesOut : 0], n: 1, first: t, ids: [v.ev.id] };
      this.pairs.set(key, p);
      this.dstHosts.set(dst, (this.dstHosts.get(dst) ?? 0) + 1);
      return;
    }
    if (p.n > 0) {
      const prev = p.times[(p.n - 1) % W];
      if (t < prev) return; // out of order: ignored (the ring is kept sorted)
      if (t - prev < this.cfg.burstGapMs) {
        p.sizes[(p.n - 1) % W] += typeof e.bytesOut === 'number' && e.bytesOut > 0 && e.bytesOut < 1e15 ? e.bytesOut : 0;
        return;
      }
    }
    p.times[p.n % W] = t;
    p.sizes[p.n % W] = typeof e.bytesOut === 'number' && e.bytesOut > 0 && e.bytesOut < 1e15 ? e.bytesOut : 0;
    p.n++;
    p.ids.push(v.ev.id);
    if (p.ids.length > 3) p.ids.shift();
    if (p.n >= this.cfg.minConnections) this.score(v, ctx, src, dst, p);
  }

  private score(v: EventView, ctx: ModelContext, src: string, dst: string, p: Pair): void {
    const W = this.cfg.window;
    const k = Math.min(p.n, W);
    const start = p.n - k;
    const last = p.times[(p.n - 1) % W];
    const span = last - p.first;
    if (span < this.cfg.minDurationMs) return;
    const fleet = this.dstHosts.get(dst) ?? 0;
    if (fleet > this.cfg.maxFleetHosts) return;
    const iv = this.scratch;
    for (let i = 1; i < k; i++) iv[i - 1] = p.times[(start + i) % W] - p.times[(start + i - 1) % W];
    const ni = k - 1;
    const sorted = iv.subarray(0, ni).slice().sort();
    const med = ni % 2 ? sorted[ni >> 1] : (sorted[(ni >> 1) - 1] + sorted[ni >> 1]) / 2;
    if (med < this.cfg.minIntervalMs || med > this.cfg.maxIntervalMs) return;
    const dev = this.scratch2;
    for (let i = 0; i < ni; i++) dev[i] = Math.abs(iv[i] - med);
    const ds = dev.subarray(0, ni).slice().sort();
    const madI = ni % 2 ? ds[ni >> 1] : (ds[(ni >> 1) - 1] + ds[ni >> 1]) / 2;
    const jitter = madI / med;
    if (jitter > this.cfg.maxJitter) return;
    // size regularity (only when sizes are known)
    let sizeReg = 0;
    let sizeMed = 0;
    let sizeDisp = NaN;
    const sz = new Float64Array(k);
    let known = 0;
    for (let i = 0; i < k; i++) {
      const s = p.sizes[(start + i) % W];
      if (s > 0) sz[known++] = s;
    }
    if (known >= k / 2) {
      const ss = sz.subarray(0, known).sort();
      sizeMed = known % 2 ? ss[known >> 1] : (ss[(known >> 1) - 1] + ss[known >> 1]) / 2;
      for (let i = 0; i < known; i++) sz[i] = Math.abs(ss[i] - sizeMed);
      const sd = sz.subarray(0, known).sort();
      const madS = known % 2 ? sd[known >> 1] : (sd[(known >> 1) - 1] + sd[known >> 1]) / 2;
      sizeDisp = sizeMed > 0 ? madS / sizeMed : NaN;
      sizeReg = Number.isFinite(sizeDisp) ? Math.max(0, 1 - sizeDisp / 0.5) : 0;
    }
    const score = clampScore(55 + 25 * (1 - jitter / this.cfg.maxJitter) + 10 * sizeReg + 10 * Math.min(1, span / (6 * 3600_000)));
    const e = v.ev.entities;
    const web = e.dstPort === 80 || e.dstPort === 443 || v.classUid === OCSF_CLASSES.http_activity;
    ctx.emit({
      kind: 'periodic_connections',
      pattern: `beaconing.periodic src=${src} dst=${dst}`,
      title: `Beaconing: ${src} contacts ${dst} every ~${fmtDuration(med)}`,
      score,
      entity: { type: 'pair', id: `${src}>${dst}` },
      entities: { host: e.host, srcIp: e.srcIp, dstIp: e.dstIp, dstPort: e.dstPort, domain: e.domain },
      expected: { maxJitter: this.cfg.maxJitter, maxFleetHosts: this.cfg.maxFleetHosts, note: 'irregular or fleet-wide traffic is normal' },
      seen: {
        connections: k,
        medianIntervalMs: med,
        jitter: Math.round(jitter * 1000) / 1000,
        durationMs: span,
        medianBytesOut: sizeMed || undefined,
        sizeDispersion: Number.isFinite(sizeDisp) ? Math.round(sizeDisp * 1000) / 1000 : undefined,
        fleetHostsToDestination: fleet,
      },
      why: `${k} connections from ${src} to ${dst} over ${fmtDuration(span)}, median interval ${fmtDuration(med)} with jitter ${(jitter * 100).toFixed(1)}% (MAD/median, periodic below ${(this.cfg.maxJitter * 100).toFixed(0)}%)${Number.isFinite(sizeDisp) ? `, sizes ${Math.round(sizeMed)} B ± ${(sizeDisp * 100).toFixed(0)}%` : ''}; ${fleet} host(s) of the fleet contact this destination`,
      attack: web ? attack(['TA0011'], ['T1071.001', 'T1573']) : attack(['TA0011'], ['T1071', 'T1095']),
      eventIds: [...p.ids],
      time: v.time,
    });
  }

  snapshot(): unknown {
    const W = this.cfg.window;
    const pairs = [...this.pairs.entries()].map(([k, p]) => {
      const m = Math.min(p.n, W);
      const times: number[] = [];
      const sizes: number[] = [];
      for (let i = p.n - m; i < p.n; i++) {
        times.push(p.times[i % W]);
        sizes.push(p.sizes[i % W]);
      }
      return [k, times, sizes, p.n, [...p.ids]];
    });
    return { pairs, firsts: [...this.pairs.values()].map((p) => p.first), dstHosts: [...this.dstHosts.entries()] };
  }

  restore(state: unknown): void {
    const r = stateSchema.safeParse(state);
    if (!r.success) throw stateError(this.name, r.error.issues[0]?.message ?? 'invalid', r.error.issues[0]?.path.join('.'));
    const W = this.cfg.window;
    this.pairs.clear();
    this.dstHosts.clear();
    if (r.data.firsts.length !== r.data.pairs.length) throw stateError(this.name, 'firsts and pairs differ in length', 'firsts');
    for (const [pi, [k, times, sizes, n, ids]] of r.data.pairs.entries()) {
      if (times.length !== sizes.length || times.length > W || times.length !== Math.min(n, W) || !Number.isInteger(n))
        throw stateError(this.name, `pair ${pi}: times/sizes must hold min(n, window) entries`, `pairs.${pi}`);
      const p: Pair = { times: times.map(() => 0), sizes: sizes.map(() => 0), n, first: r.data.firsts[pi], ids: ids.slice(-3) };
      for (let j = 0; j < times.length; j++) {
        const at = (n - times.length + j) % W;
        p.times[at] = times[j];
        p.sizes[at] = sizes[j];
      }
      this.pairs.set(k, p);
    }
    for (const [d, n] of r.data.dstHosts) this.dstHosts.set(d, n);
  }

  entityCount(): number {
    return this.pairs.size;
  }
}

export const beaconingModel = defineModel({
  name: 'beaconing',
  description: 'Periodic connections per source/destination pair: interval regularity, jitter, size regularity and duration.',
  schema: beaconingConfig,
  create: (c) => new BeaconingModel(c),
});
