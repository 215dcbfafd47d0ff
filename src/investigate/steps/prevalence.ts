/**
 * First-seen and prevalence of each program, domain and external address across the fleet in the
 * look-back: when it was first seen, on how many hosts, by how many users. Rare and new is
 * suspicious; common across the fleet and long-known is counter-evidence.
 */
import { z } from 'zod';
import { hostKey } from '../../core/event.js';
import type { EvidenceItem, StepModule } from '../types.js';
import { incidentEntities, isMachineAccount, isServicePrincipalDomain, q, uniq } from './util.js';

const params = z
  .object({
    maxValues: z.number().int().min(1).max(100).default(12),
    maxEvents: z.number().int().min(10).max(10_000).default(2000),
  })
  .strict();

export const prevalenceStep: StepModule<z.output<typeof params>> = {
  type: 'prevalence',
  description: 'First-seen time and fleet prevalence (hosts, users) of each program, domain and external IP.',
  params,
  async run(ctx) {
    const ents = incidentEntities(ctx.incident, ctx.signals, ctx.signalEvents);
    const items: EvidenceItem[] = [];
    const from = ctx.lookback.from;
    const to = ctx.window.to;
    const values: { type: 'program' | 'domain' | 'ip'; value: string; query: string; role?: 'src' | 'dst' }[] = [
      ...ents.images.map((i) => ({ type: 'program' as const, value: i.value, query: `process.image:${q(i.value)}` })),
      ...ents.domains.map((d) => ({ type: 'domain' as const, value: d.value, query: `domain:${q(d.value)}` })),
      ...ents.ips.map((i) => ({ type: 'ip' as const, value: i.value, query: `ip:${q(i.value)}`, role: i.role })),
    ];
    const chosen = values.slice(0, ctx.params.maxValues);
    if (values.length > chosen.length) ctx.truncate(`${values.length - chosen.length} values not examined (maxValues)`);
    for (const v of chosen) {
      const r = await ctx.search(v.query, { from, to, limit: ctx.params.maxEvents, order: 'asc' });
      if (r.truncated) ctx.truncate(`prevalence of ${v.value} capped at ${ctx.params.maxEvents} events`);
      // a network sensor's events count their source address; cloud API records name a service endpoint, not a host
      const hostOf = (e: (typeof r.events)[number]) => (isServicePrincipalDomain(e) ? undefined : ['network_activity', 'dns_activity', 'http_activity'].includes(e.class.name) ? e.entities.srcIp ?? hostKey(e.entities.host) : hostKey(e.entities.host) ?? e.entities.srcIp);
      const hosts = uniq(r.events.map(hostOf).filter((x): x is string => !!x));
      const users = uniq(r.events.map((e) => (e.entities.user ?? e.entities.targetUser)?.toLowerCase()).filter((u): u is string => !!u && !isMachineAccount(u)));
      const first = r.events[0];
      const firstInWindow = first ? first.time >= ctx.window.from : true;
      const before = r.events.filter((e) => e.time < ctx.window.from);
      items.push(
        ctx.evidence({
          title: `${v.type} ${v.value}: first seen ${first ? new Date(first.time).toISOString() : 'never'}${firstInWindow ? ' (new in the incident window)' : ''}; ${hosts.length} hosts, ${users.length} users`,
          query: r.query,
          eventIds: [...r.events.slice(0, 5), ...before.slice(-5), ...r.events.slice(-5)].map((e) => e.id).filter((x, i, a) => a.indexOf(x) === i),
          facts: {
            kind: 'prevalence',
            type: v.type,
            ...(v.role ? { role: v.role } : {}),
            value: v.value,
            firstSeen: first?.time,
            firstSeenInWindow: firstInWindow,
            eventsBefore: before.length,
            /** Events where it is a network destination (DNS, connection, web) rather than, say, a cloud service principal. */
            asDestination: r.events.filter((e) => ['network_activity', 'dns_activity', 'http_activity'].includes(e.class.name)).length,
            hosts: hosts.length,
            users: users.length,
            sampleUsers: users.slice(0, 10),
            usersBefore: uniq(before.map((e) => (e.entities.user ?? e.entities.targetUser)?.toLowerCase()).filter((u): u is string => !!u)).sort().slice(0, 20),
            truncated: r.truncated,
          },
        }),
      );
    }
    return items;
  },
};
