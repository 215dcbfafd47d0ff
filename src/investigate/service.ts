/**
 * What the API and the CLI call: read an investigation, re-run one, record analyst feedback, and
 * fetch the stored events behind an evidence item. Transport-free (routes stay thin).
 */
import { GarrisonError } from '../core/errors.js';
import type { GarrisonEvent } from '../core/event.js';
import type { Incident } from '../core/incident.js';
import type { Store } from '../store/port.js';
import type { IntelIndex } from '../intel/intel-index.js';
import { loadIntelIndex } from '../intel/feeds.js';
import { createInvestigator, type InvestigatorOptions, type InvestigationResult } from './engine.js';
import { recordFeedback, type FeedbackDoc } from './feedback.js';
import type { InvestigationDoc } from './types.js';

export class InvestigationService {
  private intel: IntelIndex | undefined;
  constructor(private readonly opts: Omit<InvestigatorOptions, 'store'> & { store: Store }) {
    this.intel = opts.intel;
  }

  private async incident(id: string): Promise<Incident> {
    const r = await this.opts.store.getRecord<Incident>('incidents', id);
    if (!r) throw new GarrisonError('INVESTIGATE_NOT_FOUND', `no incident ${id}`, { location: { field: 'id' } });
    return r.doc;
  }

  /** The latest investigation of an incident (ledger + verdict + narrative). */
  async get(incidentId: string): Promise<{ incident: { id: string; status: string; verdict?: Incident['verdict']; analystVerdict?: Incident['analystVerdict']; closeReason?: string }; investigation: InvestigationDoc }> {
    const inc = await this.incident(incidentId);
    let doc: InvestigationDoc | undefined;
    if (inc.investigationId) doc = (await this.opts.store.getRecord<InvestigationDoc>('investigations', inc.investigationId))?.doc;
    doc ??= (await this.opts.store.listRecords<InvestigationDoc>('investigations', { ref: incidentId, limit: 1 }))[0]?.doc;
    if (!doc) throw new GarrisonError('INVESTIGATE_NOT_FOUND', `incident ${incidentId} has not been investigated yet (POST .../investigate)`, { location: { field: 'id' } });
    return { incident: { id: inc.id, status: inc.status, verdict: inc.verdict, analystVerdict: inc.analystVerdict, closeReason: inc.closeReason }, investigation: doc };
  }

  async run(incidentId: string): Promise<InvestigationResult> {
    await this.incident(incidentId);
    this.intel ??= await loadIntelIndex(this.opts.store);
    const inv = createInvestigator({ ...this.opts, intel: this.intel });
    try {
      return await inv.investigate(incidentId);
    } finally {
      await inv.close();
    }
  }

  async feedback(incidentId: string, body: unknown, by: string): Promise<{ feedback: FeedbackDoc; incident: Incident }> {
    return recordFeedback(this.opts.store, incidentId, body, { by, now: this.opts.now });
  }

  /** The stored events an evidence item cites (in the order it cites them). */
  async evidenceEvents(incidentId: string, evidenceId: string): Promise<{ evidence: { id: string; title: string; query: unknown }; events: GarrisonEvent[]; missing: string[] }> {
    const { investigation } = await this.get(incidentId);
    const item = investigation.ledger.steps.flatMap((s) => s.evidence).find((e) => e.id === evidenceId);
    if (!item) throw new GarrisonError('INVESTIGATE_NOT_FOUND', `no evidence ${evidenceId} in the investigation of ${incidentId}`, { location: { field: 'evidenceId' } });
    const inc = await this.incident(incidentId);
    const events = item.eventIds.length ? await this.opts.store.getEvents(item.eventIds, inc.tenant) : [];
    const found = new Set(events.map((e) => e.id));
    return { evidence: { id: item.id, title: item.title, query: item.query }, events, missing: item.eventIds.filter((id) => !found.has(id)) };
  }
}
