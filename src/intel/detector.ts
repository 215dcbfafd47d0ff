/**
 * The streaming intel detector: an EventConsumer that raises one `kind: 'intel'` signal per event
 * and matched indicator (an event naming two bad values raises two). Validity is checked at the
 * event's time; signal ids and createdAt come from content (event id, indicator id, event time),
 * so re-processing the same events gives the same signals.
 */
import { createHash } from 'node:crypto';
import type { GarrisonEvent } from '../core/event.js';
import type { Level, Signal } from '../core/signal.js';
import type { EventConsumer } from '../core/stages.js';
import type { IntelIndex } from './intel-index.js';
import type { IntelMatch } from './types.js';

export interface IntelDetectorOptions {
  index: IntelIndex;
  onSignals: (signals: Signal[]) => Promise<void> | void;
  /** Ignore indicators below this confidence (default 0). */
  minConfidence?: number;
}

export function intelLevel(confidence: number): Level {
  return confidence >= 80 ? 'high' : confidence >= 50 ? 'medium' : 'low';
}

export function intelSignal(ev: GarrisonEvent, m: IntelMatch): Signal {
  const ind = m.indicator;
  const level = intelLevel(ind.confidence);
  const network = ind.type === 'ipv4' || ind.type === 'ipv6' || ind.type === 'cidr' || ind.type === 'domain' || ind.type === 'url';
  return {
    id: createHash('sha1').update('intel').update('\0').update(ind.id).update('\0').update(ev.id).update('\0').update(m.value).digest('hex').slice(0, 32),
    tenant: ev.tenant,
    kind: 'intel',
    detector: `intel:${ind.source}`,
    title: `Known ${ind.type} indicator ${ind.value} (${ind.source})`,
    level,
    score: Math.max(10, Math.min(100, ind.confidence)),
    time: ev.time,
    createdAt: ev.time,
    attack: { tactics: network ? ['TA0011'] : [], techniques: [] },
    eventIds: [ev.id],
    entities: ev.entities,
    details: {
      indicator: { id: ind.id, type: ind.type, value: ind.value, source: ind.source, confidence: ind.confidence, tags: ind.tags, validFrom: ind.validFrom, validUntil: ind.validUntil, description: ind.description, ref: ind.ref },
      matched: m.value,
      how: m.how,
    },
  };
}

export interface IntelDetector extends EventConsumer {
  readonly stats: { events: number; signals: number };
}

export function createIntelDetector(opts: IntelDetectorOptions): IntelDetector {
  const stats = { events: 0, signals: 0 };
  return {
    stats,
    async onEvents(events: GarrisonEvent[]): Promise<void> {
      const out: Signal[] = [];
      for (const ev of events) {
        stats.events++;
        if (!ev || typeof ev !== 'object' || !ev.entities) continue;
        for (const m of opts.index.matchEvent(ev, { at: ev.time, minConfidence: opts.minConfidence })) out.push(intelSignal(ev, m));
      }
      if (out.length) {
        stats.signals += out.length;
        await opts.onSignals(out);
      }
    },
  };
}
