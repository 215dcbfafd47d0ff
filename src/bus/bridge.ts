/**
 * Stage hand-offs over a bus. The composition root wires stages either directly (one process: the
 * consumer of the next stage is passed in) or through the bus (split processes): on the producing
 * side a `publishing*Consumer(bus)` stands in for the next stage; on the consuming side
 * `consume*(bus, group, stage)` feeds the stage from the topic. Same interfaces both ways
 * (src/core/stages.ts), so a stage never knows which it is.
 *
 * Payloads arriving from the bus are hostile like any input: each is checked against the
 * hand-off's shape before the stage sees it; a payload that fails is dead-lettered
 * (BUS_PAYLOAD_MALFORMED) and the rest of the batch goes on.
 */
import { z } from 'zod';
import type { GarrisonEvent } from '../core/event.js';
import type { Incident, IncidentVerdict } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import { TOPICS, type EventConsumer, type IncidentChange, type IncidentConsumer, type SignalConsumer, type VerdictConsumer } from '../core/stages.js';
import { MAX_KEY_LENGTH } from './common.js';
import type { Bus, SubscribeOptions, Subscription } from './port.js';

const LEVEL = z.enum(['informational', 'low', 'medium', 'high', 'critical']);
const obj = z.record(z.string(), z.unknown());
const finite = z.number().finite();

/** The shape a Signal must have when it comes off the bus (extra fields are kept). */
export const SignalWireSchema = z.looseObject({
  id: z.string().min(1).max(512),
  tenant: z.string().min(1).max(256),
  kind: z.enum(['sigma', 'sigma_correlation', 'anomaly', 'intel']),
  detector: z.string().max(1024),
  title: z.string().max(4096),
  level: LEVEL,
  score: finite,
  time: finite,
  createdAt: finite,
  attack: z.looseObject({ tactics: z.array(z.string()), techniques: z.array(z.string()) }),
  eventIds: z.array(z.string()),
  entities: obj,
  details: obj,
});

const IncidentWireSchema = z.looseObject({
  id: z.string().min(1).max(512),
  tenant: z.string().min(1).max(256),
  title: z.string(),
  status: z.string(),
  severity: LEVEL,
  score: finite,
  createdAt: finite,
  updatedAt: finite,
  signalIds: z.array(z.string()),
  revision: finite,
});

/** The shape of an incident change on the bus. */
export const IncidentChangeWireSchema = z.object({
  kind: z.enum(['created', 'updated', 'merged', 'split', 'closed']),
  incident: IncidentWireSchema,
});

/** The shape of a stored event on the bus. */
export const EventWireSchema = z.looseObject({
  id: z.string().min(1).max(512),
  time: finite,
  ingestTime: finite,
  tenant: z.string().min(1).max(256),
  source: obj,
  class: z.looseObject({ uid: z.number().int(), name: z.string() }),
  entities: obj,
  fields: obj,
  raw: z.string(),
});

/** A verdict hand-off on the bus. */
export const VerdictWireSchema = z.object({
  incident: IncidentWireSchema,
  verdict: z.looseObject({ verdict: z.enum(['malicious', 'suspicious', 'benign']), confidence: finite, by: z.string(), decidedAt: finite, summary: z.string() }),
});

function decoder<T>(schema: z.ZodType, what: string): (d: unknown) => T {
  return (d) => {
    const r = schema.safeParse(d);
    if (!r.success) {
      const first = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new Error(`not a ${what}: ${first.join('; ')}`);
    }
    return r.data as T;
  };
}

const clip = (k: string) => (k.length > MAX_KEY_LENGTH ? k.slice(0, MAX_KEY_LENGTH) : k);

/** Ordering key of a signal: its tenant and main entity (correlation works per entity). */
export function signalKey(s: Signal): string {
  const e = s.entities ?? {};
  return clip(`${s.tenant}/${e.host ?? e.user ?? e.srcIp ?? e.dstIp ?? e.domain ?? s.detector}`);
}

/** Ordering key of an event: tenant and host (detectors keep per-host state). */
export function eventKey(e: GarrisonEvent): string {
  return clip(`${e.tenant}/${e.entities?.host ?? ''}`);
}

/** Consumer options the bridges pass through (decode is theirs). */
export type BridgeSubscribeOptions = Omit<SubscribeOptions, 'decode'>;

// ---- signals (detect → correlate)

/** Stands in for the correlation stage: publishes signals to `garrison.signals`, keyed per entity. */
export function publishingSignalConsumer(bus: Bus, topic: string = TOPICS.signals): SignalConsumer {
  return {
    onSignals: async (signals) => {
      if (signals.length) await bus.publish(topic, signals, { key: (s) => signalKey(s as Signal) });
    },
  };
}

/** Feeds a SignalConsumer from the bus (one onSignals call per batch). */
export function consumeSignals(bus: Bus, group: string, consumer: SignalConsumer, opts: BridgeSubscribeOptions & { topic?: string } = {}): Promise<Subscription> {
  const { topic = TOPICS.signals, ...o } = opts;
  return bus.subscribe<Signal>(topic, group, async (batch) => consumer.onSignals(batch.map((m) => m.data)), { ...o, decode: decoder<Signal>(SignalWireSchema, 'Signal') });
}

// ---- incident changes (correlate → investigate, console)

/** Stands in for investigation / the live feed: publishes incident changes, keyed by incident id. */
export function publishingIncidentConsumer(bus: Bus, topic: string = TOPICS.incidents): IncidentConsumer {
  return {
    onIncident: async (change) => bus.publish(topic, [change], { key: (c) => clip((c as IncidentChange).incident.id) }),
  };
}

/** Feeds an IncidentConsumer from the bus, one change at a time in order. */
export function consumeIncidents(bus: Bus, group: string, consumer: IncidentConsumer, opts: BridgeSubscribeOptions & { topic?: string } = {}): Promise<Subscription> {
  const { topic = TOPICS.incidents, ...o } = opts;
  return bus.subscribe<IncidentChange>(topic, group, async (batch) => {
    for (const m of batch) await consumer.onIncident(m.data);
  }, { ...o, decode: decoder<IncidentChange>(IncidentChangeWireSchema, 'IncidentChange') });
}

// ---- stored events (store → detectors) and verdicts (investigate → respond)

/** Stands in for the detectors: publishes stored events, keyed by tenant and host. */
export function publishingEventConsumer(bus: Bus, topic: string = TOPICS.events): EventConsumer {
  return {
    onEvents: async (events) => {
      if (events.length) await bus.publish(topic, events, { key: (e) => eventKey(e as GarrisonEvent) });
    },
  };
}

/** Feeds an EventConsumer from the bus. */
export function consumeEvents(bus: Bus, group: string, consumer: EventConsumer, opts: BridgeSubscribeOptions & { topic?: string } = {}): Promise<Subscription> {
  const { topic = TOPICS.events, ...o } = opts;
  return bus.subscribe<GarrisonEvent>(topic, group, async (batch) => consumer.onEvents(batch.map((m) => m.data)), { ...o, decode: decoder<GarrisonEvent>(EventWireSchema, 'GarrisonEvent') });
}

/** Stands in for response: publishes verdicts, keyed by incident id. */
export function publishingVerdictConsumer(bus: Bus, topic: string = TOPICS.verdicts): VerdictConsumer {
  return {
    onVerdict: async (incident, verdict) => bus.publish(topic, [{ incident, verdict }], { key: () => clip(incident.id) }),
  };
}

/** Feeds a VerdictConsumer from the bus, one verdict at a time in order. */
export function consumeVerdicts(bus: Bus, group: string, consumer: VerdictConsumer, opts: BridgeSubscribeOptions & { topic?: string } = {}): Promise<Subscription> {
  const { topic = TOPICS.verdicts, ...o } = opts;
  return bus.subscribe<{ incident: Incident; verdict: IncidentVerdict }>(topic, group, async (batch) => {
    for (const m of batch) await consumer.onVerdict(m.data.incident, m.data.verdict);
  }, { ...o, decode: decoder<{ incident: Incident; verdict: IncidentVerdict }>(VerdictWireSchema, 'verdict hand-off') });
}
