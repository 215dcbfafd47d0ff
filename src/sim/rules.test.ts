/**
 * The built-in rule pack (rules/): every rule's own positive/negative events, and the rules run
 * over generated telemetry: campaigns a-e are detected, campaign f is not (by design), and the
 * benign look-alikes produce only the false positives we expect.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadRules, runRules, type SubsetRule } from './testing/sigma-subset.js';
import { Simulation } from './simulation.js';
import type { SimRecord } from './record.js';

const RULES = fileURLToPath(new URL('../../rules/', import.meta.url));

function ruleFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.yml') && !n.endsWith('.tests.yml')) out.push(p);
    }
  };
  walk(RULES);
  return out;
}

describe('rule pack metadata', () => {
  const files = ruleFiles();
  it('has rules in tactic folders, each beside its tests file', () => {
    expect(files.length).toBeGreaterThanOrEqual(18);
    for (const f of files) {
      expect(statSync(f.replace(/\.yml$/, '.tests.yml')).isFile(), f).toBe(true);
    }
  });
  it('every rule has a unique id, a title, a level, ATT&CK tags and false positives', () => {
    const ids = new Set<string>();
    for (const f of files) {
      const d = parse(readFileSync(f, 'utf8'));
      expect(d.id, f).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(ids.has(d.id), `${f} duplicate id`).toBe(false);
      ids.add(d.id);
      expect(['informational', 'low', 'medium', 'high', 'critical']).toContain(d.level);
      expect(d.tags.some((t: string) => /^attack\.t\d{4}(\.\d{3})?$/.test(t)), f).toBe(true);
      expect(d.tags.some((t: string) => /^attack\.[a-z-]+$/.test(t) && !/^attack\.t\d/.test(t)), f).toBe(true);
      expect(Array.isArray(d.falsepositives) && d.falsepositives.length > 0, f).toBe(true);
      expect(d.correlation ? true : Boolean(d.logsource && (d.logsource.category || d.logsource.service)), f).toBe(true);
    }
  });
  it('no rule keys on simulator artefacts (campaign domains, IPs, file or account names)', () => {
    const artefacts = ['officeupdate-sync', 'sharedocs-transfer', 'cdn-jsdelivery', 'AcroUpdate', 'winhttp.exe', 'WinHttpProxySvc', 'sqlbackup', 'nwlock', 'svcupdate', 'mscorsvc', 'diag.dmp', 'northwind', '193.233.20.55', '5.188.62.214', '91.215.85.147', 'Invoice_', 'Summer2026', 'W3lcome'];
    for (const f of files) {
      const text = readFileSync(f, 'utf8').toLowerCase();
      for (const a of artefacts) expect(text.includes(a.toLowerCase()), `${f} mentions ${a}`).toBe(false);
    }
  });
});

describe('rule tests (positive and negative events)', () => {
  const rules = loadRules(RULES);
  for (const r of rules) {
    it(`${r.file}`, () => {
      const t = parse(readFileSync(join(RULES, r.file.replace(/\.yml$/, '.tests.yml')), 'utf8'));
      expect(t.positive.length).toBeGreaterThan(0);
      expect(t.negative.length).toBeGreaterThan(0);
      if (r.correlation) {
        // Correlation tests: each list is one stream.
        const related = rules.filter((b) => b.match && (r.correlation!.rules.includes(b.name ?? '') || r.correlation!.rules.includes(b.id)));
        const pos = runRules([...related, r], t.positive.map((x: { event: Record<string, unknown> }) => x.event));
        const neg = runRules([...related, r], t.negative.map((x: { event: Record<string, unknown> }) => x.event));
        expect(pos.get(r.id)?.length ?? 0).toBeGreaterThan(0);
        expect(neg.get(r.id)?.length ?? 0).toBe(0);
        return;
      }
      for (const p of t.positive) expect(r.match!(p.event), `positive ${JSON.stringify(p.event).slice(0, 200)}`).toBe(true);
      for (const n of t.negative) expect(r.match!(n.event), `negative ${JSON.stringify(n.event).slice(0, 200)}`).toBe(false);
    });
  }
});

describe('rules over a simulated day', () => {
  let rules: SubsetRule[];
  let recs: SimRecord[];
  let hits: Map<string, number[]>;
  beforeAll(() => {
    rules = loadRules(RULES);
    recs = [...new Simulation({ seed: 1, hours: 24 }).records()].filter((r) => typeof r.event !== 'string');
    hits = runRules(rules, recs.map((r) => r.event as Record<string, unknown>));
  }, 120_000);

  const campaignsHit = (): Map<string, Set<string>> => {
    const m = new Map<string, Set<string>>();
    for (const r of rules) {
      for (const i of hits.get(r.id) ?? []) {
        const c = recs[i].truth?.campaign;
        if (!c) continue;
        if (!m.has(c)) m.set(c, new Set());
        m.get(c)!.add(r.name ?? r.id);
      }
    }
    return m;
  };

  it('detects campaigns a to e and never campaign f', () => {
    const m = campaignsHit();
    for (const c of ['a', 'b', 'c', 'd', 'e']) expect(m.get(c)?.size ?? 0, `campaign ${c}`).toBeGreaterThan(0);
    expect(m.get('f')).toBeUndefined();
  });

  it('covers the key steps of campaign a', () => {
    const names = campaignsHit().get('a')!;
    for (const n of ['garrison_office_child_script_interpreter', 'garrison_powershell_download_cradle', 'garrison_run_key_user_writable_path', 'garrison_schtasks_user_writable_path', 'garrison_recon_burst', 'garrison_lsass_suspicious_access', 'garrison_comsvcs_minidump', 'garrison_wmi_provider_spawns_shell', 'garrison_service_install_shell_imagepath', 'garrison_local_admin_group_member_added', 'garrison_archive_with_password']) {
      expect(names.has(n), n).toBe(true);
    }
    const b = campaignsHit().get('b')!;
    expect(b.has('garrison_entra_password_spray')).toBe(true);
  });

  it('benign look-alikes: admin PsExec is an expected medium false positive; Defender LSASS reads, the rollout and backups are not flagged', () => {
    const benign = (name: string): number => {
      const r = rules.find((x) => x.name === name)!;
      return (hits.get(r.id) ?? []).filter((i) => !recs[i].truth).length;
    };
    expect(benign('garrison_psexec_service_install')).toBeGreaterThan(0);
    expect(benign('garrison_lsass_suspicious_access')).toBe(0);
    expect(benign('garrison_run_key_user_writable_path')).toBe(0);
    expect(benign('garrison_shadow_copy_deletion')).toBe(0);
    expect(benign('garrison_schtasks_user_writable_path')).toBe(0);
    expect(benign('garrison_recon_burst')).toBe(0);
    expect(benign('garrison_entra_password_spray')).toBe(0);
    // High and critical rules fire on attacks only.
    for (const r of rules.filter((x) => x.level === 'high' || x.level === 'critical')) expect(benign(r.name ?? r.id), r.file).toBe(0);
  });
});
