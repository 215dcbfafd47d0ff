/**
 * Process tree and lineage: for each process the incident's events name, walk up its parents
 * (by process GUID, else PID on the same host) and list its children, each hop a store query.
 */
import { z } from 'zod';
import type { GarrisonEvent } from '../../core/event.js';
import type { StepModule } from '../types.js';
import { baseName, commandShape, incidentEntities, isOffice, isScriptHost, isUserWritable, q, uniq } from './util.js';

const params = z
  .object({
    maxProcesses: z.number().int().min(1).max(100).default(8),
    maxDepth: z.number().int().min(1).max(32).default(6),
    maxChildren: z.number().int().min(1).max(1000).default(50),
  })
  .strict();

function creationOf(evs: GarrisonEvent[], guid?: string, pid?: number): GarrisonEvent | undefined {
  return evs.find((e) => e.class?.name === 'process_activity' && ((guid && e.entities.process?.guid?.toLowerCase() === guid.toLowerCase()) || (!guid && e.entities.process?.pid === pid)));
}

export const processTreeStep: StepModule<z.output<typeof params>> = {
  type: 'process_tree',
  description: 'Lineage (parents up to maxDepth) and children of every process the incident involves.',
  params,
  async run(ctx) {
    const ents = incidentEntities(ctx.incident, ctx.signals, ctx.signalEvents);
    const items = [];
    const procs = ents.processes.slice(0, ctx.params.maxProcesses);
    if (ents.processes.length > procs.length) ctx.truncate(`${ents.processes.length - procs.length} processes not examined (maxProcesses ${ctx.params.maxProcesses})`);
    const from = ctx.lookback.from;
    const to = ctx.window.to;
    for (const p of procs) {
      const key = (g?: string, pid?: number) => (g ? `process.guid:${q(g)}` : `process.pid:${q(String(pid))}`);
      const chain: { image?: string; commandLine?: string; user?: string; eventId?: string }[] = [];
      const ids: string[] = [];
      const queries: { text: string; sql: string; params: unknown[] }[] = [];
      let guid = p.guid;
      let pid = p.pid;
      for (let depth = 0; depth < ctx.params.maxDepth && (guid || pid !== undefined); depth++) {
        const r = await ctx.search(`host:${q(p.host)} AND ${key(guid, pid)} AND class:process_activity`, { from, to, limit: 20, order: 'asc' });
        queries.push(r.query);
        const ev = creationOf(r.events, guid, pid);
        if (!ev) {
          if (depth === 0) chain.push({ image: p.image, commandLine: p.commandLine });
          break;
        }
        const pe = ev.entities.process!;
        chain.push({ image: pe.image, commandLine: pe.commandLine?.slice(0, 300), user: pe.user ?? ev.entities.user, eventId: ev.id });
        ids.push(ev.id);
        const parentGuid = pe.parent?.guid;
        const parentPid = pe.parent?.pid;
        if (!parentGuid && parentPid === undefined) {
          if (pe.parent?.image) chain.push({ image: pe.parent.image, commandLine: pe.parent.commandLine?.slice(0, 300) });
          break;
        }
        if (depth === ctx.params.maxDepth - 1 && pe.parent?.image) chain.push({ image: pe.parent.image, commandLine: pe.parent.commandLine?.slice(0, 300) });
        guid = parentGuid;
        pid = parentGuid ? undefined : parentPid;
      }
      const childQ = p.guid ? `parent.guid:${q(p.guid)}` : `parent.pid:${q(String(p.pid))}`;
      const cr = await ctx.search(`host:${q(p.host)} AND ${childQ}`, { from: ctx.window.from, to, limit: ctx.params.maxChildren, order: 'asc' });
      queries.push(cr.query);
      if (cr.truncated) ctx.truncate(`children of ${baseName(p.image)} on ${p.host} capped at ${ctx.params.maxChildren}`);
      const children = cr.events.filter((e) => e.class?.name === 'process_activity').map((e) => ({ image: e.entities.process?.image, commandLine: e.entities.process?.commandLine?.slice(0, 300), eventId: e.id }));
      ids.push(...children.map((c) => c.eventId));
      const images = chain.map((c) => c.image).filter((x): x is string => !!x);
      const officeParent = images.slice(1).some((i) => isOffice(i)) && isScriptHost(images[0]);
      // The evidence cites the first query (the process itself) and lists all hops in facts.
      items.push(
        ctx.evidence({
          title: `Lineage of ${baseName(p.image) || 'process'} on ${p.host}: ${images.map(baseName).reverse().join(' → ') || 'unknown'}${children.length ? ` (${children.length} children)` : ''}`,
          query: queries[0],
          eventIds: uniq(ids.length ? ids : [p.eventId]),
          facts: {
            kind: 'process_tree',
            host: p.host,
            process: baseName(p.image),
            chain: chain.map((c) => ({ image: c.image, commandLine: c.commandLine, user: c.user })),
            children: children.slice(0, 20).map((c) => ({ image: c.image, commandLine: c.commandLine })),
            childCount: children.length,
            depth: chain.length,
            officeParent,
            userWritable: images.some((i) => isUserWritable(i)),
            scriptHost: images.some((i) => isScriptHost(i)),
            commandShape: commandShape(p.commandLine),
            hops: queries.length,
            queries: queries.slice(1).map((x) => x.text),
          },
        }),
      );
    }
    return items;
  },
};
