/**
 * Incident building on the live stream. Signals that share entities or lineage (within per-kind
 * windows, weighted by rarity and role) join one cluster; a signal bridging clusters merges them
 * (the older survives, the other points at it by `mergedInto`); analysts split and merge. A
 * cluster becomes an incident (persisted in the `incidents` collection and handed to `next`) once
 * it is worth a person's attention (config `publish`). Deterministic: the same signals in the
 * same order give the same incidents and ids (ids are derived from content, never random).
 */
import type { GarrisonEvent } from '../core/event.js';
import { GarrisonError } from '../core/errors.js';
import type { Incident, IncidentStatus } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import type { EventConsumer, IncidentChangeKind, IncidentConsumer, SignalConsumer } from '../core/stages.js';
import type { Store, StoredRecord } from '../store/port.js';
import { type CorrelationConfig, type CorrelationConfigInput, type KeyKind, parseCorrelationConfig } from './config.js';
import { ContextIndex } from './context.js';
import { IdentityGraph, SYSTEM_LOGON_IDS } from './identity.js';
import { extractKeys, signalHost, wantsEvidence, type SigKey } from './keys.js';
import { buildStory, levelRank, type SigRec, type Story } from './story.js';
import { clean, Lru, sha1hex } from './util.js';

export interface Correlator extends SignalConsumer, EventConsumer {
  /** Waits until every submitted batch is processed and persisted. */
  flush(): Promise<void>;
  /** Flushes and detaches from the store (no further signals accepted). */
  close(): Promise<void>;
  /** Moves the given signals of an incident into a new incident (analyst split). */
  split(incidentId: string, signalIds: string[], by: string): Promise<Incident>;
  /** Merges incidents into the oldest of them (analyst merge). */
  merge(ids: string[], by: string): Promise<Incident>;
  /** Current state sizes (for the bounded-state test, metrics and the benchmark). */
  stats(): CorrelatorStats;
  readonly config: CorrelationConfig;
  readonly context: ContextIndex;
}

export interface CorrelatorStats {
  signals: number;
  duplicates: number;
  clusters: number;
  published: number;
  keys: number;
  identityEntries: number;
  merges: number;
  storeLookups: number;
  /** Store reads of evidence events (one per tenant per batch that needed them). */
  evidenceLookups: number;
  retired: number;
  nextErrors: number;
}

export interface CorrelatorOptions {
  store: Store;
  config?: CorrelationConfigInput;
  context?: ContextIndex;
  next?: IncidentConsumer;
  /** Wall clock for createdAt/updatedAt (default Date.now); ids and grouping never depend on it. */
  now?: () => number;
}

interface Cluster {
  id: string;
  tenant: string;
  seq: number;
  createdAt: number;
  sigs: SigRec[];
  overflow: number;
  keys: Map<string, number>;
  firstSeen: number;
  lastSeen: number;
  published: boolean;
  /** Event time at which it first met the publish rule (Incident.detectedAt). */
  detectedAt?: number;
  mergedFrom: string[];
  splitFrom?: string;
  /** Set once absorbed by another cluster. */
  mergedInto?: string;
  separated: Set<string>;
  change?: IncidentChangeKind;
  /** What of the incident as last stored must be carried over (fields other stages own: status, verdicts ...). */
  stored?: Carried;
}

const LOOKUP_WINDOW = 24 * 3_600_000;

type Carried = Pick<Incident, 'status' | 'createdAt' | 'revision'> & Partial<Pick<Incident, 'verdict' | 'analystVerdict' | 'investigationId' | 'closeReason'>>;
function carried(i: Incident): Carried {
  const c: Carried = { status: i.status, createdAt: i.createdAt, revision: i.revision };
  if (i.verdict !== undefined) c.verdict = i.verdict;
  if (i.analystVerdict !== undefined) c.analystVerdict = i.analystVerdict;
  if (i.investigationId !== undefined) c.investigationId = i.investigationId;
  if (i.closeReason !== undefined) c.closeReason = i.closeReason;
  return c;
}
const LIVE = new WeakMap<Store, Correlator>();

/** The live correlator running against this store, if one was created (used by the API service). */
export function liveCorrelator(store: Store): Correlator | undefined {
  return LIVE.get(store);
}

export function createCorrelator(opts: CorrelatorOptions): Correlator {
  const cfg = parseCorrelationConfig(opts.config ?? {});
  const ctx = opts.context ?? ContextIndex.empty();
  const store = opts.store;
  const now = opts.now ?? Date.now;
  const graphs = new Map<string, IdentityGraph>();
  const clusters = new Lru<string, Cluster>(cfg.limits.maxIncidents, (_id, c) => retire(c));
  /** key (tenant-prefixed) → cluster id → last seen (event time). */
  const index = new Lru<string, Map<string, number>>(cfg.limits.maxKeys);
  const seen = new Lru<string, string>(cfg.limits.maxSeenSignals);
  /** Ids of incidents merged away → survivor (so split/merge by an old id still work). */
  const mergedAlias = new Lru<string, string>(cfg.limits.maxIncidents);
  const negativeLookups = new Lru<string, true>(cfg.limits.maxIdentityEntries);
  const maxWindow = Math.max(...Object.values(cfg.windows));
  const st: CorrelatorStats = { signals: 0, duplicates: 0, clusters: 0, published: 0, keys: 0, identityEntries: 0, merges: 0, storeLookups: 0, evidenceLookups: 0, retired: 0, nextErrors: 0 };
  let seq = 0;
  let watermark = -Infinity;
  let lastSweep = -Infinity;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  const pendingChanges = new Set<Cluster>();
  /** The incidents written by the latest persist (split/merge return them). */
  const last = new Map<Cluster, Incident>();

  const graph = (tenant: string): IdentityGraph => {
    let g = graphs.get(tenant);
    if (!g) {
      g = new IdentityGraph(cfg, ctx);
      graphs.set(tenant, g);
    }
    return g;
  };
  const hubRoles = new Set(cfg.hubRoles.map((r) => r.toLowerCase()));
  const K = (tenant: string, key: string): string => `${tenant}\u0001${key}`;

  /** Weight of a shared key right now (rarity and role applied). */
  function weight(tenant: string, k: SigKey, clustersOnKey: number): number {
    let w = cfg.weights[k.kind];
    if (clustersOnKey >= cfg.rarity.hubIncidents) return 0;
    const g = graph(tenant);
    switch (k.kind) {
      case 'host': {
        const a = ctx.host(k.key.slice(5));
        if (a && ctx.isHub(a, hubRoles)) w *= cfg.roleWeights.hubHost;
        break;
      }
      case 'user': {
        if (g.isUbiquitous(k.key)) return 0;
        const u = ctx.user(k.key.slice(5));
        if (u?.service) w *= cfg.roleWeights.serviceAccount;
        else if (u?.privileged) w *= cfg.roleWeights.privilegedUser;
        break;
      }
      case 'ip': {
        const ip = k.key.slice(3);
        if (g.isUbiquitous(k.key)) return 0;
        if (ip.includes('.') ? /^(10|127|192\.168|172\.(1[6-9]|2\d|3[01]))\./.test(ip) : false) w *= cfg.roleWeights.unresolvedInternalIp;
        break;
      }
      case 'domain':
      case 'url':
      case 'hash':
        if (g.isUbiquitous(k.key)) return 0;
        break;
      default:
    }
    return w;
  }

  function sigRec(s: Signal, keys: SigKey[]): SigRec {
    const lv = (['informational', 'low', 'medium', 'high', 'critical'] as const).includes(s.level) ? s.level : 'informational';
    return {
      id: s.id,
      detector: clean(s.detector, 200),
      kind: clean(s.kind, 40),
      title: clean(s.title, 200) || clean(s.detector, 200),
      level: lv,
      score: Number.isFinite(s.score) ? Math.max(0, Math.min(100, s.score)) : 0,
      time: s.time,
      tactics: (Array.isArray(s.attack?.tactics) ? s.attack.tactics : []).filter((t) => typeof t === 'string' && t.length < 16).slice(0, 14),
      techniques: (Array.isArray(s.attack?.techniques) ? s.attack.techniques : []).filter((t) => typeof t === 'string' && t.length < 16).slice(0, 32),
      eventIds: (Array.isArray(s.eventIds) ? s.eventIds : []).filter((x) => typeof x === 'string').slice(0, 5),
      keys,
    };
  }

  function indexKey(c: Cluster, key: string, time: number): void {
    const ik = K(c.tenant, key);
    let m = index.get(ik);
    if (!m) {
      m = new Map();
      index.set(ik, m);
    }
    m.set(c.id, Math.max(m.get(c.id) ?? -Infinity, time));
    if (m.size > cfg.rarity.hubIncidents + 1) {
      // Keep the most recent ones: the key is a hub anyway.
      let oldest: string | undefined;
      let ot = Infinity;
      for (const [id, t] of m) if (t < ot) [oldest, ot] = [id, t];
      if (oldest) m.delete(oldest);
    }
  }

  function addSig(c: Cluster, r: SigRec): void {
    if (c.sigs.length < cfg.limits.maxSignalsPerIncident) c.sigs.push(r);
    else c.overflow++;
    c.firstSeen = Math.min(c.firstSeen, r.time);
    c.lastSeen = Math.max(c.lastSeen, r.time);
    for (const k of r.keys) {
      c.keys.set(k.key, Math.max(c.keys.get(k.key) ?? -Infinity, r.time));
      indexKey(c, k.key, r.time);
    }
    seen.set(K(c.tenant, r.id), c.id);
  }

  function unindex(c: Cluster): void {
    for (const key of c.keys.keys()) {
      const ik = K(c.tenant, key);
      const m = index.peek(ik);
      if (m) {
        m.delete(c.id);
        if (m.size === 0) index.delete(ik);
      }
    }
  }

  function retire(c: Cluster): void {
    unindex(c);
    st.retired++;
  }

  function newCluster(tenant: string, id: string, createdAt = now()): Cluster {
    const c: Cluster = { id, tenant, seq: seq++, createdAt, sigs: [], overflow: 0, keys: new Map(), firstSeen: Infinity, lastSeen: -Infinity, published: false, mergedFrom: [], separated: new Set() };
    clusters.set(id, c);
    return c;
  }

  /** survivor absorbs other. */
  function absorb(survivor: Cluster, other: Cluster): void {
    unindex(other);
    clusters.delete(other.id);
    for (const r of other.sigs) addSig(survivor, r);
    survivor.overflow += other.overflow;
    survivor.mergedFrom.push(other.id, ...other.mergedFrom.filter((x) => !survivor.mergedFrom.includes(x)));
    for (const s of other.separated) survivor.separated.add(s);
    other.mergedInto = survivor.id;
    mergedAlias.set(other.id, survivor.id);
    for (const x of other.mergedFrom) mergedAlias.set(x, survivor.id);
    if (other.published) {
      // The absorbed incident stays resolvable: it is stored once more, closed, pointing at the survivor.
      survivor.published = true;
      if (other.detectedAt !== undefined) survivor.detectedAt = Math.min(survivor.detectedAt ?? Infinity, other.detectedAt);
      other.change = 'merged';
      pendingChanges.add(other);
      if (survivor.change !== 'created') survivor.change = 'merged';
    }
    st.merges++;
  }

  const older = (a: Cluster, b: Cluster): number => Number(b.published) - Number(a.published) || a.seq - b.seq;

  async function lookupLogon(tenant: string, host: string, lid: string, time: number): Promise<void> {
    const g = graph(tenant);
    const lk = `${tenant}|${host}|${lid}`;
    if (g.session(host, lid, time) || negativeLookups.has(lk) || !/^0x[0-9a-f]{1,16}$/.test(lid)) return;
    negativeLookups.set(lk, true);
    st.storeLookups++;
    try {
      const r = await store.search(`EventID:4624 AND logon_id:"${lid}"`, { tenant, from: time - LOOKUP_WINDOW, to: time + 60_000, limit: 50 });
      for (const ev of r.events) if (signalHost({ entities: ev.entities } as Signal) === host) g.observeEvent(ev);
    } catch {
      // A store that cannot answer leaves the logon unresolved; correlation goes on.
    }
  }

  /**
   * Evidence events of the batch's signals that name few entities (config `evidenceLookups`): one
   * store read per tenant per batch. A store that cannot answer leaves them as they are.
   */
  async function evidenceFor(signals: Signal[]): Promise<Map<string, GarrisonEvent[]>> {
    const out = new Map<string, GarrisonEvent[]>();
    if (!cfg.evidenceLookups) return out;
    const byTenant = new Map<string, Set<string>>();
    const want: [Signal, string, string[]][] = [];
    for (const s of signals) {
      if (!s || typeof s.id !== 'string' || !wantsEvidence(s)) continue;
      const tenant = typeof s.tenant === 'string' && s.tenant ? s.tenant : cfg.tenant;
      if (seen.peek(K(tenant, s.id))) continue;
      const ids = s.eventIds.filter((x) => typeof x === 'string' && x.length > 0 && x.length <= 256).slice(0, cfg.limits.maxEvidenceEvents);
      if (!ids.length) continue;
      want.push([s, tenant, ids]);
      let set = byTenant.get(tenant);
      if (!set) byTenant.set(tenant, (set = new Set()));
      for (const id of ids) set.add(id);
    }
    if (!want.length) return out;
    const events = new Map<string, GarrisonEvent>();
    for (const [tenant, ids] of byTenant) {
      st.evidenceLookups++;
      try {
        for (const ev of await store.getEvents([...ids], tenant)) if (ev && typeof ev.id === 'string') events.set(`${tenant}\u0001${ev.id}`, ev);
      } catch {
        // Correlation goes on with the signals' own entities.
      }
    }
    for (const [s, tenant, ids] of want) {
      const evs = ids.map((id) => events.get(`${tenant}\u0001${id}`)).filter((x): x is GarrisonEvent => !!x);
      if (evs.length) out.set(s.id, evs);
    }
    return out;
  }

  async function processSignal(s: Signal, evidence?: GarrisonEvent[]): Promise<void> {
    if (!s || typeof s.id !== 'string' || !s.id || !Number.isFinite(s.time)) return;
    const tenant = typeof s.tenant === 'string' && s.tenant ? s.tenant : cfg.tenant;
    if (seen.peek(K(tenant, s.id))) {
      st.duplicates++;
      return;
    }
    st.signals++;
    const g = graph(tenant);
    if (cfg.storeLookups && typeof s.entities?.logonId === 'string' && !SYSTEM_LOGON_IDS.has(s.entities.logonId.toLowerCase())) {
      const h = signalHost(s);
      if (h) await lookupLogon(tenant, h, s.entities.logonId.toLowerCase(), s.time);
    }
    const keys = extractKeys(s, g, ctx, cfg, evidence);
    const rec = sigRec(s, keys);
    // Candidate clusters and their link strength.
    const strength = new Map<string, number>();
    for (const k of keys) {
      const m = index.peek(K(tenant, k.key));
      if (!m) continue;
      const win = cfg.windows[k.kind as KeyKind];
      let live = 0;
      for (const t of m.values()) if (Math.abs(s.time - t) <= win) live++;
      const w = weight(tenant, k, live);
      if (w <= 0) continue;
      for (const [cid, t] of m) if (Math.abs(s.time - t) <= win) strength.set(cid, (strength.get(cid) ?? 0) + w);
    }
    const joiners: Cluster[] = [];
    for (const [cid, w] of strength) {
      if (w + 1e-9 < cfg.joinThreshold) continue;
      const c = clusters.peek(cid);
      if (c) joiners.push(c);
    }
    joiners.sort(older);
    let target: Cluster;
    if (joiners.length === 0) {
      target = newCluster(tenant, `inc-${sha1hex(tenant, s.id).slice(0, 24)}`);
      target.change = 'created';
    } else {
      target = joiners[0];
      clusters.get(target.id);
      for (const other of joiners.slice(1)) {
        if (target.separated.has(other.id) || other.separated.has(target.id)) continue;
        absorb(target, other);
      }
      target.change ??= 'updated';
    }
    addSig(target, rec);
    pendingChanges.add(target);
    // Rarity from signals too: an outside address, domain, hash or account named on many hosts is a hub.
    const who = signalHost(s) ?? (typeof s.entities?.srcIp === 'string' ? s.entities.srcIp : '?');
    for (const k of keys) if (k.kind === 'ip' || k.kind === 'domain' || k.kind === 'url' || k.kind === 'hash' || k.kind === 'user') g.touchPopularity(k.key, who);
    if (s.time > watermark) watermark = s.time;
  }

  function publishable(sigs: readonly SigRec[], story: () => Story): boolean {
    const p = cfg.publish;
    if (sigs.some((r) => levelRank(r.level) >= levelRank(p.minLevel))) return true;
    const dets = new Set(sigs.filter((r) => levelRank(r.level) >= levelRank(p.detectorsMinLevel)).map((r) => r.detector));
    if (dets.size >= p.minDetectors) return true;
    return sigs.length >= p.minSignalsForScore && story().score >= p.minScore;
  }

  /** Event time of the signal with which the cluster's signals, in time order, first meet the publish rule. */
  function detectedAt(c: Cluster): number {
    if (c.sigs.length > 200) return c.lastSeen;
    const sorted = [...c.sigs].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
    for (let n = 1; n < sorted.length; n++) {
      const prefix = sorted.slice(0, n);
      if (publishable(prefix, () => buildStory(prefix, ctx, cfg.limits.maxEntitiesPerIncident))) return sorted[n - 1].time;
    }
    return c.lastSeen;
  }

  function toIncident(c: Cluster, t: number, story: Story): Incident {
    const prev = c.stored;
    const mergedInto = c.mergedInto;
    const status: IncidentStatus = mergedInto ? 'closed' : prev?.status ?? 'new';
    const inc: Incident = {
      id: c.id,
      tenant: c.tenant,
      title: story.title,
      summary: c.overflow ? `${story.summary} (${c.overflow} further signals not listed: incident signal cap reached)` : story.summary,
      status,
      severity: story.severity,
      score: story.score,
      confidence: story.confidence,
      createdAt: prev?.createdAt ?? c.createdAt,
      updatedAt: t,
      firstSeen: story.firstSeen,
      lastSeen: story.lastSeen,
      signalIds: c.sigs.map((r) => r.id),
      attack: story.attack,
      stages: story.stages,
      entities: story.entities,
      scoring: story.scoring,
      mergedFrom: [...c.mergedFrom],
      revision: (prev?.revision ?? 0) + 1,
    };
    if (mergedInto) {
      inc.mergedInto = mergedInto;
      inc.closeReason = `merged into ${mergedInto}`;
    }
    if (c.splitFrom) inc.splitFrom = c.splitFrom;
    if (c.detectedAt !== undefined && Number.isFinite(c.detectedAt)) inc.detectedAt = c.detectedAt;
    for (const f of ['verdict', 'analystVerdict', 'investigationId'] as const) if (prev?.[f] !== undefined) (inc as unknown as Record<string, unknown>)[f] = prev[f];
    if (!mergedInto && prev?.closeReason !== undefined) inc.closeReason = prev.closeReason;
    return inc;
  }

  async function persist(): Promise<void> {
    const changed = [...pendingChanges];
    last.clear();
    pendingChanges.clear();
    const out: { c: Cluster; kind: IncidentChangeKind; inc: Incident }[] = [];
    const t = now();
    for (const c of changed) {
      if (c.mergedInto && !c.published) continue;
      let built: Story | undefined;
      const story = (): Story => (built ??= buildStory(c.sigs, ctx, cfg.limits.maxEntitiesPerIncident));
      if (!c.published) {
        if (!publishable(c.sigs, story)) {
          c.change = undefined;
          continue;
        }
        c.published = true;
        c.detectedAt = detectedAt(c);
        c.change = c.splitFrom ? 'split' : 'created';
        st.published++;
      } else {
        // Carry over what other stages wrote since we last stored (status, verdicts ...).
        const cur = await store.getRecord<Incident>('incidents', c.id).catch(() => undefined);
        if (cur?.doc && (!c.stored || cur.doc.revision >= c.stored.revision)) c.stored = carried(cur.doc);
      }
      const kind = c.change ?? 'updated';
      c.change = undefined;
      const inc = toIncident(c, t, story());
      c.stored = carried(inc);
      last.set(c, inc);
      out.push({ c, kind, inc });
    }
    if (out.length === 0) return;
    const recs: StoredRecord<Incident>[] = out.map(({ inc }) => ({ id: inc.id, tenant: inc.tenant, status: inc.status, ref: inc.mergedInto ?? '', createdAt: inc.createdAt, updatedAt: inc.updatedAt, doc: inc }));
    await store.putRecords('incidents', recs);
    if (opts.next) {
      for (const { kind, inc } of out) {
        try {
          await opts.next.onIncident({ kind, incident: inc });
        } catch {
          st.nextErrors++;
        }
      }
    }
  }

  function sweep(): void {
    if (watermark - lastSweep < 3_600_000) return;
    lastSweep = watermark;
    const idleBefore = watermark - cfg.idleMs;
    for (const [id, c] of [...clusters.entries()]) {
      if (c.lastSeen < idleBefore) {
        clusters.delete(id);
        retire(c);
      }
    }
    const staleBefore = watermark - maxWindow;
    for (const [ik, m] of [...index.entries()]) {
      for (const [cid, t] of m) if (t < staleBefore) m.delete(cid);
      if (m.size === 0) index.delete(ik);
    }
  }

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = queue.then(fn, fn);
    queue = p.catch(() => undefined);
    return p;
  }

  async function load(idIn: string): Promise<Cluster> {
    let id = idIn;
    for (let hops = 0; hops < 32; hops++) {
      const alias = mergedAlias.peek(id);
      if (alias) {
        id = alias;
        continue;
      }
      const c = clusters.peek(id);
      if (c) return c;
      const r = await store.getRecord<Incident>('incidents', id);
      if (!r) break;
      if (r.doc.mergedInto) {
        id = r.doc.mergedInto;
        continue;
      }
      // Rehydrate from the store.
      const c2 = newCluster(r.tenant, r.id, r.doc.createdAt);
      c2.published = true;
      c2.stored = carried(r.doc);
      c2.mergedFrom = [...(r.doc.mergedFrom ?? [])];
      if (r.doc.splitFrom) c2.splitFrom = r.doc.splitFrom;
      if (typeof r.doc.detectedAt === 'number') c2.detectedAt = r.doc.detectedAt;
      const ids = r.doc.signalIds ?? [];
      for (let i = 0; i < ids.length; i += 10_000) {
        for (const s of await store.getSignals(ids.slice(i, i + 10_000), r.tenant)) addSig(c2, sigRec(s, extractKeys(s, graph(r.tenant), ctx, cfg)));
      }
      return c2;
    }
    throw new GarrisonError('INCIDENT_NOT_FOUND', `no incident ${clean(idIn, 80)}`, { location: { field: 'id' } });
  }

  function reindex(c: Cluster): void {
    unindex(c);
    c.keys.clear();
    c.firstSeen = Infinity;
    c.lastSeen = -Infinity;
    const sigs = c.sigs;
    c.sigs = [];
    for (const r of sigs) addSig(c, r);
  }

  async function audit(actor: string, action: string, target: string, doc: Record<string, unknown>): Promise<void> {
    await store.appendAudit({ actor: clean(actor, 200) || 'unknown', action, target, doc, time: now() });
  }

  const self: Correlator = {
    config: cfg,
    context: ctx,
    async onEvents(events: GarrisonEvent[]): Promise<void> {
      if (closed || !Array.isArray(events)) return;
      return serial(async () => {
        for (const ev of events) if (ev && typeof ev === 'object') graph(typeof ev.tenant === 'string' && ev.tenant ? ev.tenant : cfg.tenant).observeEvent(ev);
      });
    },
    async onSignals(signals: Signal[]): Promise<void> {
      if (closed) throw new GarrisonError('SHUTTING_DOWN', 'the correlator is closed');
      if (!Array.isArray(signals)) throw new GarrisonError('BAD_REQUEST', 'onSignals expects an array');
      return serial(async () => {
        const evidence = await evidenceFor(signals);
        for (const s of signals) await processSignal(s, s && typeof s.id === 'string' ? evidence.get(s.id) : undefined);
        sweep();
        await persist();
      });
    },
    flush(): Promise<void> {
      return serial(async () => persist());
    },
    async close(): Promise<void> {
      await self.flush();
      closed = true;
      if (LIVE.get(store) === self) LIVE.delete(store);
    },
    split(incidentId: string, signalIds: string[], by: string): Promise<Incident> {
      return serial(async () => {
        if (!Array.isArray(signalIds) || signalIds.length === 0 || signalIds.some((x) => typeof x !== 'string')) throw new GarrisonError('INCIDENT_OPERATION_INVALID', 'split needs a non-empty list of signal ids', { location: { field: 'signalIds' } });
        const c = await load(incidentId);
        const want = new Set(signalIds);
        const moving = c.sigs.filter((r) => want.has(r.id));
        const missing = [...want].filter((id) => !c.sigs.some((r) => r.id === id));
        if (missing.length) throw new GarrisonError('INCIDENT_OPERATION_INVALID', `${missing.length} signal(s) are not in incident ${c.id}: ${missing.slice(0, 5).map((m) => clean(m, 64)).join(', ')}`, { location: { field: 'signalIds' } });
        if (moving.length === c.sigs.length) throw new GarrisonError('INCIDENT_OPERATION_INVALID', 'a split must leave at least one signal in the incident', { location: { field: 'signalIds' } });
        const nc = newCluster(c.tenant, `inc-${sha1hex('split', c.id, ...moving.map((r) => r.id).sort()).slice(0, 24)}`);
        c.sigs = c.sigs.filter((r) => !want.has(r.id));
        reindex(c);
        for (const r of moving) addSig(nc, r);
        nc.splitFrom = c.id;
        nc.published = true;
        nc.detectedAt = detectedAt(nc);
        st.published++;
        nc.change = 'split';
        c.separated.add(nc.id);
        nc.separated.add(c.id);
        for (const s of c.separated) if (s !== nc.id) nc.separated.add(s);
        c.published = true;
        c.change = 'updated';
        pendingChanges.add(c);
        pendingChanges.add(nc);
        await persist();
        await audit(by, 'incident.split', c.id, { newIncident: nc.id, signalIds: moving.map((r) => r.id) });
        return last.get(nc)!;
      });
    },
    merge(ids: string[], by: string): Promise<Incident> {
      return serial(async () => {
        if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) throw new GarrisonError('INCIDENT_OPERATION_INVALID', 'merge needs a list of incident ids', { location: { field: 'ids' } });
        const cs: Cluster[] = [];
        for (const id of ids) {
          const c = await load(id);
          if (!cs.includes(c)) cs.push(c);
        }
        if (cs.length < 2) throw new GarrisonError('INCIDENT_OPERATION_INVALID', 'merge needs at least two distinct incidents', { location: { field: 'ids' } });
        if (new Set(cs.map((c) => c.tenant)).size > 1) throw new GarrisonError('INCIDENT_OPERATION_INVALID', 'incidents of different tenants cannot be merged', { location: { field: 'ids' } });
        // The oldest survives: earliest created, then earliest first signal.
        cs.sort((a, b) => a.createdAt - b.createdAt || a.firstSeen - b.firstSeen || (a.id < b.id ? -1 : 1));
        const survivor = cs[0];
        for (const o of cs.slice(1)) {
          survivor.separated.delete(o.id);
          o.separated.delete(survivor.id);
          absorb(survivor, o);
        }
        survivor.published = true;
        survivor.change = 'merged';
        pendingChanges.add(survivor);
        await persist();
        await audit(by, 'incident.merge', survivor.id, { merged: cs.slice(1).map((c) => c.id) });
        return last.get(survivor)!;
      });
    },
    stats(): CorrelatorStats {
      let ident = 0;
      for (const g of graphs.values()) ident += g.size;
      return { ...st, clusters: clusters.size, keys: index.size, identityEntries: ident };
    },
  };
  LIVE.set(store, self);
  return self;
}
