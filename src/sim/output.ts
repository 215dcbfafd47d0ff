/**
 * Writes a simulation to a directory: one file per native source, ground_truth.json and
 * manifest.json. Output is byte-identical for the same options.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { GarrisonError } from '../core/errors.js';
import { SOURCES, SOURCE_KEYS, isoMs, renderLine, type SimRecord, type SourceKey } from './record.js';
import { GENERATOR_VERSION, type CampaignMeta, type Simulation } from './simulation.js';

export interface GroundTruthEvent {
  file: string;
  /** 1-based line in the file; for cloudtrail.json the 1-based index in `Records`. */
  line: number;
  time: string;
  host: string;
  campaign: string;
  step: number;
  technique: string;
  /** The producer's own record key: Windows `computer:channel:record_id`, Zeek uid, CloudTrail eventID, Entra id. */
  key?: string;
}

export interface Manifest {
  generator: string;
  seed: number;
  scenario: string;
  organization: string;
  start: string;
  end: string;
  hours: number;
  hosts: number;
  users: number;
  files: Record<string, { sourcetype: string; records: number }>;
  total: number;
  attackEvents: number;
  campaigns: (Omit<CampaignMeta, 'firstTime' | 'lastTime'> & { start: string | null; end: string | null })[];
}

/** A natural key of the record as its producer identifies it. */
export function recordKey(r: SimRecord): string | undefined {
  if (typeof r.event === 'string') return undefined;
  const e = r.event as Record<string, any>;
  switch (r.source) {
    case 'windows':
      return `${e.winlog.computer_name}:${e.winlog.channel}:${e.winlog.record_id}`;
    case 'cloudtrail':
      return e.eventID;
    case 'signin':
      return e.properties?.id;
    default:
      return e.uid;
  }
}

export interface WriteResult {
  manifest: Manifest;
  groundTruth: { campaigns: Manifest['campaigns']; events: GroundTruthEvent[] };
}

export function writeSimulation(sim: Simulation, dir: string, onProgress?: (records: number, simTime: number) => void): WriteResult {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new GarrisonError('SIM_OPTION_INVALID', `cannot create output directory: ${(e as Error).message}`, { location: { file: dir }, cause: e });
  }
  const fds = new Map<SourceKey, number>();
  const bufs = new Map<SourceKey, string[]>();
  const sizes = new Map<SourceKey, number>();
  const counts = new Map<SourceKey, number>();
  for (const k of SOURCE_KEYS) {
    fds.set(k, openSync(join(dir, SOURCES[k].file), 'w'));
    bufs.set(k, []);
    sizes.set(k, 0);
    counts.set(k, 0);
  }
  const flush = (k: SourceKey): void => {
    const b = bufs.get(k)!;
    if (b.length) writeSync(fds.get(k)!, b.join(''));
    b.length = 0;
    sizes.set(k, 0);
  };
  const write = (k: SourceKey, s: string): void => {
    bufs.get(k)!.push(s);
    const n = sizes.get(k)! + s.length;
    sizes.set(k, n);
    if (n > 1 << 20) flush(k);
  };
  write('cloudtrail', '{"Records":[\n');
  const truth: GroundTruthEvent[] = [];
  let total = 0;
  try {
    for (const r of sim.records()) {
      const k = r.source;
      const n = counts.get(k)! + 1;
      counts.set(k, n);
      const line = renderLine(r);
      if (k === 'cloudtrail') write(k, (n > 1 ? ',\n' : '') + line);
      else write(k, line + '\n');
      if (r.truth) truth.push({ file: SOURCES[k].file, line: n, time: isoMs(r.time), host: r.host, campaign: r.truth.campaign, step: r.truth.step, technique: r.truth.technique, key: recordKey(r) });
      total++;
      if (onProgress && (total & 0xffff) === 0) onProgress(total, r.time);
    }
    write('cloudtrail', '\n]}\n');
  } finally {
    for (const k of SOURCE_KEYS) {
      flush(k);
      closeSync(fds.get(k)!);
    }
  }
  const campaigns = sim.campaigns.map(({ firstTime, lastTime, ...rest }) => ({ ...rest, start: Number.isFinite(firstTime) ? isoMs(firstTime) : null, end: Number.isFinite(lastTime) ? isoMs(lastTime) : null }));
  const files: Manifest['files'] = {};
  for (const k of SOURCE_KEYS) files[SOURCES[k].file] = { sourcetype: SOURCES[k].sourcetype, records: counts.get(k)! };
  const manifest: Manifest = {
    generator: `garrison-sim/${GENERATOR_VERSION}`,
    seed: sim.seed,
    scenario: sim.scenario,
    organization: sim.org.name,
    start: isoMs(sim.start),
    end: isoMs(sim.end),
    hours: sim.hours,
    hosts: sim.org.hosts.length,
    users: sim.org.users.length,
    files,
    total,
    attackEvents: truth.length,
    campaigns,
  };
  const groundTruth = { campaigns, events: truth };
  const gfd = openSync(join(dir, 'ground_truth.json'), 'w');
  try {
    writeSync(gfd, '{"campaigns":' + JSON.stringify(campaigns, null, 2) + ',\n"events":[\n' + truth.map((t) => JSON.stringify(t)).join(',\n') + '\n]}\n');
  } finally {
    closeSync(gfd);
  }
  const mfd = openSync(join(dir, 'manifest.json'), 'w');
  try {
    writeSync(mfd, JSON.stringify(manifest, null, 2) + '\n');
  } finally {
    closeSync(mfd);
  }
  return { manifest, groundTruth };
}
