/**
 * Realism check: the simulator's Windows events against real recordings. Renders the EVTX attack
 * samples in ../shared with libevtx's evtxexport and compares, per channel and event id, the set of
 * EventData field names and the shape of each value (GUID, hex, SID, path, time ...).
 * Needs `evtxexport` (Debian: apt-get install libevtx-utils).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Simulation } from './simulation.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLES = join(resolve(ROOT, '../shared'), 'corpora/evtx-attack-samples');

type Key = string; // channel|eventId
interface Seen {
  nameSets: Set<string>;
  shapes: Map<string, Set<string>>;
  count: number;
}

/** Coarse shape of a value, so that producers can be compared without comparing values. */
export function shape(v: string): string {
  if (v === '' || v === '-') return 'empty';
  if (/^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/.test(v)) return 'guid';
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return 'guid-bare';
  if (/^0x[0-9A-Fa-f]+$/.test(v)) return 'hex';
  if (/^\d+$/.test(v)) return 'int';
  if (/^S-1-\d+(-\d+)*$/.test(v)) return 'sid';
  if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/.test(v)) return 'time';
  if (/^(\d{1,3}\.){3}\d{1,3}$/.test(v) || /^[0-9a-f:]+:[0-9a-f:]*$/i.test(v) || /^::ffff:/.test(v)) return 'ip';
  if (/^%%\d+$/.test(v)) return 'msgref';
  if (/^(SHA1|MD5|SHA256|IMPHASH)=/.test(v)) return 'hashes';
  if (/^(true|false)$/.test(v)) return 'bool';
  return 'text';
}

function collectSamples(): Map<Key, Seen> {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.evtx')) files.push(p);
    }
  };
  walk(SAMPLES);
  const seen = new Map<Key, Seen>();
  for (const f of files.sort()) {
    let xml: string;
    try {
      xml = execFileSync('evtxexport', ['-f', 'xml', f], { maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
    } catch (e) {
      const out = (e as { stdout?: Buffer }).stdout;
      if (!out) continue; // libevtx fails on a few newer files
      xml = out.toString('utf8');
    }
    for (const ev of xml.split('<Event ').slice(1)) {
      const id = /<EventID[^>]*>(\d+)</.exec(ev)?.[1];
      const ch = /<Channel>([^<]*)</.exec(ev)?.[1];
      if (!id || !ch) continue;
      const k = `${ch}|${id}`;
      let s = seen.get(k);
      if (!s) seen.set(k, (s = { nameSets: new Set(), shapes: new Map(), count: 0 }));
      s.count++;
      const names: string[] = [];
      for (const m of ev.matchAll(/<Data Name="([^"]+)"(?:\/>|>([^<]*)<\/Data>)/g)) {
        names.push(m[1]);
        const val = (m[2] ?? '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').trim();
        let sh = s.shapes.get(m[1]);
        if (!sh) s.shapes.set(m[1], (sh = new Set()));
        sh.add(shape(val));
      }
      s.nameSets.add(names.sort().join(','));
    }
  }
  return seen;
}

describe('Windows events match the EVTX attack samples', () => {
  let seen: Map<Key, Seen>;
  let mine: Map<Key, Record<string, string>[]>;
  beforeAll(() => {
    if (!existsSync(SAMPLES)) throw new Error(`shared corpus not found at ${SAMPLES}`);
    try {
      execFileSync('evtxexport', ['-h'], { stdio: 'ignore' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('evtxexport is not installed: apt-get install -y libevtx-utils');
    }
    seen = collectSamples();
    mine = new Map();
    for (const r of new Simulation({ seed: 1, hours: 24 }).records()) {
      if (r.source !== 'windows') continue;
      const w = (r.event as any).winlog;
      const k = `${w.channel}|${w.event_id}`;
      if (!mine.has(k)) mine.set(k, []);
      mine.get(k)!.push(w.event_data);
    }
  }, 600_000);

  const KEYS = [
    'Microsoft-Windows-Sysmon/Operational|1',
    'Microsoft-Windows-Sysmon/Operational|3',
    'Microsoft-Windows-Sysmon/Operational|10',
    'Microsoft-Windows-Sysmon/Operational|11',
    'Microsoft-Windows-Sysmon/Operational|13',
    'Microsoft-Windows-Sysmon/Operational|22',
    'Security|4624',
    'Security|4625',
    'Security|4672',
    'Security|4688',
    'Security|4698',
    'Security|4720',
    'Security|4732',
    'System|7045',
    'Microsoft-Windows-PowerShell/Operational|4104',
  ];

  for (const k of KEYS) {
    it(`${k}: field names equal a set seen in real recordings, value shapes are ones real events have`, () => {
      const ref = seen.get(k);
      expect(ref, `no samples for ${k}`).toBeDefined();
      const evs = mine.get(k);
      expect(evs?.length ?? 0, `simulator produced no ${k}`).toBeGreaterThan(0);
      const mismatches: string[] = [];
      for (const d of evs!) {
        const names = Object.keys(d).sort().join(',');
        expect(ref!.nameSets.has(names), `${k}: field set ${names} not among the ${ref!.nameSets.size} seen`).toBe(true);
        for (const [f, v] of Object.entries(d)) {
          const allowed = ref!.shapes.get(f);
          const sh = shape(v);
          // Too few real events, or a field the recordings never filled (audit policy), says nothing about its shape.
          if (ref!.count < 5 || !allowed || (allowed.size === 1 && allowed.has('empty'))) continue;
          if (!allowed.has(sh) && !allowed.has('text')) mismatches.push(`${f}=${v.slice(0, 60)} (${sh}; real: ${[...allowed].join('/')})`);
        }
      }
      expect([...new Set(mismatches)].slice(0, 20)).toEqual([]);
    });
  }
});
