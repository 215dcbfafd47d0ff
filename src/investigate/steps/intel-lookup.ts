/** Threat-intelligence look-ups for every address, domain, URL and hash the incident names. */
import { z } from 'zod';
import type { EvidenceItem, StepModule } from '../types.js';
import { incidentEntities, q, uniq } from './util.js';

const params = z.object({ maxValues: z.number().int().min(1).max(10_000).default(200), maxHosts: z.number().int().min(1).max(50).default(4), maxEvents: z.number().int().min(1).max(10_000).default(2000) }).strict();

export const intelLookupStep: StepModule<z.output<typeof params>> = {
  type: 'intel_lookup',
  description: 'Looks every IP, domain, URL and hash of the incident up in the indicator index (validity at incident time).',
  params,
  async run(ctx) {
    const idx = ctx.intel;
    if (!idx) return [];
    const items: EvidenceItem[] = [];
    const at = ctx.incident.lastSeen;
    const evs = [...ctx.signalEvents.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
    const checked = new Set<string>();
    const hits = new Map<string, { eventIds: string[]; m: ReturnType<typeof idx.matchEvent>[number] }>();
    for (const ev of evs) {
      for (const m of idx.matchEvent(ev, { at })) {
        const k = `${m.indicator.id}\0${m.value}`;
        const h = hits.get(k) ?? { eventIds: [], m };
        h.eventIds.push(ev.id);
        hits.set(k, h);
      }
      const en = ev.entities;
      for (const v of [en.srcIp, en.dstIp, en.domain, en.url, en.process?.hashes?.sha256, en.file?.hashes?.sha256]) if (v && checked.size < ctx.params.maxValues) checked.add(v);
    }
    const ents = incidentEntities(ctx.incident, ctx.signals, ctx.signalEvents);
    // the hosts' network activity in the window, not only the events the detections cite
    const netHits = new Map<string, { eventIds: string[]; m: ReturnType<typeof idx.matchEvent>[number] }>();
    let netQuery: { text: string; sql: string; params: unknown[] } | undefined;
    const hosts = ents.hosts.slice(0, ctx.params.maxHosts);
    if (hosts.length) {
      const r = await ctx.search(`(${hosts.map((h) => `host:${q(h)}`).join(' OR ')}) AND (class:network_activity OR class:dns_activity OR class:http_activity)`, { from: ctx.window.from, to: ctx.window.to, limit: ctx.params.maxEvents });
      netQuery = r.query;
      if (r.truncated) ctx.truncate(`network events of the incident hosts capped at ${ctx.params.maxEvents}`);
      for (const ev of r.events) {
        for (const m of idx.matchEvent(ev, { at })) {
          const k = `${m.indicator.id}\0${m.value}`;
          if (hits.has(k)) continue;
          const h = netHits.get(k) ?? { eventIds: [], m };
          h.eventIds.push(ev.id);
          netHits.set(k, h);
        }
        for (const v of [ev.entities.dstIp, ev.entities.domain, ev.entities.url]) if (v && checked.size < ctx.params.maxValues) checked.add(v);
      }
    }
    for (const [, { eventIds, m }] of [...netHits].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const ind = m.indicator;
      items.push(
        ctx.evidence({
          title: `${m.value} (network activity of the incident hosts) matches ${ind.type} indicator ${ind.value} from ${ind.source} (confidence ${ind.confidence})`,
          query: netQuery!,
          eventIds: uniq(eventIds).slice(0, 40),
          facts: { kind: 'intel', value: m.value, how: m.how, indicator: { id: ind.id, type: ind.type, value: ind.value, source: ind.source, confidence: ind.confidence, tags: ind.tags, description: ind.description } },
        }),
      );
    }
    for (const d of ents.domains) {
      for (const m of idx.lookupDomain(d.value, { at })) {
        const k = `${m.indicator.id}\0${m.value}`;
        if (!hits.has(k) && d.eventId) hits.set(k, { eventIds: [d.eventId], m });
      }
      checked.add(d.value);
    }
    for (const [, { eventIds, m }] of [...hits].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const ind = m.indicator;
      items.push(
        ctx.evidence({
          title: `${m.value} matches ${ind.type} indicator ${ind.value} from ${ind.source} (confidence ${ind.confidence}${ind.tags.length ? `, ${ind.tags.slice(0, 3).join(', ')}` : ''})`,
          query: { lookup: 'intel', args: { value: m.value, at } },
          eventIds: uniq(eventIds).slice(0, 40),
          facts: { kind: 'intel', value: m.value, how: m.how, indicator: { id: ind.id, type: ind.type, value: ind.value, source: ind.source, confidence: ind.confidence, tags: ind.tags, description: ind.description } },
        }),
      );
    }
    if (hits.size === 0 && netHits.size === 0) {
      items.push(
        ctx.evidence({
          title: `No indicator matches among ${checked.size} values (${idx.size} indicators loaded)`,
          query: { lookup: 'intel', args: { values: [...checked].sort().slice(0, 50), at } },
          eventIds: [],
          facts: { kind: 'intel_none', checked: checked.size, indicators: idx.size },
        }),
      );
    }
    return items;
  },
};
