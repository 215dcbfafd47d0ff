/**
 * The simulation: organization + background + campaigns, producing native records in time
 * order with ground truth. Deterministic: the same options give the same records, byte for byte.
 *
 * Used by `garrison simulate` (files or HEC), and by eval/demo through `records()` (in order),
 * `campaigns` (per-campaign metadata: techniques, hosts, users, time span) and `truth` in each record.
 */
import { GarrisonError } from '../core/errors.js';
import { expandOrg, loadOrgFile, type Org } from './org/model.js';
import type { OrgFile } from './org/schema.js';
import { hashString, Rng } from './prng.js';
import { SOURCES, type SimRecord, type SourceKey } from './record.js';
import { World } from './world.js';
import { Background } from './background.js';
import { CAMPAIGNS, CampaignCtx, SCENARIOS, type CampaignStep } from './campaigns.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const DEFAULT_START = Date.UTC(2026, 10, 23, 0, 0, 0); // Monday 2026-11-23 00:00 UTC
export const GENERATOR_VERSION = '1';

export interface SimOptions {
  seed?: number;
  scenario?: string;
  hours?: number;
  /** Start of the simulated window, ms since the epoch (default: Monday 2026-11-23 00:00 UTC). */
  start?: number;
  /** Total number of hosts (overrides the workstation count of the organization file). */
  hosts?: number;
  /** Organization file path (default: the shipped default-org.yaml) or an already-parsed file. */
  orgFile?: string;
  org?: OrgFile;
}

export interface CampaignMeta {
  id: string;
  name: string;
  description: string;
  steps: CampaignStep[];
  techniques: string[];
  hosts: string[];
  users: string[];
  /** Attacker infrastructure and artefacts (IPs, domains, files, access keys). */
  indicators: string[];
  /** First and last attack event, ms since the epoch (simulated time). */
  firstTime: number;
  lastTime: number;
  events: number;
}

export class Simulation {
  readonly seed: number;
  readonly scenario: string;
  readonly hours: number;
  readonly start: number;
  readonly end: number;
  readonly org: Org;
  private readonly opts: SimOptions;
  private metaCache: CampaignMeta[] | undefined;

  constructor(opts: SimOptions = {}) {
    this.opts = opts;
    this.seed = opts.seed ?? 1;
    this.scenario = opts.scenario ?? 'default';
    this.hours = opts.hours ?? 24;
    this.start = opts.start ?? DEFAULT_START;
    if (!Number.isSafeInteger(this.seed) || this.seed < 0 || this.seed > 0xffffffff) throw new GarrisonError('SIM_OPTION_INVALID', `seed must be an integer between 0 and 4294967295, got ${opts.seed}`, { location: { field: 'seed' } });
    if (!Number.isFinite(this.hours) || this.hours <= 0 || this.hours > 24 * 31) throw new GarrisonError('SIM_OPTION_INVALID', `hours must be a number in (0, 744], got ${opts.hours}`, { location: { field: 'hours' } });
    if (!Number.isFinite(this.start)) throw new GarrisonError('SIM_OPTION_INVALID', 'start is not a valid time', { location: { field: 'start' } });
    if (opts.hosts !== undefined && (!Number.isInteger(opts.hosts) || opts.hosts < 10 || opts.hosts > 100_000)) throw new GarrisonError('SIM_OPTION_INVALID', `hosts must be an integer between 10 and 100000, got ${opts.hosts}`, { location: { field: 'hosts' } });
    if (!SCENARIOS[this.scenario]) throw new GarrisonError('SIM_SCENARIO_UNKNOWN', `unknown scenario "${this.scenario}"; known: ${Object.keys(SCENARIOS).join(', ')}`, { location: { field: 'scenario' } });
    this.end = this.start + Math.round(this.hours * HOUR);
    const file = opts.org ?? loadOrgFile(opts.orgFile);
    this.org = expandOrg(file, this.seed, { hosts: opts.hosts });
  }

  /** Per-campaign metadata (computed by generating the campaigns; cheap). */
  get campaigns(): CampaignMeta[] {
    if (!this.metaCache) this.generate(true);
    return this.metaCache!;
  }

  /** All records in time order (ties broken by generation order). */
  *records(): Generator<SimRecord> {
    const { world, background, attack } = this.generate(false)!;
    const recordIds = new Map<string, number>();
    const carry: SimRecord[] = [];
    let ai = 0;
    const sink = (world as unknown as { buffer: SimRecord[] }).buffer;
    const firstHour = Math.floor(this.start / HOUR) * HOUR;
    for (let h0 = firstHour; h0 < this.end; h0 += HOUR) {
      sink.length = 0;
      background!.hour(h0);
      const hEnd = h0 + HOUR;
      const batch = carry.splice(0, carry.length);
      for (const r of sink) batch.push(r);
      while (ai < attack.length && attack[ai].time < hEnd) batch.push(attack[ai++]);
      batch.sort(byTime);
      for (const r of batch) {
        if (r.time >= hEnd) {
          carry.push(r);
          continue;
        }
        if (r.time < this.start || r.time >= this.end) continue;
        assignRecordId(r, recordIds);
        yield r;
      }
    }
  }

  private generate(metaOnly: boolean): { world: World; background?: Background; attack: SimRecord[] } | undefined {
    const rng = new Rng(this.seed);
    const buffer: SimRecord[] = [];
    let seq = 0;
    const emit = (r: Omit<SimRecord, 'seq'>): void => {
      buffer.push({ ...r, seq: seq++ } as SimRecord);
    };
    const world = new World(this.org, rng.fork('world'), emit, this.start, this.end);
    (world as unknown as { buffer: SimRecord[] }).buffer = buffer;
    // Always constructed (it draws from the world's PRNG), so metadata equals what records() yields.
    const background = new Background(world);
    const meta: CampaignMeta[] = [];
    const ids = SCENARIOS[this.scenario].campaigns;
    ids.forEach((id, idx) => {
      const def = CAMPAIGNS[id];
      const { t0, scale } = place(this.start, this.end, def.preferredHour, def.spanMin, idx, ids.length);
      const before = buffer.length;
      const ctx = new CampaignCtx(def, world, rng.fork(`campaign:${id}`), t0, scale, this.end);
      def.run(ctx);
      const mine = buffer.slice(before).filter((r) => r.time >= this.start && r.time < this.end);
      let first = Infinity;
      let last = -Infinity;
      for (const r of mine) {
        if (r.time < first) first = r.time;
        if (r.time > last) last = r.time;
      }
      meta.push({
        id: def.id,
        name: def.name,
        description: def.description,
        steps: def.steps,
        techniques: [...new Set(def.steps.map((s) => s.technique))],
        hosts: [...ctx.hosts],
        users: [...ctx.users],
        indicators: [...ctx.indicators],
        firstTime: first,
        lastTime: last,
        events: mine.length,
      });
    });
    this.metaCache = meta;
    if (metaOnly) return undefined;
    const attack = buffer.splice(0, buffer.length).sort(byTime);
    return { world, background, attack };
  }
}

function byTime(a: SimRecord, b: SimRecord): number {
  return a.time - b.time || a.seq - b.seq;
}

/** Windows record ids are per host and channel, increasing in time order (assigned on release). */
function assignRecordId(r: SimRecord, ids: Map<string, number>): void {
  if (r.source !== 'windows') return;
  const wl = (r.event as { winlog: { channel: string; record_id: string } }).winlog;
  const k = `${r.host}|${wl.channel}`;
  let n = ids.get(k);
  if (n === undefined) n = 1000 + (hashString(k) % 200_000);
  n++;
  ids.set(k, n);
  wl.record_id = String(n);
}

/** Chooses a campaign's start: its preferred hour on the first day that fits, else spread over the window, compressed to fit. */
function place(start: number, end: number, preferredHour: number, spanMin: number, idx: number, n: number): { t0: number; scale: number } {
  const span = spanMin * 60_000;
  for (let day = Math.floor(start / DAY) * DAY; day < end; day += DAY) {
    const t0 = day + preferredHour * HOUR + 7 * 60_000 * (idx + 1);
    if (t0 >= start + 60_000 && t0 + span + 60_000 <= end && (spanMin > 0 || t0 + 4 * HOUR <= end)) return { t0, scale: 1 };
  }
  const dur = end - start;
  const t0 = start + Math.round(dur * (0.05 + (0.6 * idx) / Math.max(1, n)));
  const room = end - t0 - Math.min(5 * 60_000, dur * 0.05);
  return { t0, scale: spanMin > 0 ? Math.min(1, room / span) : 1 };
}

export function sourceFile(s: SourceKey): string {
  return SOURCES[s].file;
}
