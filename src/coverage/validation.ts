/**
 * Evidence that a detection works: its own test events pass (rules test), it fired in live
 * operation (signals in the store), and a replayed attack campaign was detected by it (the
 * simulator's campaigns, run through the parsers and the detection stage, with ground truth per
 * record). The replay result is kept in the store state so coverage can cite it later.
 */
import { GarrisonError } from '../core/errors.js';
import type { Signal } from '../core/signal.js';
import { SigmaStage } from '../detect/engine.js';
import type { SigmaConfigInput } from '../detect/sigma/config.js';
import { parseRecord } from '../normalize/registry.js';
import { SOURCES } from '../sim/record.js';
import { Simulation } from '../sim/simulation.js';
import type { Store } from '../store/port.js';

export const REPLAY_STATE_KEY = 'coverage/replay/v1';

export interface ReplayResult {
  at: number;
  seed: number;
  hours: number;
  scenario: string;
  records: number;
  /** Per campaign technique: which detectors fired on that technique's own records. */
  techniques: { technique: string; campaign: string; detectors: string[]; records: number }[];
}

export interface ReplayOptions {
  seed?: number;
  hours?: number;
  scenario?: string;
  rulePaths?: string[];
  builtin?: boolean;
  config?: SigmaConfigInput;
  now?: () => number;
}

/** Replays the simulator's campaigns through the parsers and the Sigma stage. */
export function replayCampaigns(opts: ReplayOptions = {}): ReplayResult {
  const sim = new Simulation({ seed: opts.seed ?? 1, hours: opts.hours ?? 24, scenario: opts.scenario ?? 'default' });
  const stage = new SigmaStage({ builtin: opts.builtin, rulePaths: opts.rulePaths, config: { skipStatus: [], ...(opts.config ?? {}) } });
  const byTech = new Map<string, { technique: string; campaign: string; detectors: Set<string>; records: number }>();
  const truthOf = new Map<string, string>(); // event id -> campaign\0technique
  let records = 0;
  const note = (signals: Signal[]) => {
    for (const s of signals) {
      for (const id of s.eventIds) {
        const k = truthOf.get(id);
        if (k) byTech.get(k)!.detectors.add(s.detector);
      }
    }
  };
  let i = 0;
  for (const r of sim.records()) {
    const src = SOURCES[r.source];
    const p = parseRecord({ data: r.event, origin: `sim:${i++}`, input: 'sim', tenant: 'default', receivedAt: r.time, format: src.sourcetype, meta: { sourcetype: src.sourcetype, source: src.source, host: r.host, time: r.time / 1000 } });
    if (!p.ok) continue;
    records++;
    if (r.truth) {
      const k = `${r.truth.campaign}\u0000${r.truth.technique}`;
      let e = byTech.get(k);
      if (!e) byTech.set(k, (e = { technique: r.truth.technique, campaign: r.truth.campaign, detectors: new Set(), records: 0 }));
      e.records++;
      truthOf.set(p.event.id, k);
    }
    note(stage.process([p.event]));
  }
  note(stage.flush(Infinity));
  return {
    at: (opts.now ?? Date.now)(),
    seed: sim.seed,
    hours: sim.hours,
    scenario: sim.scenario,
    records,
    techniques: [...byTech.values()].map((e) => ({ technique: e.technique, campaign: e.campaign, detectors: [...e.detectors].sort(), records: e.records })).sort((a, b) => a.campaign.localeCompare(b.campaign) || a.technique.localeCompare(b.technique)),
  };
}

export async function saveReplay(store: Store, r: ReplayResult): Promise<void> {
  await store.setState(REPLAY_STATE_KEY, JSON.stringify(r));
}

export async function loadReplay(store: Store): Promise<ReplayResult | undefined> {
  const t = await store.getState(REPLAY_STATE_KEY);
  if (!t) return undefined;
  try {
    const r = JSON.parse(t) as ReplayResult;
    if (!r || !Array.isArray(r.techniques)) throw new Error('no techniques');
    return r;
  } catch (e) {
    throw new GarrisonError('COVERAGE_OPTION_INVALID', `stored replay result (${REPLAY_STATE_KEY}) is malformed: ${(e as Error).message}`);
  }
}

/** Every signal in a window (querySignals pages by time: it has no cursor). */
export async function signalsInWindow(store: Store, from: number, to: number, tenant?: string, max = 1_000_000): Promise<Signal[]> {
  const out: Signal[] = [];
  const seen = new Set<string>();
  let hi = to;
  const PAGE = 100_000;
  for (;;) {
    const page = await store.querySignals({ from, to: hi, tenant, limit: PAGE });
    for (const s of page) if (!seen.has(s.id)) (seen.add(s.id), out.push(s));
    if (page.length < PAGE || out.length >= max) break;
    const next = page[page.length - 1].time + 1; // ties at the oldest time are read again and de-duplicated
    if (next >= hi) break;
    hi = next;
  }
  return out;
}
