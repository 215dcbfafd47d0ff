/** Spread: the same detector, hash or external destination on hosts outside the incident. */
import { z } from 'zod';
import { hostKey } from '../../core/event.js';
import type { EvidenceItem, StepModule } from '../types.js';
import { incidentEntities, q, uniq } from './util.js';

const params = z
  .object({
    maxValues: z.number().int().min(1).max(100).default(8),
    maxEvents: z.number().int().min(10).max(10_000).default(2000),
  })
  .strict();

export const spreadStep: StepModule<z.output<typeof params>> = {
  type: 'spread',
  description: 'Whether the same detector, file hash or external destination appears on other hosts.',
  params,
  async run(ctx) {
    const ents = incidentEntities(ctx.incident, ctx.signals, ctx.signalEvents);
    const mine = new Set(ents.hosts);
    const items: EvidenceItem[] = [];
    const from = ctx.lookback.from;
    const to = ctx.window.to;
    const detectors = uniq(ctx.signals.filter((s) => s.kind !== 'anomaly').map((s) => s.detector)).sort().slice(0, ctx.params.maxValues);
    for (const d of detectors) {
      const sigs = (await ctx.store.querySignals({ tenant: ctx.tenant, detector: d, from, to, limit: 10_000 })).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
      const other = sigs.filter((s) => {
        const h = hostKey(s.entities.host);
        return h && !mine.has(h);
      });
      const otherHosts = uniq(other.map((s) => hostKey(s.entities.host)!)).sort();
      items.push(
        ctx.evidence({
          title: otherHosts.length ? `Detector ${ctx.signals.find((s) => s.detector === d)?.title ?? d} also fired on ${otherHosts.length} other hosts` : `Detector ${ctx.signals.find((s) => s.detector === d)?.title ?? d} fired on no other host`,
          query: { lookup: 'signals', args: { detector: d, from, to } },
          eventIds: uniq(other.flatMap((s) => s.eventIds)).slice(0, 40),
          facts: { kind: 'spread', what: 'detector', value: d, otherHosts: otherHosts.slice(0, 50), otherHostCount: otherHosts.length },
        }),
      );
    }
    const values: { what: 'hash' | 'destination'; value: string; query: string }[] = [
      ...ents.hashes.map((h) => ({ what: 'hash' as const, value: h.value, query: `process.sha256:${q(h.value)} OR file.sha256:${q(h.value)} OR process.md5:${q(h.value)} OR process.sha1:${q(h.value)} OR file.md5:${q(h.value)} OR file.sha1:${q(h.value)}` })),
      ...ents.domains.map((d) => ({ what: 'destination' as const, value: d.value, query: `domain:${q(d.value)}` })),
      ...ents.ips.filter((i) => i.role === 'dst').map((i) => ({ what: 'destination' as const, value: i.value, query: `dst_ip:${q(i.value)}` })),
    ].slice(0, ctx.params.maxValues);
    for (const v of values) {
      const r = await ctx.search(v.query, { from, to, limit: ctx.params.maxEvents });
      if (r.truncated) ctx.truncate(`spread of ${v.value} capped at ${ctx.params.maxEvents} events`);
      // network sensors report the source address: count distinct sources there, hosts elsewhere
      const key = (e: (typeof r.events)[number]) => (['network_activity', 'dns_activity', 'http_activity'].includes(e.class.name) ? e.entities.srcIp ?? hostKey(e.entities.host) : hostKey(e.entities.host));
      const other = r.events.filter((e) => {
        const k = key(e);
        return k && !mine.has(k);
      });
      const mineEvents = r.events.filter((e) => !other.includes(e));
      const otherHosts = uniq(other.map((e) => key(e)!)).sort();
      const ownIps = new Set(ents.hosts.flatMap((h) => ctx.context?.host(h)?.ips ?? []));
      const realOther = otherHosts.filter((h) => !ownIps.has(h));
      items.push(
        ctx.evidence({
          title: realOther.length ? `${v.what === 'hash' ? 'File' : 'Destination'} ${v.value} also seen from ${realOther.length} other hosts` : `${v.what === 'hash' ? 'File' : 'Destination'} ${v.value} seen on no other host`,
          query: r.query,
          eventIds: [...other.filter((e) => !ownIps.has(key(e)!)).slice(0, 30), ...mineEvents.slice(0, 10)].map((e) => e.id),
          facts: { kind: 'spread', what: v.what, value: v.value, otherHosts: realOther.slice(0, 50), otherHostCount: realOther.length, truncated: r.truncated },
        }),
      );
    }
    return items;
  },
};
