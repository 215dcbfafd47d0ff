/** The incident's own detections: one evidence item per detector, plus a summary. */
import { z } from 'zod';
import type { StepModule } from '../types.js';
import { LEVEL_RANK, uniq } from './util.js';

const params = z.object({ maxEventIdsPerItem: z.number().int().min(1).max(1000).default(50) }).strict();

export const incidentSignalsStep: StepModule<z.output<typeof params>> = {
  type: 'incident_signals',
  description: "The incident's detections by detector: level, tactics, hosts and users, with the events they rest on.",
  params,
  async run(ctx) {
    const byDet = new Map<string, typeof ctx.signals>();
    for (const s of ctx.signals) {
      const l = byDet.get(s.detector) ?? [];
      l.push(s);
      byDet.set(s.detector, l);
    }
    const items = [];
    let maxLevel = 'informational';
    for (const [det, sigs] of [...byDet].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const level = sigs.reduce((m, s) => (LEVEL_RANK[s.level] > LEVEL_RANK[m] ? s.level : m), 'informational' as string);
      if (LEVEL_RANK[level] > LEVEL_RANK[maxLevel]) maxLevel = level;
      const eventIds = uniq(sigs.flatMap((s) => s.eventIds)).filter((id) => ctx.signalEvents.has(id)).slice(0, ctx.params.maxEventIdsPerItem);
      items.push(
        ctx.evidence({
          title: `${sigs[0].title} (${sigs.length} signal${sigs.length > 1 ? 's' : ''}, ${level})`,
          query: { lookup: 'signals', args: { ids: sigs.map((s) => s.id).sort() } },
          eventIds,
          facts: {
            kind: 'detection',
            detector: det,
            signalKind: sigs[0].kind,
            title: sigs[0].title,
            level,
            count: sigs.length,
            tactics: uniq(sigs.flatMap((s) => s.attack.tactics)).sort(),
            techniques: uniq(sigs.flatMap((s) => s.attack.techniques)).sort(),
            hosts: uniq(sigs.map((s) => s.entities.host?.toLowerCase()).filter(Boolean)).sort(),
            users: uniq(sigs.map((s) => s.entities.user?.toLowerCase()).filter(Boolean)).sort(),
            patterns: uniq(sigs.map((s) => (typeof s.details?.pattern === 'string' ? s.details.pattern : undefined)).filter(Boolean)).sort().slice(0, 20),
            indicator: sigs.find((s) => s.kind === 'intel')?.details?.indicator,
          },
        }),
      );
    }
    const tactics = uniq([...ctx.signals.flatMap((s) => s.attack.tactics), ...(ctx.incident.attack?.tactics ?? [])]).filter((t) => t !== 'unknown').sort();
    const kinds = uniq(ctx.signals.map((s) => s.kind)).sort();
    items.push(
      ctx.evidence({
        title: `${ctx.signals.length} signals from ${byDet.size} detectors across ${tactics.length} ATT&CK tactics; highest level ${maxLevel}`,
        query: { lookup: 'signals', args: { incident: ctx.incident.id } },
        eventIds: uniq(ctx.signals.flatMap((s) => s.eventIds)).filter((id) => ctx.signalEvents.has(id)).slice(0, ctx.params.maxEventIdsPerItem),
        facts: { kind: 'detection_summary', signals: ctx.signals.length, detectors: byDet.size, tactics, maxLevel, signalKinds: kinds, anomalyOnly: kinds.length > 0 && kinds.every((k) => k === 'anomaly') },
      }),
    );
    return items;
  },
};
