/**
 * DNS: algorithmically generated names, rare registered domains and tunnelling.
 *
 * Names are split with the Public Suffix List (tldts): `a.b.evil.co.uk` → registered domain
 * `evil.co.uk`, label `evil`, subdomain `a.b`.
 *  - rare / DGA: a registered domain no host of the fleet had queried before (after learning) is
 *    scored by how generated its label looks (bigram model, entropy, digits); a burst of such
 *    names from one host is a DGA signature;
 *  - tunnelling: per host and registered domain, over a window, queries with long or
 *    high-entropy subdomains and TXT queries are counted.
 */
import { parse } from 'tldts';
import { z } from 'zod';
import { OCSF_CLASSES, getField } from '../../../core/event.js';
import type { BaselineModel, EventView, ModelContext } from '../../types.js';
import { commonModelConfig, defineModel } from '../../types.js';
import { LruMap, attack, cap, clampScore, entropy, stateError } from '../../util.js';
import { dgaScore } from './ngram.js';

export const dnsConfig = z.object({
  ...commonModelConfig,
  /** Labels shorter than this are not scored as generated (too little signal). */
  minDgaLength: z.number().int().min(4).default(8),
  /** 0..1 generated-ness at which a new registered domain is reported as DGA-like. */
  dgaThreshold: z.number().min(0).max(1).default(0.6),
  /** New DGA-like domains from one host within `windowMs` that make a burst. */
  dgaBurst: z.number().int().min(2).default(5),
  /** Score of a new registered domain that does not look generated (below the default threshold: context only). */
  rareDomainScore: z.number().min(0).max(100).default(30),
  windowMs: z.number().int().positive().default(3600_000),
  /** A subdomain at least this long is "long". */
  longSubdomain: z.number().int().min(8).default(40),
  /** A subdomain label of at least 16 characters with this entropy (bits/char) is "high-entropy". */
  highEntropy: z.number().min(0).default(3.6),
  /** Long/high-entropy queries to one registered domain from one host within the window: tunnelling. */
  tunnelQueries: z.number().int().min(1).default(25),
  /** TXT queries to one registered domain from one host within the window. */
  txtQueries: z.number().int().min(1).default(40),
  /** Event fields that may hold the query type (first present wins). */
  qtypeFields: z.array(z.string()).default(['qtype_name', 'query_type', 'QueryType', 'dns.question.type', 'record_type', 'qtype']),
  maxDomains: z.number().int().positive().default(500_000),
});
export type DnsConfig = z.output<typeof dnsConfig>;

interface Parsed {
  reg: string; // registered domain
  label: string; // registered label (without suffix)
  sub: string; // subdomain
}

interface Window {
  start: number;
  tunnel: number;
  txt: number;
  maxLen: number;
  maxEnt: number;
  ids: string[];
  reported: boolean;
}

const stateSchema = z.object({
  domains: z.array(z.tuple([z.string(), z.number()])),
  hostDomains: z.array(z.tuple([z.string(), z.number()])),
});

export class DnsModel implements BaselineModel {
  readonly name = 'dns';
  /** registered domain → number of hosts that queried it */
  private domains: LruMap<string, number>;
  private hostDomains: LruMap<string, number>;
  private parseCache = new LruMap<string, Parsed | null>(50_000);
  private windows: LruMap<string, Window>;
  private bursts: LruMap<string, { start: number; n: number; names: string[]; ids: string[] }>;

  constructor(private cfg: DnsConfig) {
    this.domains = new LruMap(cfg.maxDomains);
    this.hostDomains = new LruMap(cfg.maxDomains * 2);
    this.windows = new LruMap(100_000);
    this.bursts = new LruMap(50_000);
  }

  private split(name: string): Parsed | null {
    let p = this.parseCache.get(name);
    if (p !== undefined) return p;
    const r = parse(name, { allowPrivateDomains: false, extractHostname: false });
    p = r.isIp || !r.domain || !r.domainWithoutSuffix ? null : { reg: r.domain, label: r.domainWithoutSuffix, sub: r.subdomain ?? '' };
    this.parseCache.set(name, p);
    return p;
  }

  private qtype(v: EventView): string {
    for (const f of this.cfg.qtypeFields) {
      const x = getField(v.ev.fields, f);
      if (typeof x === 'string' && x) return x.toUpperCase();
      if (typeof x === 'number') return x === 16 ? 'TXT' : String(x);
    }
    return '';
  }

  observe(v: EventView, ctx: ModelContext): void {
    if (v.classUid !== OCSF_CLASSES.dns_activity || !v.domain) return;
    const p = this.split(v.domain);
    if (!p) return;
    const host = v.src || 'unknown';
    const t = v.time;
    // rare registered domain, DGA
    const hk = `${host}|${p.reg}`;
    if (this.hostDomains.touch(hk) === undefined) {
      this.hostDomains.set(hk, Math.floor(t / 60_000)); // minutes: stored unboxed
      const before = this.domains.get(p.reg) ?? 0;
      this.domains.set(p.reg, before + 1);
      if (before === 0) this.newDomain(v, ctx, host, p);
    }
    // tunnelling
    const sub = p.sub;
    const qt = this.qtype(v);
    let longish = false;
    let ent = 0;
    if (sub.length >= this.cfg.longSubdomain) longish = true;
    else if (sub.length >= 16) {
      let maxLabel = '';
      for (const l of sub.split('.')) if (l.length > maxLabel.length) maxLabel = l;
      if (maxLabel.length >= 16) {
        ent = entropy(maxLabel);
        longish = ent >= this.cfg.highEntropy;
      }
    }
    const isTxt = qt === 'TXT';
    if (!longish && !isTxt) return;
    let w = this.windows.touch(hk);
    if (!w || t - w.start >= this.cfg.windowMs) {
      w = { start: t, tunnel: 0, txt: 0, maxLen: 0, maxEnt: 0, ids: [], reported: false };
      this.windows.set(hk, w);
    }
    if (longish) w.tunnel++;
    if (isTxt) w.txt++;
    if (sub.length > w.maxLen) w.maxLen = sub.length;
    if (ent > w.maxEnt) w.maxEnt = ent;
    if (w.ids.length < 5) w.ids.push(v.ev.id);
    if (!w.reported && (w.tunnel >= this.cfg.tunnelQueries || w.txt >= this.cfg.txtQueries)) {
      w.reported = true;
      const fleet = this.domains.get(p.reg) ?? 0;
      const score = clampScore(65 + 5 * Math.log2(Math.max(w.tunnel / this.cfg.tunnelQueries, w.txt / this.cfg.txtQueries)) + (fleet <= 1 ? 10 : 0));
      ctx.emit({
        kind: 'tunnelling',
        pattern: `dns.tunnelling host=${host} domain=${p.reg}`,
        title: `DNS: possible tunnelling from ${host} via ${p.reg}`,
        score,
        entity: { type: 'host', id: host },
        entities: { host: v.ev.entities.host, srcIp: v.ev.entities.srcIp, domain: p.reg },
        expected: { longOrHighEntropyPerWindow: `< ${this.cfg.tunnelQueries}`, txtPerWindow: `< ${this.cfg.txtQueries}`, windowMs: this.cfg.windowMs },
        seen: { longOrHighEntropyQueries: w.tunnel, txtQueries: w.txt, longestSubdomain: w.maxLen, maxLabelEntropy: Math.round(w.maxEnt * 100) / 100, fleetHosts: fleet },
        why: `${host} sent ${w.tunnel} queries with long/high-entropy subdomains (longest ${w.maxLen} chars) and ${w.txt} TXT queries under ${p.reg} within ${Math.round((t - w.start) / 60_000)} min; ${fleet} host(s) of the fleet query this domain`,
        attack: attack(['TA0011', 'TA0010'], ['T1071.004', 'T1048']),
        eventIds: [...w.ids],
        time: t,
      });
    }
  }

  private newDomain(v: EventView, ctx: ModelContext, host: string, p: Parsed): void {
    const label = p.label;
    const generated = label.length >= this.cfg.minDgaLength && !label.startsWith('xn--') ? dgaScore(label) : undefined;
    const isDga = generated !== undefined && generated.score >= this.cfg.dgaThreshold;
    const t = v.time;
    if (isDga) {
      let b = this.bursts.touch(host);
      if (!b || t - b.start >= this.cfg.windowMs) {
        b = { start: t, n: 0, names: [], ids: [] };
        this.bursts.set(host, b);
      }
      b.n++;
      if (b.names.length < 10) b.names.push(p.reg);
      if (b.ids.length < 5) b.ids.push(v.ev.id);
      if (b.n === this.cfg.dgaBurst) {
        ctx.emit({
          kind: 'dga_burst',
          pattern: `dns.dga_burst host=${host}`,
          title: `DNS: ${host} queried ${b.n} generated-looking new domains`,
          score: 88,
          entity: { type: 'host', id: host },
          entities: { host: v.ev.entities.host, srcIp: v.ev.entities.srcIp },
          expected: { newGeneratedDomainsPerWindow: `< ${this.cfg.dgaBurst}` },
          seen: { count: b.n, examples: b.names, windowMs: t - b.start },
          why: `${host} queried ${b.n} registered domains never seen in the fleet whose names look generated (e.g. ${b.names.slice(0, 3).join(', ')}) within ${Math.round((t - b.start) / 60_000)} min`,
          attack: attack(['TA0011'], ['T1568.002']),
          eventIds: [...b.ids],
          time: t,
        });
      }
    }
    const g = generated;
    ctx.emit({
      kind: isDga ? 'dga_domain' : 'rare_domain',
      pattern: `dns.${isDga ? 'dga_domain' : 'rare_domain'} domain=${cap(p.reg, 200)}`,
      title: isDga ? `DNS: generated-looking new domain ${cap(p.reg, 80)}` : `DNS: first query in the fleet for ${cap(p.reg, 80)}`,
      score: isDga && g ? clampScore(55 + 35 * g.score) : this.cfg.rareDomainScore,
      entity: { type: 'domain', id: p.reg },
      entities: { host: v.ev.entities.host, srcIp: v.ev.entities.srcIp, domain: v.domain },
      expected: { fleetHostsBefore: 0, dgaThreshold: this.cfg.dgaThreshold },
      seen: g
        ? { registeredDomain: p.reg, dgaScore: Math.round(g.score * 100) / 100, meanLogProb: Math.round(g.meanLogProb * 100) / 100, entropy: Math.round(g.entropy * 100) / 100, digitShare: Math.round(g.digitShare * 100) / 100 }
        : { registeredDomain: p.reg },
      why: isDga && g
        ? `${host} queried ${p.reg}, never queried in the fleet before; its label "${cap(label, 63)}" looks generated (score ${g.score.toFixed(2)} ≥ ${this.cfg.dgaThreshold}: ${g.meanLogProb.toFixed(1)} bits per character transition vs about -3.8 for ordinary names, entropy ${g.entropy.toFixed(2)})`
        : `${host} queried ${p.reg}, a registered domain no host of the fleet had queried before`,
      attack: isDga ? attack(['TA0011'], ['T1568.002']) : attack(['TA0011'], ['T1071.004']),
      eventIds: [v.ev.id],
      time: t,
    });
  }

  snapshot(): unknown {
    return { domains: [...this.domains.entries()], hostDomains: [...this.hostDomains.entries()] };
  }

  restore(state: unknown): void {
    const r = stateSchema.safeParse(state);
    if (!r.success) throw stateError(this.name, r.error.issues[0]?.message ?? 'invalid', r.error.issues[0]?.path.join('.'));
    this.domains.clear();
    this.hostDomains.clear();
    this.windows.clear();
    this.bursts.clear();
    for (const [d, n] of r.data.domains) this.domains.set(d, n);
    for (const [k, t] of r.data.hostDomains) this.hostDomains.set(k, t);
  }

  entityCount(): number {
    return this.domains.size + this.hostDomains.size;
  }
}

export const dnsModel = defineModel({
  name: 'dns',
  description: 'Generated-looking and rare registered domains (public-suffix aware) and DNS tunnelling (long/high-entropy labels, TXT volume).',
  schema: dnsConfig,
  create: (c) => new DnsModel(c),
});
