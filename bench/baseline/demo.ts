/**
 * Writes a small Zeek (JSON lines) data set for an end-to-end baseline demo:
 *
 *   node --import tsx bench/baseline/demo.ts OUTDIR
 *   node --import tsx src/cli/main.ts ingest OUTDIR --data OUTDIR/data
 *   node --import tsx src/cli/main.ts baseline train --from 2026-01-05 --to 2026-01-16 --data OUTDIR/data --signals
 *
 * Ten days (2026-01-05 … 2026-01-15) of 20 hosts browsing and resolving ordinary names, then on
 * the last day: a 5-minute beacon from 10.0.0.7, DGA look-ups from 10.0.0.9, DNS tunnelling from
 * 10.0.0.11 and a 4 GB upload from 10.0.0.12 at 02:00. Deterministic (seeded).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { rng } from '../../src/baseline/fixtures/events.js';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: demo.ts OUTDIR\n');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const r = rng(2026);
const T0 = Date.UTC(2026, 0, 5) / 1000;
const DAY = 86400;
const conn: string[] = [];
const dns: string[] = [];
const SITES = ['93.184.216.34', '142.250.74.100', '140.82.121.4', '13.107.42.14', '151.101.1.69', '104.16.132.229'];
const NAMES = ['www.google.com', 'github.com', 'outlook.office365.com', 'teams.microsoft.com', 'www.bbc.co.uk', 'cdn.jsdelivr.net', 'api.slack.com', 'login.microsoftonline.com'];
let uid = 0;
const c = (ts: number, src: string, dst: string, port: number, ob: number, dur = 1.2) =>
  conn.push(JSON.stringify({ _path: 'conn', ts, uid: `C${uid++}`, 'id.orig_h': src, 'id.orig_p': 49152 + (uid % 10000), 'id.resp_h': dst, 'id.resp_p': port, proto: 'tcp', duration: dur, orig_bytes: ob, resp_bytes: Math.round(ob * 3), conn_state: 'SF' }));
const d = (ts: number, src: string, q: string, qt = 'A') =>
  dns.push(JSON.stringify({ _path: 'dns', ts, uid: `D${uid++}`, 'id.orig_h': src, 'id.orig_p': 53000, 'id.resp_h': '10.0.0.2', 'id.resp_p': 53, proto: 'udp', query: q, qtype_name: qt, rcode_name: 'NOERROR' }));

for (let day = 0; day < 11; day++) {
  for (let h = 1; h <= 20; h++) {
    const src = `10.0.0.${h}`;
    let t = T0 + day * DAY + 8 * 3600;
    while (t < T0 + day * DAY + 18 * 3600) {
      t += -Math.log(1 - r()) * 240;
      c(t, src, SITES[Math.floor(r() * SITES.length)], 443, Math.round(2000 * Math.pow(1 - r(), -0.8)));
      d(t - 0.05, src, NAMES[Math.floor(r() * NAMES.length)]);
    }
  }
}
const last = T0 + 10 * DAY;
// beacon: every 300 s ± 5 %, 12 hours, ~640 bytes
for (let t = last; t < last + 12 * 3600; t += 300 * (1 + 0.05 * (2 * r() - 1))) c(t, '10.0.0.7', '203.0.113.50', 443, Math.round(640 + 20 * r()), 0.3);
// DGA look-ups
const letters = 'abcdefghijklmnopqrstuvwxyz';
for (let i = 0; i < 8; i++) {
  let l = '';
  for (let k = 0; k < 13; k++) l += letters[Math.floor(r() * 26)];
  d(last + 3600 + i * 20, '10.0.0.9', `${l}.com`);
}
// DNS tunnelling: long hex labels, TXT
for (let i = 0; i < 60; i++) {
  let l = '';
  for (let k = 0; k < 56; k++) l += '0123456789abcdef'[Math.floor(r() * 16)];
  d(last + 7200 + i * 5, '10.0.0.11', `${l}.x.exfil-tunnel.net`, 'TXT');
}
// a 4 GB upload at 02:00
c(last + 2 * 3600, '10.0.0.12', '198.51.100.20', 443, 4 * 1024 ** 3, 1800);
const byTs = (a: string, b: string) => JSON.parse(a).ts - JSON.parse(b).ts;
conn.sort(byTs);
dns.sort(byTs);
writeFileSync(path.join(out, 'conn.log.json'), conn.join('\n') + '\n');
writeFileSync(path.join(out, 'dns.log.json'), dns.join('\n') + '\n');
process.stdout.write(`wrote ${conn.length} conn and ${dns.length} dns records to ${out}\n`);
