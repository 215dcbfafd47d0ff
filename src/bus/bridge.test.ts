import { describe, expect, it } from 'vitest';
import { isGarrisonError, type GarrisonError } from '../core/errors.js';
import type { GarrisonEvent } from '../core/event.js';
import type { Incident, IncidentVerdict } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import { TOPICS, type IncidentChange } from '../core/stages.js';
import { waitFor } from './contract.js';
import { BUS_IMPLEMENTATIONS, consumeEvents, consumeIncidents, consumeSignals, consumeVerdicts, MemoryBus, openBus, publishingEventConsumer, publishingIncidentConsumer, publishingSignalConsumer, publishingVerdictConsumer, signalKey } from './index.js';

const signal = (n: number, host = 'WS01'): Signal => ({
  id: `sig-${n}`,
  tenant: 'default',
  kind: 'sigma',
  detector: 'rule-1',
  title: `Suspicious thing ${n}`,
  level: 'high',
  score: 75,
  time: 1_700_000_000_000 + n,
  createdAt: 1_700_000_000_500 + n,
  attack: { tactics: ['TA0002'], techniques: ['T1059'] },
  eventIds: [`ev-${n}`],
  entities: { host },
  details: { fields: { CommandLine: 'whoami' } },
});

const incident = (id: string, revision: number): Incident => ({
  id,
  tenant: 'default',
  title: `Incident ${id}`,
  summary: '',
  status: 'new' as Incident['status'],
  severity: 'high',
  score: 80,
  confidence: 0.8,
  createdAt: 1,
  updatedAt: revision,
  firstSeen: 1,
  lastSeen: 2,
  signalIds: ['sig-1'],
  attack: { tactics: [], techniques: [] },
  stages: [],
  entities: [],
  scoring: [],
  mergedFrom: [],
  revision,
});

describe('stage bridges over the memory bus', () => {
  it('carries signals from a detector to correlation unchanged, keyed per entity', async () => {
    const bus = new MemoryBus();
    const got: Signal[] = [];
    await consumeSignals(bus, 'correlate', { onSignals: async (s) => void got.push(...s) }, { maxWaitMs: 0 });
    const out = publishingSignalConsumer(bus);
    await out.onSignals([signal(1), signal(2, 'WS02')]);
    await out.onSignals([]);
    await waitFor(() => got.length === 2);
    expect(got).toEqual([signal(1), signal(2, 'WS02')]);
    expect(signalKey(signal(1))).toBe('default/WS01');
    await bus.close();
  });

  it('dead-letters a payload that is not a Signal and hands the rest on', async () => {
    const bus = new MemoryBus();
    const got: Signal[] = [];
    const errors: GarrisonError[] = [];
    await consumeSignals(bus, 'correlate', { onSignals: async (s) => void got.push(...s) }, { maxWaitMs: 0, onError: (e) => errors.push(e) });
    bus.injectRaw(TOPICS.signals, JSON.stringify({ ...signal(9), level: 'apocalyptic' }));
    bus.injectRaw(TOPICS.signals, JSON.stringify({ id: 'x' }));
    await publishingSignalConsumer(bus).onSignals([signal(3)]);
    await waitFor(() => got.length === 1 && errors.length === 2);
    expect(got[0].id).toBe('sig-3');
    expect(errors.every((e) => e.code === 'BUS_PAYLOAD_MALFORMED')).toBe(true);
    expect((await bus.deadLetters(TOPICS.signals)).map((d) => d.error.message).join('\n')).toMatch(/level/);
    await bus.close();
  });

  it('retries the stage when it fails, so a signal is not lost', async () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    let fail = true;
    await consumeSignals(bus, 'correlate', {
      onSignals: async (s) => {
        if (fail) {
          fail = false;
          throw new Error('store briefly unavailable');
        }
        got.push(...s.map((x) => x.id));
      },
    }, { maxWaitMs: 0, retryDelayMs: 10 });
    await publishingSignalConsumer(bus).onSignals([signal(1)]);
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['sig-1']);
    await bus.close();
  });

  it('delivers incident changes one at a time, in order per incident', async () => {
    const bus = new MemoryBus();
    const seen: string[] = [];
    let active = 0;
    let maxActive = 0;
    await consumeIncidents(bus, 'investigate', {
      onIncident: async (c: IncidentChange) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 1));
        seen.push(`${c.incident.id}@${c.incident.revision}:${c.kind}`);
        active--;
      },
    }, { maxWaitMs: 0 });
    const out = publishingIncidentConsumer(bus);
    await out.onIncident({ kind: 'created', incident: incident('A', 1) });
    await out.onIncident({ kind: 'created', incident: incident('B', 1) });
    await out.onIncident({ kind: 'updated', incident: incident('A', 2) });
    await out.onIncident({ kind: 'closed', incident: incident('A', 3) });
    await waitFor(() => seen.length === 4);
    expect(seen.filter((s) => s.startsWith('A'))).toEqual(['A@1:created', 'A@2:updated', 'A@3:closed']);
    expect(maxActive).toBe(1);
    await bus.close();
  });

  it('carries stored events and verdicts', async () => {
    const bus = new MemoryBus();
    const ev: GarrisonEvent = { id: 'e1', time: 1, ingestTime: 2, tenant: 'default', source: { format: 'winlog' }, class: { uid: 1007, name: 'process_activity' }, entities: { host: 'WS01' }, fields: { EventID: 1 }, raw: '{}' } as GarrisonEvent;
    const events: GarrisonEvent[] = [];
    const verdicts: [string, string][] = [];
    await consumeEvents(bus, 'detect', { onEvents: async (e) => void events.push(...e) }, { maxWaitMs: 0 });
    await consumeVerdicts(bus, 'respond', { onVerdict: async (i, v) => void verdicts.push([i.id, v.verdict]) }, { maxWaitMs: 0 });
    await publishingEventConsumer(bus).onEvents([ev]);
    const v: IncidentVerdict = { verdict: 'malicious', confidence: 0.9, by: 'garrison', decidedAt: 3, summary: 's', factors: [], wouldChange: [] } as IncidentVerdict;
    await publishingVerdictConsumer(bus).onVerdict(incident('A', 1), v);
    await waitFor(() => events.length === 1 && verdicts.length === 1);
    expect(events[0]).toEqual(ev);
    expect(verdicts).toEqual([['A', 'malicious']]);
    await bus.close();
  });
});

describe('openBus', () => {
  it('opens the embedded bus by default and from config', async () => {
    const a = await openBus();
    const b = await openBus({ kind: 'memory', maxPending: 10 });
    expect(a.kind).toBe('memory');
    expect(b.kind).toBe('memory');
    await a.close();
    await b.close();
    expect(Object.keys(BUS_IMPLEMENTATIONS).sort()).toEqual(['memory', 'nats']);
  });
  it('rejects invalid configuration with every problem', async () => {
    const e = await openBus({ kind: 'nats', stream: 'bad stream name', ackWaitMs: 1 } as never).catch((x: unknown) => x);
    expect(isGarrisonError(e, 'CONFIG_INVALID')).toBe(true);
    expect((e as GarrisonError).message).toMatch(/stream/);
    expect((e as GarrisonError).message).toMatch(/ackWaitMs/);
    const e2 = await openBus({ kind: 'kafka' } as never).catch((x: unknown) => x);
    expect(isGarrisonError(e2, 'CONFIG_INVALID')).toBe(true);
  });
});
