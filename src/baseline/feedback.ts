/**
 * Analyst feedback → baselines. An analyst closes an incident as benign through the API or the
 * console (`POST /api/v1/incidents/:id/feedback`, src/investigate/feedback.ts), which stores a
 * Feedback record (collection `feedback`, status = verdict, ref = incident id). This module turns
 * those records into baseline feedback: every anomaly signal of a benign incident has its pattern
 * marked benign (its future score multiplied by `feedbackFactor`), and a later non-benign verdict
 * on the same incident takes the marks back. Each change is written to the store's hash-chained
 * audit log (`baseline.mark_benign` / `baseline.unmark_benign`) as well as to the stage's own trail.
 *
 * Idempotent: marks carry their source (`incident:<id> feedback:<id>`), so syncing the same
 * records again changes nothing; callers may re-scan from any time (e.g. on every checkpoint).
 */
import type { Feedback, Incident } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import type { Store } from '../store/port.js';
import { GarrisonError } from '../core/errors.js';
import type { BaselineStage } from './stage.js';

export interface FeedbackSyncOptions {
  /** Only feedback records updated at or after this time (ms); default 0 (all). */
  since?: number;
  /** Most feedback records read in one call (newest first); default 1,000. */
  limit?: number;
  tenant?: string;
  /** Score multiplier of one benign mark (default: the stage's feedbackFactor). */
  factor?: number;
}

export interface FeedbackSyncResult {
  /** Feedback records read. */
  read: number;
  /** Patterns marked benign now. */
  marked: { pattern: string; incidentId: string; feedbackId: string; by: string }[];
  /** Patterns whose marks were taken back (the incident's latest verdict is no longer benign). */
  unmarked: { pattern: string; incidentId: string; feedbackId: string; by: string }[];
  /** Signals whose pattern could not be marked (e.g. too many wildcards), with why. */
  problems: GarrisonError[];
  /** Largest `updatedAt` seen: pass it as `since` next time. */
  cursor: number;
}

const sourceOf = (incidentId: string, feedbackId: string) => `incident:${incidentId} feedback:${feedbackId}`;

/** Applies stored analyst feedback on incidents to the stage (see the module comment). */
export async function syncAnalystFeedback(store: Store, stage: BaselineStage, opts: FeedbackSyncOptions = {}): Promise<FeedbackSyncResult> {
  const since = opts.since ?? 0;
  const res: FeedbackSyncResult = { read: 0, marked: [], unmarked: [], problems: [], cursor: since };
  const records = await store.listRecords<Feedback>('feedback', { updatedSince: since, tenant: opts.tenant, limit: opts.limit ?? 1000 });
  res.read = records.length;
  // The latest feedback per incident decides (an analyst may change their mind).
  const latest = new Map<string, { rec: (typeof records)[number]; fb: Feedback }>();
  for (const rec of records) {
    res.cursor = Math.max(res.cursor, rec.updatedAt);
    const fb = rec.doc;
    if (!fb || typeof fb !== 'object' || typeof fb.incidentId !== 'string') continue;
    const cur = latest.get(fb.incidentId);
    if (!cur || fb.at > cur.fb.at || (fb.at === cur.fb.at && rec.id > cur.rec.id)) latest.set(fb.incidentId, { rec, fb });
  }
  const existing = new Set(stage.feedbackEntries().map((e) => e.source).filter((x): x is string => x !== undefined));
  const sourcesOfIncident = (incidentId: string) => [...existing].filter((s) => s.startsWith(`incident:${incidentId} `));
  for (const [incidentId, { rec, fb }] of latest) {
    const src = sourceOf(incidentId, rec.id);
    const by = fb.by.startsWith('user:') || fb.by.startsWith('token:') ? fb.by : `user:${fb.by}`;
    // Take back marks made from earlier feedback on this incident that is no longer the latest.
    for (const old of sourcesOfIncident(incidentId)) {
      if (old === src && fb.verdict === 'benign') continue;
      const gone = stage.unmarkBySource(old, { by, reason: `incident ${incidentId} re-labelled ${fb.verdict} (${fb.label})`, at: fb.at });
      existing.delete(old);
      for (const g of gone) {
        res.unmarked.push({ pattern: g.pattern, incidentId, feedbackId: rec.id, by });
        await store.appendAudit({ time: fb.at, actor: by, action: 'baseline.unmark_benign', target: g.pattern, doc: { incident: incidentId, feedback: rec.id, verdict: fb.verdict, tenant: rec.tenant } });
      }
    }
    if (fb.verdict !== 'benign' || existing.has(src)) continue;
    const incident = await store.getRecord<Incident>('incidents', incidentId);
    if (!incident) continue;
    const ids = (incident.doc.signalIds ?? []).slice(0, 10_000);
    const signals: Signal[] = ids.length ? await store.getSignals(ids, incident.tenant) : [];
    const seen = new Set<string>();
    for (const sig of signals) {
      const pattern = sig.kind === 'anomaly' && typeof sig.details?.pattern === 'string' ? sig.details.pattern : undefined;
      if (!pattern || seen.has(pattern)) continue;
      seen.add(pattern);
      try {
        const e = stage.markBenign(pattern, { by, reason: `incident ${incidentId}: ${fb.label}${fb.note ? ` — ${fb.note}` : ''}`.slice(0, 500), at: fb.at, factor: opts.factor, source: src, tenant: sig.tenant });
        res.marked.push({ pattern, incidentId, feedbackId: rec.id, by });
        await store.appendAudit({ time: fb.at, actor: by, action: 'baseline.mark_benign', target: pattern, doc: { incident: incidentId, feedback: rec.id, factor: e.factor, model: sig.detector, tenant: sig.tenant } });
      } catch (err) {
        if (err instanceof GarrisonError) res.problems.push(err);
        else throw err;
      }
    }
    existing.add(src);
  }
  return res;
}
