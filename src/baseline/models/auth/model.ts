/**
 * Authentication: brute force, password spraying, success after many failures, impossible travel.
 *
 * Sliding windows in event time, with bounded per-key lists of timestamps:
 *  - brute force: one user, one source, ≥ `bruteForce.failures` failures within its window;
 *  - spraying: one source failing against ≥ `spray.users` distinct users within its window with
 *    few attempts per user (a user mistyping a password fails once or twice against one account);
 *  - success after failures: a success for a user who had ≥ `successAfter.failures` recent failures;
 *  - impossible travel: two successes of one user whose locations (when the event carries
 *    coordinates) are further apart than `travel.maxKmh` allows in the time between them.
 */
import { z } from 'zod';
import { OCSF_CLASSES, getField } from '../../../core/event.js';
import type { BaselineModel, EventView, ModelContext } from '../../types.js';
import { commonModelConfig, defineModel } from '../../types.js';
import { LruMap, attack, cap, clampScore, fmtDuration, stateError } from '../../util.js';

export const authConfig = z.object({
  ...commonModelConfig,
  learningMs: z.number().int().min(0).default(0),
  cooldownMs: z.number().int().min(0).default(3600_000),
  bruteForce: z.object({ failures: z.number().int().min(2).default(10), windowMs: z.number().int().positive().default(10 * 60_000) }).prefault({}),
  spray: z
    .object({
      users: z.number().int().min(2).default(10),
      maxPerUser: z.number().min(1).default(3),
      windowMs: z.number().int().positive().default(3600_000),
    })
    .prefault({}),
  successAfter: z.object({ failures: z.number().int().min(1).default(6), windowMs: z.number().int().positive().default(30 * 60_000) }).prefault({}),
  travel: z
    .object({
      maxKmh: z.number().positive().default(900),
      minKm: z.number().min(0).default(500),
      /** [latitude path, longitude path] pairs tried in order. */
      coordinateFields: z
        .array(z.tuple([z.string(), z.string()]))
        .default([
          ['location.geoCoordinates.latitude', 'location.geoCoordinates.longitude'],
          ['client.geographicalContext.geolocation.lat', 'client.geographicalContext.geolocation.lon'],
          ['source.geo.location.lat', 'source.geo.location.lon'],
          ['geo.lat', 'geo.lon'],
          ['latitude', 'longitude'],
        ]),
      placeFields: z.array(z.string()).default(['location.city', 'client.geographicalContext.city', 'source.geo.city_name', 'geo.city', 'city']),
    })
    .prefault({}),
  maxKeys: z.number().int().positive().default(200_000),
});
export type AuthConfig = z.output<typeof authConfig>;

interface Loc {
  t: number;
  lat: number;
  lon: number;
  place: string;
  id: string;
}

const stateSchema = z.object({
  pair: z.array(z.tuple([z.string(), z.array(z.number())])),
  user: z.array(z.tuple([z.string(), z.array(z.number())])),
  src: z.array(z.tuple([z.string(), z.array(z.tuple([z.number(), z.string()]))])),
  loc: z.array(z.tuple([z.string(), z.object({ t: z.number(), lat: z.number(), lon: z.number(), place: z.string(), id: z.string() })])),
});

/** Great-circle distance in km. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const R = 6371;
  const r = Math.PI / 180;
  const dLat = (lat2 - lat1) * r;
  const dLon = (lon2 - lon1) * r;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
}

const LOCAL_ADDRESSES = new Set(['', '-', '127.0.0.1', '::1', '0.0.0.0', '::', '::ffff:127.0.0.1']);

function prune(list: number[], from: number): void {
  let i = 0;
  while (i < list.length && list[i] < from) i++;
  if (i) list.splice(0, i);
}

function num(x: unknown): number {
  return typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
}

export class AuthModel implements BaselineModel {
  readonly name = 'auth';
  private pair: LruMap<string, number[]>;
  private user: LruMap<string, number[]>;
  private src: LruMap<string, [number, string][]>;
  private loc: LruMap<string, Loc>;
  private ids = new LruMap<string, string[]>(50_000);

  constructor(private cfg: AuthConfig) {
    this.pair = new LruMap(cfg.maxKeys);
    this.user = new LruMap(cfg.maxKeys);
    this.src = new LruMap(cfg.maxKeys);
    this.loc = new LruMap(cfg.maxKeys);
  }

  private evidence(key: string, id: string): string[] {
    let l = this.ids.touch(key);
    if (!l) this.ids.set(key, (l = []));
    l.push(id);
    if (l.length > 5) l.shift();
    return l;
  }

  observe(v: EventView, ctx: ModelContext): void {
    if (v.classUid !== OCSF_CLASSES.authentication) return;
    const e = v.ev.entities;
    const user = v.targetUser || v.user;
    if (!user || user === '-') return;
    const t = v.time;
    // a loopback / empty address is not a network source: each host's local logons stay apart
    const ip = typeof e.srcIp === 'string' && !LOCAL_ADDRESSES.has(e.srcIp) ? e.srcIp : '';
    const ws = getField(v.ev.fields, 'WorkstationName');
    const srcRaw = ip || (typeof ws === 'string' && ws !== '-' ? ws.toLowerCase() : '') || (v.host ? `local@${v.host}` : '');
    const src = cap(srcRaw || 'unknown', 100);
    if (e.outcome === 'failure') this.failure(v, ctx, user, src, t);
    else if (e.outcome === 'success') this.success(v, ctx, user, src, t);
  }

  private failure(v: EventView, ctx: ModelContext, user: string, src: string, t: number): void {
    const c = this.cfg;
    // brute force: user × source
    const pk = `${user}|${src}`;
    let pl = this.pair.touch(pk);
    if (!pl) this.pair.set(pk, (pl = []));
    pl.push(t);
    prune(pl, t - c.bruteForce.windowMs);
    if (pl.length > c.bruteForce.failures * 2) pl.splice(0, pl.length - c.bruteForce.failures * 2);
    const ids = this.evidence(pk, v.ev.id);
    if (pl.length >= c.bruteForce.failures) {
      ctx.emit({
        kind: 'brute_force',
        pattern: `auth.brute_force user=${user} src=${src}`,
        title: `Authentication: brute force against ${user} from ${src}`,
        score: clampScore(60 + 10 * Math.log2(pl.length / c.bruteForce.failures)),
        entity: { type: 'user', id: user },
        entities: { host: v.ev.entities.host, user: v.ev.entities.user, targetUser: v.ev.entities.targetUser, srcIp: v.ev.entities.srcIp },
        expected: { failuresPerWindow: `< ${c.bruteForce.failures}`, windowMs: c.bruteForce.windowMs },
        seen: { failures: pl.length, source: src, spanMs: t - pl[0] },
        why: `${pl.length} failed logons for ${user} from ${src} within ${fmtDuration(t - pl[0])} (threshold ${c.bruteForce.failures} in ${fmtDuration(c.bruteForce.windowMs)})`,
        attack: attack(['TA0006'], ['T1110.001']),
        eventIds: [...ids],
        time: t,
      });
    }
    // spraying: source × distinct users
    let sl = this.src.touch(src);
    if (!sl) this.src.set(src, (sl = []));
    sl.push([t, user]);
    let i = 0;
    while (i < sl.length && sl[i][0] < t - c.spray.windowMs) i++;
    if (i) sl.splice(0, i);
    if (sl.length > 512) sl.splice(0, sl.length - 512);
    const sids = this.evidence(`src|${src}`, v.ev.id);
    if (sl.length >= c.spray.users) {
      const users = new Set<string>();
      for (const [, u] of sl) users.add(u);
      const perUser = sl.length / users.size;
      if (users.size >= c.spray.users && perUser <= c.spray.maxPerUser) {
        ctx.emit({
          kind: 'password_spray',
          pattern: `auth.password_spray src=${src}`,
          title: `Authentication: password spraying from ${src}`,
          score: clampScore(70 + 10 * Math.log2(users.size / c.spray.users)),
          entity: { type: 'source', id: src },
          entities: { host: v.ev.entities.host, srcIp: v.ev.entities.srcIp },
          expected: { distinctUsersPerWindow: `< ${c.spray.users}`, windowMs: c.spray.windowMs },
          seen: { distinctUsers: users.size, failures: sl.length, attemptsPerUser: Math.round(perUser * 100) / 100, examples: [...users].slice(0, 10) },
          why: `${src} failed to log on as ${users.size} different users (${sl.length} failures, ${perUser.toFixed(1)} per user) within ${fmtDuration(t - sl[0][0])}; spraying tries few passwords against many accounts`,
          attack: attack(['TA0006'], ['T1110.003']),
          eventIds: [...sids],
          time: t,
        });
      }
    }
    // failures per user, for success-after-failures
    let ul = this.user.touch(user);
    if (!ul) this.user.set(user, (ul = []));
    ul.push(t);
    prune(ul, t - c.successAfter.windowMs);
    if (ul.length > 256) ul.splice(0, ul.length - 256);
    this.evidence(`user|${user}`, v.ev.id);
  }

  private success(v: EventView, ctx: ModelContext, user: string, src: string, t: number): void {
    const c = this.cfg;
    const ul = this.user.get(user);
    if (ul) {
      prune(ul, t - c.successAfter.windowMs);
      if (ul.length >= c.successAfter.failures) {
        const ids = [...(this.ids.get(`user|${user}`) ?? []), v.ev.id];
        ctx.emit({
          kind: 'success_after_failures',
          pattern: `auth.success_after_failures user=${user}`,
          title: `Authentication: ${user} logged on after ${ul.length} failures`,
          score: clampScore(75 + 5 * Math.log2(ul.length / c.successAfter.failures)),
          entity: { type: 'user', id: user },
          entities: { host: v.ev.entities.host, user: v.ev.entities.user, targetUser: v.ev.entities.targetUser, srcIp: v.ev.entities.srcIp },
          expected: { failuresBeforeSuccess: `< ${c.successAfter.failures}` },
          seen: { failures: ul.length, spanMs: t - ul[0], source: src },
          why: `${user} logged on successfully from ${src} after ${ul.length} failed attempts within ${fmtDuration(t - ul[0])} (a mistyped password gives one or two)`,
          attack: attack(['TA0006', 'TA0001'], ['T1110', 'T1078']),
          eventIds: ids.slice(-6),
          time: t,
        });
      }
      ul.length = 0;
    }
    // impossible travel
    const fields = v.ev.fields;
    let lat = NaN;
    let lon = NaN;
    for (const [a, b] of c.travel.coordinateFields) {
      lat = num(getField(fields, a));
      lon = num(getField(fields, b));
      if (Number.isFinite(lat) && Number.isFinite(lon)) break;
    }
    if (!(Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) return;
    let place = '';
    for (const f of c.travel.placeFields) {
      const x = getField(fields, f);
      if (typeof x === 'string' && x) {
        place = cap(x, 80);
        break;
      }
    }
    const prev = this.loc.get(user);
    this.loc.set(user, { t, lat, lon, place, id: v.ev.id });
    if (!prev || t < prev.t) return;
    const km = haversineKm(prev.lat, prev.lon, lat, lon);
    const hours = Math.max((t - prev.t) / 3600_000, 1 / 60);
    const kmh = km / hours;
    if (km >= c.travel.minKm && kmh > c.travel.maxKmh) {
      ctx.emit({
        kind: 'impossible_travel',
        pattern: `auth.impossible_travel user=${user}`,
        title: `Authentication: impossible travel for ${user}`,
        score: clampScore(70 + 10 * Math.log2(kmh / c.travel.maxKmh)),
        entity: { type: 'user', id: user },
        entities: { user: v.ev.entities.user, targetUser: v.ev.entities.targetUser, srcIp: v.ev.entities.srcIp },
        expected: { maxKmh: c.travel.maxKmh, previous: { place: prev.place || `${prev.lat},${prev.lon}`, time: new Date(prev.t).toISOString() } },
        seen: { place: place || `${lat},${lon}`, km: Math.round(km), hours: Math.round(hours * 100) / 100, kmh: Math.round(kmh) },
        why: `${user} signed in from ${place || `${lat},${lon}`} ${Math.round(km)} km from the previous sign-in (${prev.place || `${prev.lat},${prev.lon}`}) ${fmtDuration(t - prev.t)} earlier: ${Math.round(kmh)} km/h, more than ${c.travel.maxKmh} km/h`,
        attack: attack(['TA0001'], ['T1078']),
        eventIds: [prev.id, v.ev.id],
        time: t,
      });
    }
  }

  snapshot(): unknown {
    return { pair: [...this.pair.entries()], user: [...this.user.entries()], src: [...this.src.entries()], loc: [...this.loc.entries()] };
  }

  restore(state: unknown): void {
    const r = stateSchema.safeParse(state);
    if (!r.success) throw stateError(this.name, r.error.issues[0]?.message ?? 'invalid', r.error.issues[0]?.path.join('.'));
    this.pair.clear();
    this.user.clear();
    this.src.clear();
    this.loc.clear();
    this.ids.clear();
    for (const [k, l] of r.data.pair) this.pair.set(k, l);
    for (const [k, l] of r.data.user) this.user.set(k, l);
    for (const [k, l] of r.data.src) this.src.set(k, l);
    for (const [k, l] of r.data.loc) this.loc.set(k, l);
  }

  entityCount(): number {
    return this.pair.size + this.user.size + this.src.size + this.loc.size;
  }
}

export const authModel = defineModel({
  name: 'auth',
  description: 'Brute force, password spraying, success after many failures and impossible travel.',
  schema: authConfig,
  create: (c) => new AuthModel(c),
});
