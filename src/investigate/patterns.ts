/**
 * Incident "shapes" used to recognise similar incidents: per signal, detector + host + user +
 * command-line shape (or the anomaly pattern). Analyst feedback stores the shapes of the incident
 * it was given on; later investigations compare theirs.
 */
import { hostKey, type GarrisonEvent } from '../core/event.js';
import type { Signal } from '../core/signal.js';
import { commandShape } from './steps/util.js';

export interface SignalShape {
  /** `detector|host|user|shape` — exact similarity. */
  full: string;
  /** `detector|*|user|shape` — same thing by the same account on any host. */
  loose: string;
  detector: string;
  eventIds: string[];
}

export function signalShapes(signals: Signal[], events: Map<string, GarrisonEvent>): SignalShape[] {
  const out = new Map<string, SignalShape>();
  for (const s of [...signals].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const ev = s.eventIds.map((id) => events.get(id)).find(Boolean);
    const host = hostKey(s.entities.host ?? ev?.entities.host) ?? '-';
    const user = (s.entities.user ?? ev?.entities.user ?? '-').toLowerCase();
    const shape = typeof s.details?.pattern === 'string' ? String(s.details.pattern).toLowerCase() : commandShape(ev?.entities.process?.commandLine ?? s.entities.process?.commandLine) || '-';
    const full = `${s.detector}|${host}|${user}|${shape}`;
    const cur = out.get(full);
    if (cur) cur.eventIds.push(...s.eventIds);
    else out.set(full, { full, loose: `${s.detector}|*|${user}|${shape}`, detector: s.detector, eventIds: [...s.eventIds] });
  }
  return [...out.values()];
}
