/**
 * What analysts said before: feedback on incidents of the same shape (same detector + host + user
 * + command shape), and each detector's precision from all feedback so far.
 */
import { z } from 'zod';
import type { EvidenceItem, StepModule } from '../types.js';
import { signalShapes } from '../patterns.js';
import type { FeedbackDoc } from '../feedback.js';
import { uniq } from './util.js';

const params = z.object({ maxFeedback: z.number().int().min(1).max(100_000).default(5000), minFeedbackForPrecision: z.number().int().min(1).max(1000).default(3) }).strict();

export const analystHistoryStep: StepModule<z.output<typeof params>> = {
  type: 'analyst_history',
  description: 'Earlier analyst verdicts on incidents of the same shape, and per-detector precision from feedback.',
  params,
  async run(ctx) {
    const recs = await ctx.store.listRecords<FeedbackDoc>('feedback', { tenant: ctx.tenant, limit: ctx.params.maxFeedback });
    const fb = recs.map((r) => r.doc).filter((d) => d && d.incidentId !== ctx.incident.id).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
    if (fb.length === 0) return [];
    const shapes = signalShapes(ctx.signals, ctx.signalEvents);
    const items: EvidenceItem[] = [];
    const seen = new Set<string>();
    for (const f of fb) {
      const pats = new Set(f.patterns ?? []);
      const loose = new Set(f.loosePatterns ?? []);
      const full = shapes.filter((s) => pats.has(s.full));
      const partial = full.length ? [] : shapes.filter((s) => loose.has(s.loose));
      const matched = full.length ? full : partial;
      if (!matched.length) continue;
      const key = `${f.verdict}|${matched.map((m) => m.full).join(',')}|${full.length ? 'full' : 'loose'}`;
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(
        ctx.evidence({
          title: `An analyst (${f.by}) marked a ${full.length ? 'same-shaped' : 'similar (same account and command, other host)'} incident ${f.verdict} (${f.label}): ${f.note.slice(0, 120)}`,
          query: { lookup: 'feedback', args: { feedback: f.id, incident: f.incidentId } },
          eventIds: uniq(matched.flatMap((m) => m.eventIds)).filter((id) => ctx.signalEvents.has(id)).slice(0, 20),
          facts: { kind: 'analyst_feedback', verdict: f.verdict, label: f.label, by: f.by, incidentId: f.incidentId, match: full.length ? 'full' : 'loose', patterns: matched.map((m) => m.full).slice(0, 10) },
        }),
      );
    }
    // per-detector precision
    const dets = uniq(ctx.signals.map((s) => s.detector)).sort();
    for (const d of dets) {
      const about = fb.filter((f) => f.detectors?.includes(d));
      if (about.length < ctx.params.minFeedbackForPrecision) continue;
      const tp = about.filter((f) => f.verdict !== 'benign').length;
      items.push(
        ctx.evidence({
          title: `Detector ${d}: ${tp} of ${about.length} analyst verdicts were true positives (precision ${(tp / about.length).toFixed(2)})`,
          query: { lookup: 'feedback', args: { detector: d } },
          eventIds: uniq(ctx.signals.filter((s) => s.detector === d).flatMap((s) => s.eventIds)).filter((id) => ctx.signalEvents.has(id)).slice(0, 10),
          facts: { kind: 'detector_precision', detector: d, feedback: about.length, truePositives: tp, precision: Math.round((tp / about.length) * 1000) / 1000 },
        }),
      );
    }
    return items;
  },
};
