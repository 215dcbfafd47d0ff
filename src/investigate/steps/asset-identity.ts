/** Asset and identity context: criticality, role and owner of hosts; privilege and kind of accounts. */
import { z } from 'zod';
import { hostKey } from '../../core/event.js';
import type { EvidenceItem, StepModule } from '../types.js';
import { incidentEntities } from './util.js';

const params = z.object({}).strict();

export const assetIdentityStep: StepModule<z.output<typeof params>> = {
  type: 'asset_identity',
  description: 'Asset inventory and identity directory facts for every host, account and source address.',
  params,
  async run(ctx) {
    const ents = incidentEntities(ctx.incident, ctx.signals, ctx.signalEvents);
    const items: EvidenceItem[] = [];
    const evs = [...ctx.signalEvents.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
    const cites = (pred: (e: (typeof evs)[number]) => boolean) => evs.filter(pred).slice(0, 10).map((e) => e.id);
    for (const h of ents.hosts) {
      const a = ctx.context?.host(h);
      const ic = ctx.incident.entities?.find((e) => e.kind === 'host' && hostKey(e.value) === h)?.context;
      if (!a && !ic) continue;
      const f = { role: a?.role ?? ic?.role, criticality: a?.criticality ?? ic?.criticality, crownJewel: a?.crownJewel ?? ic?.crownJewel, owner: a?.owner ?? ic?.owner, tags: a?.tags ?? ic?.tags };
      items.push(
        ctx.evidence({
          title: `Host ${h}: ${f.role ?? 'unknown role'}, criticality ${f.criticality ?? 'unknown'}${f.owner ? `, owner ${f.owner}` : ''}${f.crownJewel ? ' (crown jewel)' : ''}`,
          query: { lookup: 'context.host', args: { host: h } },
          eventIds: cites((e) => hostKey(e.entities.host) === h),
          facts: { kind: 'asset', host: h, ...f },
        }),
      );
    }
    for (const u of ents.users) {
      const i = ctx.context?.user(u);
      const ic = ctx.incident.entities?.find((e) => e.kind === 'user' && e.value.toLowerCase().replace(/^.*\\/, '') === u)?.context;
      if (!i && !ic) continue;
      const f = { privileged: i?.privileged ?? ic?.privileged === true, service: i?.service ?? ic?.service === true, groups: i?.groups ?? ic?.groups ?? [], display: i?.display ?? ic?.display };
      items.push(
        ctx.evidence({
          title: `Account ${u}: ${f.privileged ? 'privileged' : 'not privileged'}${f.service ? ', service account' : ''}${(f.groups as string[]).length ? ` (${(f.groups as string[]).slice(0, 4).join(', ')})` : ''}`,
          query: { lookup: 'context.user', args: { user: u } },
          eventIds: cites((e) => e.entities.user?.toLowerCase() === u || e.entities.targetUser?.toLowerCase() === u),
          facts: { kind: 'identity', user: u, ...f },
        }),
      );
    }
    for (const ip of ents.ips) {
      const a = ctx.context?.host(ip.value);
      if (!a) continue;
      items.push(
        ctx.evidence({
          title: `Address ${ip.value} belongs to ${a.role ?? 'a known asset'}${a.tags?.includes('egress') ? ' (the organization\'s own egress address)' : ''}`,
          query: { lookup: 'context.host', args: { ip: ip.value } },
          eventIds: cites((e) => e.entities.srcIp === ip.value || e.entities.dstIp === ip.value),
          facts: { kind: 'asset_ip', ip: ip.value, role: a.role, egress: a.tags?.includes('egress') ?? false, tags: a.tags },
        }),
      );
    }
    return items;
  },
};
