/**
 * Rarity and first-seen.
 *
 * Remembers, with a last-seen time and LRU eviction, which values each entity has shown:
 * process images and parent→child pairs per host (and how many hosts of the fleet have them),
 * user→host logons, logon types and source addresses per user, installed services, scheduled
 * tasks, members added to local Administrators, and LOLBin command-line shapes fleet-wide.
 * After the learning period a value never seen (or not seen for `forgetAfterMs`) is an anomaly,
 * scored higher when it is also rare across the fleet.
 */
import { z } from 'zod';
import { OCSF_CLASSES, getField } from '../../../core/event.js';
import type { AttackRef } from '../../../core/signal.js';
import type { Anomaly, BaselineModel, EventView, ModelContext } from '../../types.js';
import { commonModelConfig, defineModel } from '../../types.js';
import { LruMap, attack, basename, cap, isServiceAccount, stateError } from '../../util.js';
import { commandShape } from './shape.js';

export const DEFAULT_LOLBINS = [
  'powershell.exe', 'pwsh.exe', 'cmd.exe', 'rundll32.exe', 'regsvr32.exe', 'mshta.exe', 'certutil.exe', 'bitsadmin.exe',
  'wmic.exe', 'cscript.exe', 'wscript.exe', 'msiexec.exe', 'installutil.exe', 'regasm.exe', 'regsvcs.exe', 'msbuild.exe',
  'schtasks.exe', 'sc.exe', 'net.exe', 'net1.exe', 'reg.exe', 'vssadmin.exe', 'wevtutil.exe', 'bcdedit.exe', 'ntdsutil.exe',
  'forfiles.exe', 'hh.exe', 'odbcconf.exe', 'cmstp.exe', 'esentutl.exe', 'expand.exe', 'curl.exe', 'finger.exe', 'at.exe',
  'msdt.exe', 'nltest.exe', 'dsquery.exe', 'whoami.exe', 'comsvcs.dll', 'procdump.exe', 'bash', 'sh', 'curl', 'wget', 'python', 'python3',
];

/** ATT&CK technique for executing a LOLBin, by image name. */
const LOLBIN_ATTACK: Record<string, AttackRef> = {
  'powershell.exe': attack(['TA0002'], ['T1059.001']),
  'pwsh.exe': attack(['TA0002'], ['T1059.001']),
  'cmd.exe': attack(['TA0002'], ['T1059.003']),
  'wmic.exe': attack(['TA0002'], ['T1047']),
  'certutil.exe': attack(['TA0011', 'TA0005'], ['T1105', 'T1140']),
  'bitsadmin.exe': attack(['TA0005', 'TA0003'], ['T1197']),
  'schtasks.exe': attack(['TA0002', 'TA0003'], ['T1053.005']),
  'at.exe': attack(['TA0002', 'TA0003'], ['T1053.002']),
  'sc.exe': attack(['TA0003'], ['T1543.003']),
  'vssadmin.exe': attack(['TA0040'], ['T1490']),
  'wevtutil.exe': attack(['TA0005'], ['T1070.001']),
  'ntdsutil.exe': attack(['TA0006'], ['T1003.003']),
  'nltest.exe': attack(['TA0007'], ['T1482']),
  'net.exe': attack(['TA0007'], ['T1087']),
  'cscript.exe': attack(['TA0002'], ['T1059.005']),
  'wscript.exe': attack(['TA0002'], ['T1059.005']),
};
const PROXY_EXEC = attack(['TA0005'], ['T1218']);

export const rarityConfig = z.object({
  ...commonModelConfig,
  /** A value not seen for this long is treated as new again (decay). */
  forgetAfterMs: z.number().int().positive().default(30 * 24 * 3600_000),
  /** Most remembered (entity, value) pairs across all features; least recently seen are evicted. */
  maxKeys: z.number().int().positive().default(1_000_000),
  /** A process image / pair seen on at most this many hosts is rare fleet-wide. */
  fleetRareHosts: z.number().int().min(0).default(2),
  lolbins: z.array(z.string()).default(DEFAULT_LOLBINS),
  features: z
    .object({
      processImage: z.boolean().default(true),
      parentChild: z.boolean().default(true),
      userHost: z.boolean().default(true),
      logonType: z.boolean().default(true),
      sourceHost: z.boolean().default(true),
      service: z.boolean().default(true),
      task: z.boolean().default(true),
      localAdmin: z.boolean().default(true),
      lolbinShape: z.boolean().default(true),
      /** Cloud API identities: new source address, client (user-agent family), action, resource. */
      cloudIdentity: z.boolean().default(true),
    })
    .prefault({}),
});
export type RarityConfig = z.output<typeof rarityConfig>;

const stateSchema = z.object({
  seen: z.array(z.tuple([z.string(), z.number()])),
  prevalence: z.array(z.tuple([z.string(), z.number()])),
});

function isVersionOrGuid(seg: string): boolean {
  if (seg.length >= 3 && seg[0] === '{' && seg[seg.length - 1] === '}') return true;
  let dots = 0;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c === 46) dots++;
    else if (c < 48 || c > 57) return false;
  }
  return dots > 0 && seg.length > 2;
}

/**
 * Folds the parts of an image path that differ between machines for the same program:
 * `c:\users\alice\appdata\x.exe` → `c:\users\*\appdata\x.exe`, version folders
 * (`\app\1.2.3\app.exe`) and GUID folders (`\{8a6f…}\setup.exe`) → `*`.
 */
export function normalizeImage(image: string): string {
  if (image.indexOf('\\') < 0) return image;
  const parts = image.split('\\');
  let changed = false;
  for (let i = 1; i < parts.length - 1; i++) {
    if ((parts[i - 1] === 'users' && i === 2) || isVersionOrGuid(parts[i])) {
      if (parts[i] !== '*') {
        parts[i] = '*';
        changed = true;
      }
    }
  }
  return changed ? parts.join('\\') : image;
}

const SERVICE_CODES = new Set(['7045', '4697']);
const TASK_CODES = new Set(['4698', '106']);
const ADMIN_GROUP_CODES = new Set(['4732', '4728', '4756']);

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

export class RarityModel implements BaselineModel {
  readonly name = 'rarity';
  private seen: LruMap<string, number>;
  private prevalence: LruMap<string, number>;
  private lolbins: Set<string>;

  constructor(private cfg: RarityConfig) {
    this.seen = new LruMap(cfg.maxKeys);
    this.prevalence = new LruMap(Math.max(1000, cfg.maxKeys >> 2));
    this.lolbins = new Set(cfg.lolbins.map((s) => s.toLowerCase()));
  }

  /**
   * Records key at event time t; returns the previous last-seen time (minutes since the epoch:
   * small integers, stored unboxed), or -1 when new (or not seen for forgetAfterMs).
   */
  private mark(key: string, t: number): number {
    const m = Math.floor(t / 60_000);
    const prev = this.seen.touch(key);
    if (prev === undefined) {
      this.seen.set(key, m);
      return -1;
    }
    if (m > prev) this.seen.setTouched(key, m);
    return (m - prev) * 60_000 > this.cfg.forgetAfterMs ? -1 : prev;
  }

  private bumpPrevalence(key: string): number {
    const n = (this.prevalence.get(key) ?? 0) + 1;
    this.prevalence.set(key, n);
    return n - 1;
  }

  observe(v: EventView, ctx: ModelContext): void {
    const f = this.cfg.features;
    const t = v.time;
    const cls = v.classUid;
    if (cls === OCSF_CLASSES.process_activity && v.image && v.host) this.processEvent(v, ctx);
    else if (cls === OCSF_CLASSES.authentication && v.ev.entities.outcome === 'success') this.logonEvent(v, ctx);
    else if (cls === OCSF_CLASSES.api_activity && f.cloudIdentity && v.user) this.cloudEvent(v, ctx);
    if (f.service && (SERVICE_CODES.has(v.eventCode) || cls === OCSF_CLASSES.windows_service_activity)) {
      const fields = v.ev.fields;
      const path = str(getField(fields, 'ImagePath') ?? getField(fields, 'ServiceFileName')).toLowerCase();
      const name = str(getField(fields, 'ServiceName')).toLowerCase();
      const what = cap(normalizeImage(path || name));
      if (what && this.mark(`svc|${what}`, t) < 0) {
        const hosts = this.bumpPrevalence(`fsvc|${what}`);
        this.first(ctx, v, 'new_service', `svc=${what}`, hosts === 0 ? 75 : 60, 'host', v.host,
          `service "${cap(name, 80)}" (${cap(path, 120)}) installed on ${v.host}; never installed in the fleet before`,
          { servicesKnown: 'this image path was never installed fleet-wide' }, { service: name, imagePath: path },
          attack(['TA0003', 'TA0004'], ['T1543.003']));
      }
    }
    if (f.task && (TASK_CODES.has(v.eventCode) || cls === OCSF_CLASSES.scheduled_job_activity)) {
      const name = cap(str(getField(v.ev.fields, 'TaskName')).toLowerCase());
      if (name && this.mark(`task|${name}`, t) < 0) {
        this.first(ctx, v, 'new_scheduled_task', `task=${name}`, 60, 'host', v.host,
          `scheduled task "${name}" created on ${v.host}; no task of that name existed fleet-wide`,
          { tasksKnown: 'this task name was never created fleet-wide' }, { task: name },
          attack(['TA0002', 'TA0003'], ['T1053.005']));
      }
    }
    if (f.localAdmin && ADMIN_GROUP_CODES.has(v.eventCode)) {
      const fields = v.ev.fields;
      const group = str(getField(fields, 'TargetUserName') ?? getField(fields, 'GroupName')).toLowerCase();
      const gsid = str(getField(fields, 'TargetSid')).toUpperCase();
      const isAdmins = group === 'administrators' || gsid === 'S-1-5-32-544' || group.includes('admin');
      if (isAdmins) {
        const member = cap(str(getField(fields, 'MemberName') ?? getField(fields, 'MemberSid')).toLowerCase() || 'unknown');
        if (this.mark(`adm|${v.host}|${group}|${member}`, t) < 0) {
          this.first(ctx, v, 'new_local_admin', `host=${v.host} group=${group} member=${member}`, 80, 'host', v.host,
            `${member} added to ${group} on ${v.host || 'the domain'}; membership changes of admin groups are rare`,
            { adminMembers: 'no change of this kind seen before' }, { group, member },
            attack(['TA0003', 'TA0004'], ['T1098']));
        }
      }
    }
  }

  private processEvent(v: EventView, ctx: ModelContext): void {
    const f = this.cfg.features;
    const t = v.time;
    const image = normalizeImage(cap(v.image, 260));
    const base = basename(image);
    let reported = false;
    if (f.processImage && this.mark(`pi|${v.host}|${image}`, t) < 0) {
      const hosts = this.bumpPrevalence(`fpi|${image}`);
      const rare = hosts <= this.cfg.fleetRareHosts;
      const score = hosts === 0 ? 80 : rare ? 60 : 25;
      reported = score >= 50;
      this.first(ctx, v, 'first_seen_process', `host=${v.host} image=${image}`, score, 'host', v.host,
        hosts === 0
          ? `${base} ran on ${v.host} for the first time; no host in the fleet had run ${image} before`
          : `${base} ran on ${v.host} for the first time; ${hosts} other host(s) of the fleet run it`,
        { hostsRunningImage: hosts, fleetRareAtMost: this.cfg.fleetRareHosts }, { image, parent: v.parentImage || undefined },
        this.lolbins.has(base) ? (LOLBIN_ATTACK[base] ?? PROXY_EXEC) : undefined);
    }
    if (f.parentChild && v.parentImage) {
      const pair = `${basename(v.parentImage)}>${base}`;
      if (this.mark(`pc|${v.host}|${pair}`, t) < 0) {
        const hosts = this.bumpPrevalence(`fpc|${pair}`);
        if (!reported) {
          const score = hosts === 0 ? 70 : hosts <= this.cfg.fleetRareHosts ? 55 : 20;
          this.first(ctx, v, 'first_seen_parent_child', `host=${v.host} pair=${pair}`, score, 'host', v.host,
            hosts === 0
              ? `${pair.replace('>', ' started ')} on ${v.host}: this parent→child pair was never seen in the fleet`
              : `${pair.replace('>', ' started ')} on ${v.host} for the first time; seen on ${hosts} other host(s)`,
            { hostsWithPair: hosts }, { parent: v.parentImage, image },
            this.lolbins.has(base) ? (LOLBIN_ATTACK[base] ?? PROXY_EXEC) : undefined);
          reported = true;
        }
      }
    }
    const cmd = v.ev.entities.process?.commandLine;
    if (f.lolbinShape && typeof cmd === 'string' && cmd && this.lolbins.has(base)) {
      const shape = cap(commandShape(cmd), 300);
      if (this.mark(`ls|${shape}`, t) < 0 && !reported) {
        this.first(ctx, v, 'rare_lolbin_cmdline', `image=${base} shape=${shape}`, 65, 'host', v.host,
          `${base} ran with a command-line shape never seen in the fleet: "${shape}"`,
          { shapesKnown: 'this shape never seen fleet-wide' }, { shape, commandLine: cap(cmd, 500) },
          LOLBIN_ATTACK[base] ?? PROXY_EXEC);
      }
    }
  }

  /**
   * A cloud identity (an IAM user, a role, an access key's owner) calling an API: what is new for
   * it — source address, client family (user agent up to its first "/"), action, resource (bucket).
   * One anomaly per event names everything new at once; more new aspects, higher score.
   */
  private cloudEvent(v: EventView, ctx: ModelContext): void {
    const e = v.ev.entities;
    const fields = v.ev.fields;
    const t = v.time;
    const user = v.user;
    const news: [string, string][] = [];
    const src = typeof e.srcIp === 'string' ? cap(e.srcIp, 64) : '';
    if (src && this.mark(`csrc|${user}|${src}`, t) < 0) news.push(['source_ip', src]);
    const uaRaw = str(getField(fields, 'userAgent') ?? getField(fields, 'user_agent'));
    if (uaRaw) {
      let ua = uaRaw.slice(0, 200).toLowerCase();
      if (ua[0] === '[') ua = ua.slice(1);
      const cut = ua.search(/[/ ]/);
      ua = cap(cut > 0 ? ua.slice(0, cut) : ua, 64);
      if (this.mark(`cua|${user}|${ua}`, t) < 0) news.push(['client', ua]);
    }
    const action = typeof e.action === 'string' ? cap(e.action.toLowerCase(), 128) : '';
    if (action && this.mark(`cact|${user}|${action}`, t) < 0) news.push(['action', action]);
    const res = str(getField(fields, 'requestParameters.bucketName') ?? getField(fields, 'requestParameters.tableName') ?? getField(fields, 'requestParameters.secretId'));
    if (res && this.mark(`cres|${user}|${cap(res.toLowerCase(), 200)}`, t) < 0) news.push(['resource', cap(res.toLowerCase(), 200)]);
    if (!news.length) return;
    const score = Math.min(85, 40 + 15 * news.length);
    const what = news.map(([k, x]) => `${k.replace('_', ' ')} ${x}`).join(', ');
    const resourceNew = news.some(([k]) => k === 'resource');
    this.first(ctx, v, 'cloud_identity_new', `user=${user} ${news.map(([k, x]) => `${k}=${x}`).join(' ')}`, score, 'user', user,
      `cloud identity ${user} used, for the first time, ${what}${news.length > 1 ? ` (${news.length} new aspects in one call)` : ''}`,
      { newAspects: news.length, note: 'each aspect never seen for this identity' }, Object.fromEntries(news),
      resourceNew ? attack(['TA0001', 'TA0009'], ['T1078.004', 'T1530']) : attack(['TA0001'], ['T1078.004']));
  }

  private logonEvent(v: EventView, ctx: ModelContext): void {
    const f = this.cfg.features;
    const user = v.targetUser || v.user;
    if (isServiceAccount(user) || !v.host) return;
    const t = v.time;
    const e = v.ev.entities;
    const lt = typeof e.logonType === 'number' && Number.isInteger(e.logonType) ? e.logonType : undefined;
    const remote = lt === 3 || lt === 10;
    const logonAttack = remote ? attack(['TA0008', 'TA0001'], ['T1021', 'T1078']) : attack(['TA0001'], ['T1078']);
    let reported = false;
    if (f.userHost && this.mark(`uh|${user}|${v.host}`, t) < 0) {
      const hostsOfUser = this.bumpPrevalence(`uhc|${user}`);
      // a user who logs on to many hosts (an admin, a help-desk account) is less surprising
      const score = hostsOfUser === 0 ? 45 : Math.max(30, 65 - 3 * hostsOfUser);
      reported = score >= 50;
      this.first(ctx, v, 'first_logon_user_host', `user=${user} host=${v.host}`, score, 'user', user,
        `${user} logged on to ${v.host} for the first time (logon type ${lt ?? '?'}); ${user} had logged on to ${hostsOfUser} host(s) before`,
        { hostsOfUser: hostsOfUser }, { host: v.host, logonType: lt }, logonAttack);
    }
    if (f.logonType && lt !== undefined && this.mark(`lt|${user}|${lt}`, t) < 0 && !reported) {
      this.first(ctx, v, 'new_logon_type', `user=${user} logon_type=${lt}`, remote ? 55 : 40, 'user', user,
        `${user} used logon type ${lt} for the first time`, { logonTypes: 'others only' }, { logonType: lt }, logonAttack);
      reported = true;
    }
    const src = e.srcIp && e.srcIp !== '-' && e.srcIp !== '::1' && e.srcIp !== '127.0.0.1' ? e.srcIp : str(getField(v.ev.fields, 'WorkstationName')).toLowerCase();
    if (f.sourceHost && src && src !== '-' && this.mark(`sh|${user}|${cap(src, 100)}`, t) < 0 && !reported) {
      this.first(ctx, v, 'new_logon_source', `user=${user} src=${cap(src, 100)}`, 45, 'user', user,
        `${user} logged on from ${src} for the first time`, { sources: 'others only' }, { source: src, host: v.host }, logonAttack);
    }
  }

  private first(
    ctx: ModelContext, v: EventView, kind: string, key: string, score: number, etype: Anomaly['entity']['type'], eid: string,
    why: string, expected: Record<string, unknown>, seen: Record<string, unknown>, att?: AttackRef,
  ): void {
    ctx.emit({
      kind,
      pattern: `rarity.${kind} ${key}`,
      title: `Rarity: ${kind.replace(/_/g, ' ')} on ${v.host || eid}`,
      score,
      entity: { type: etype, id: eid || v.host },
      entities: { host: v.ev.entities.host, user: v.ev.entities.user, targetUser: v.ev.entities.targetUser, process: v.ev.entities.process },
      expected,
      seen,
      why,
      attack: att,
      eventIds: [v.ev.id],
      time: v.time,
    });
  }

  snapshot(): unknown {
    return { seen: [...this.seen.entries()], prevalence: [...this.prevalence.entries()] };
  }

  restore(state: unknown): void {
    const r = stateSchema.safeParse(state);
    if (!r.success) throw stateError(this.name, r.error.issues[0]?.message ?? 'invalid', r.error.issues[0]?.path.join('.'));
    this.seen.clear();
    this.prevalence.clear();
    for (const [k, t] of r.data.seen) this.seen.set(k, t);
    for (const [k, n] of r.data.prevalence) this.prevalence.set(k, n);
  }

  entityCount(): number {
    return this.seen.size;
  }
}

export const rarityModel = defineModel({
  name: 'rarity',
  description: 'First-seen and rare values per host/user and fleet-wide (processes, parent→child, logons, services, tasks, admins, LOLBin command-line shapes).',
  schema: rarityConfig,
  create: (c) => new RarityModel(c),
});
