/**
 * How pipeline stages hand work to the next one. Data flows one way:
 *
 *   ingest → normalize → store → detect (Sigma, baselines, intel) → correlate → investigate → respond → surface
 *
 * Each stage implements the consumer interface of the data it takes and is given the consumer of
 * the next stage by the composition root (src/app). Between processes the same hand-offs travel on
 * the bus (src/bus) under the topics below.
 */
import type { GarrisonEvent } from './event.js';
import type { Incident, IncidentVerdict } from './incident.js';
import type { Signal } from './signal.js';

/** Topics on the bus, one per hand-off. */
export const TOPICS = {
  events: 'garrison.events.stored',
  signals: 'garrison.signals',
  incidents: 'garrison.incidents',
  verdicts: 'garrison.verdicts',
  actions: 'garrison.actions',
} as const;
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

/** Detectors take stored events (they run after the store has committed them). */
export interface EventConsumer {
  onEvents(events: GarrisonEvent[]): Promise<void>;
}

/** Correlation takes signals. */
export interface SignalConsumer {
  onSignals(signals: Signal[]): Promise<void>;
}

export type IncidentChangeKind = 'created' | 'updated' | 'merged' | 'split' | 'closed';

export interface IncidentChange {
  kind: IncidentChangeKind;
  incident: Incident;
}

/** Investigation (and the console's live feed) take incident changes. */
export interface IncidentConsumer {
  onIncident(change: IncidentChange): Promise<void>;
}

/** Response takes verdicts. */
export interface VerdictConsumer {
  onVerdict(incident: Incident, verdict: IncidentVerdict): Promise<void>;
}
