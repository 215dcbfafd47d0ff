/**
 * Analyst feedback: a person's verdict on an incident. Stored as a Feedback record (collection
 * `feedback`, ref = incident id) with the incident's shapes, so later investigations of
 * same-shaped incidents see it (analyst_history step → verdict factors), and per-detector
 * precision follows from all feedback. A false positive also yields a proposed Sigma exception
 * (for review, never applied automatically). Every feedback is audited.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { GarrisonError } from '../core/errors.js';
import type { GarrisonEvent } from '../core/event.js';
import type { Feedback, Incident, IncidentVerdict } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import type { Store, StoredRecord } from '../store/port.js';
import { signalShapes } from './patterns.js';

export interface FeedbackDoc extends Feedback {
  /** Full shapes (detector|host|user|shape) of the incident's signals. */
  patterns: string[];
  /** Loose shapes (detector|*|user|shape). */
  loosePatterns: string[];
  /** For a false positive on a Sigma rule: a proposed exception, for review. */
  proposedException?: { rule: string; status: 'proposed'; yaml: string };
}

export const FeedbackInputSchema = z
  .object({
    verdict: z.enum(['malicious', 'suspicious', 'benign']),
    label: z.string().min(1).max(64),
    note: z.string().max(4000).default(''),
  })
  .strict();
export type FeedbackInput = z.input<typeof FeedbackInputSchema>;

export async function loadSignals(store: Store, incident: Incident): Promise<Signal[]> {
  const want = new Set(incident.signalIds);
  if (want.size === 0) return [];
  const all = await store.querySignals({ tenant: incident.tenant, from: incident.firstSeen, to: incident.lastSeen + 1, limit: 100_000 });
  return all.filter((s) => want.has(s.id)).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
}

export async function loadEvents(store: Store, signals: Signal[], tenant: string, max = 2000): Promise<Map<string, GarrisonEvent>> {
  const ids = [...new Set(signals.flatMap((s) => s.eventIds))].slice(0, max);
  const evs = ids.length ? await store.getEvents(ids, tenant) : [];
  return new Map(evs.map((e) => [e.id, e]));
}

function yamlStr(s: string): string {
  return JSON.stringify(s);
}

export async function recordFeedback(store: Store, incidentId: string, input: unknown, opts: { by: string; now?: () => number }): Promise<{ feedback: FeedbackDoc; incident: Incident }> {
  const p = FeedbackInputSchema.safeParse(input);
  if (!p.success) {
    throw new GarrisonError('INVESTIGATE_FEEDBACK_INVALID', p.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '), { details: { issues: p.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) } });
  }
  const rec = await store.getRecord<Incident>('incidents', incidentId);
  if (!rec) throw new GarrisonError('INVESTIGATE_NOT_FOUND', `no incident ${incidentId}`, { location: { field: 'id' } });
  const incident = rec.doc;
  const now = (opts.now ?? Date.now)();
  const signals = await loadSignals(store, incident);
  const events = await loadEvents(store, signals, incident.tenant);
  const shapes = signalShapes(signals, events);
  const detectors = [...new Set(signals.map((s) => s.detector))].sort();
  const { verdict, label, note } = p.data;
  const id = 'fb-' + createHash('sha256').update(`${incidentId}\0${opts.by}\0${verdict}\0${label}\0${note}\0${now}`).digest('hex').slice(0, 24);
  const doc: FeedbackDoc = { id, incidentId, by: opts.by, at: now, verdict, label, note, detectors, patterns: shapes.map((s) => s.full), loosePatterns: shapes.map((s) => s.loose) };
  if (verdict === 'benign') {
    const sigma = signals.find((s) => s.kind === 'sigma');
    if (sigma) {
      const ev = sigma.eventIds.map((i) => events.get(i)).find(Boolean);
      const lines = [`# proposed by ${opts.by} from incident ${incidentId} (${label}); review before use`, `rule: ${sigma.detector}`, 'filter_analyst_feedback:'];
      const host = ev?.fields?.Computer ?? ev?.entities.host;
      const user = ev?.fields?.User ?? ev?.fields?.SubjectUserName ?? ev?.entities.user;
      const cmd = ev?.fields?.CommandLine ?? ev?.fields?.ImagePath;
      if (typeof host === 'string') lines.push(`  Computer: ${yamlStr(host)}`);
      if (typeof user === 'string') lines.push(`  User: ${yamlStr(user)}`);
      if (typeof cmd === 'string') lines.push(`  ${ev?.fields?.CommandLine !== undefined ? 'CommandLine' : 'ImagePath'}: ${yamlStr(cmd)}`);
      lines.push('condition: selection and not filter_analyst_feedback');
      doc.proposedException = { rule: sigma.detector, status: 'proposed', yaml: lines.join('\n') + '\n' };
    }
  }
  const stored: StoredRecord<FeedbackDoc> = { id, tenant: incident.tenant, status: verdict, ref: incidentId, createdAt: now, updatedAt: now, doc };
  await store.putRecords('feedback', [stored]);
  const analystVerdict: IncidentVerdict = {
    verdict,
    confidence: 1,
    by: opts.by.startsWith('user:') || opts.by.startsWith('token:') ? opts.by : `user:${opts.by}`,
    decidedAt: now,
    summary: `${label}${note ? `: ${note}` : ''}`,
    factors: [{ factor: 'analyst_verdict', weight: 0, detail: `${opts.by}: ${label}${note ? ` — ${note}` : ''}`, cites: [id] }],
    wouldChange: [],
  };
  const updated: Incident = {
    ...incident,
    analystVerdict,
    status: verdict === 'benign' ? 'closed' : incident.status === 'closed' ? 'needs_review' : incident.status,
    closeReason: verdict === 'benign' ? `analyst ${opts.by}: ${label}${note ? ` — ${note}` : ''}` : incident.status === 'closed' ? undefined : incident.closeReason,
    updatedAt: now,
    revision: (incident.revision ?? 0) + 1,
  };
  await store.putRecords('incidents', [{ ...rec, status: updated.status, updatedAt: now, doc: updated }]);
  await store.appendAudit({ time: now, actor: analystVerdict.by, action: 'incident.feedback', target: incidentId, doc: { feedback: id, verdict, label, note, detectors, proposedException: doc.proposedException?.rule } });
  return { feedback: doc, incident: updated };
}
