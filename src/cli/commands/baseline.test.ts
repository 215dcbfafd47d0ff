import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../store/sqlite/store.js';
import { DAY, HOUR, T0, conn, dnsq } from '../../baseline/fixtures/events.js';
import { register } from './baseline.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  let text = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    text += String(c);
    return true;
  });
  try {
    await program.parseAsync(['node', 'garrison', 'baseline', ...args]);
  } finally {
    vi.restoreAllMocks();
  }
  return text;
}

describe('garrison baseline (CLI, real SQLite store)', () => {
  it('train → signals, export, mark-benign (audited), import of a bad file refused, status', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garrison-baseline-cli-'));
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const store = new SqliteStore({ file: path.join(data, 'garrison.db'), fts: 'off' });
    await store.init();
    const evs = [];
    for (let d = 0; d < 3; d++) for (let h = 1; h <= 5; h++) for (let k = 0; k < 20; k++) evs.push(dnsq(T0 + d * DAY + 9 * HOUR + k * 600_000, `ws-${h}`, 'www.google.com'));
    // a 2-minute beacon over 3 hours on day 3
    for (let i = 0; i < 90; i++) evs.push(conn(T0 + 3 * DAY + i * 120_000 + (i % 3) * 1000, 'ws-3', { ip: '203.0.113.77', port: 8443 }, 300));
    await store.appendEvents(evs);
    await store.close();

    const trained = await run('train', '--from', new Date(T0).toISOString(), '--to', String(T0 + 4 * DAY), '--data', data, '--signals');
    const lines = trained.split('\n').filter((l) => l.startsWith('{'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ detector: 'baseline.beaconing', pattern: 'beaconing.periodic src=ws-3 dst=203.0.113.77:8443' });
    expect(trained).toContain(`trained on ${evs.length} events`);

    const file = path.join(dir, 'state.json');
    expect(await run('export', file, '--data', data)).toContain('exported baseline state');
    expect(JSON.parse(readFileSync(file, 'utf8')).format).toBe('garrison-baseline');

    expect(await run('mark-benign', 'beaconing.periodic src=ws-3 *', '--by', 'ana', '--reason', 'lab scanner', '--data', data)).toContain('marked benign');
    const status = JSON.parse(await run('status', '--json', '--data', data));
    expect(status.audit).toEqual([expect.objectContaining({ action: 'mark_benign', by: 'ana', reason: 'lab scanner' })]);
    expect(status.entities.beaconing).toBe(1);

    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"garrison-baseline","version":1,"watermark":"x"}');
    await expect(run('import', bad, '--data', data)).rejects.toMatchObject({ code: 'BASELINE_STATE_INVALID' });
    expect(JSON.parse(await run('status', '--json', '--data', data)).audit).toHaveLength(1); // unchanged

    expect(await run('import', file, '--data', data, '--by', 'ops')).toContain('imported');
    const after = JSON.parse(await run('status', '--json', '--data', data));
    expect(after.audit.map((a: { action: string }) => a.action)).toEqual(['import']);

    await expect(run('train', '--from', 'yesterday', '--to', '2026-01-01', '--data', data)).rejects.toMatchObject({ code: 'BASELINE_RANGE_INVALID' });
    expect(existsSync(path.join(data, 'garrison.db'))).toBe(true);
  });

  it('sync-feedback applies a benign incident verdict to the saved state; marks go to the store audit log', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garrison-baseline-cli-'));
    dirs.push(dir);
    const data = path.join(dir, 'data');
    const store = new SqliteStore({ file: path.join(data, 'garrison.db'), fts: 'off' });
    await store.init();
    const evs = [];
    for (let d = 0; d < 3; d++) for (let h = 1; h <= 5; h++) for (let k = 0; k < 20; k++) evs.push(dnsq(T0 + d * DAY + 9 * HOUR + k * 600_000, `ws-${h}`, 'www.google.com'));
    for (let i = 0; i < 90; i++) evs.push(conn(T0 + 3 * DAY + i * 120_000 + (i % 3) * 1000, 'ws-3', { ip: '203.0.113.77', port: 8443 }, 300));
    await store.appendEvents(evs);
    await store.close();
    await run('train', '--from', String(T0), '--to', String(T0 + 4 * DAY), '--data', data, '--store-signals');

    const s2 = new SqliteStore({ file: path.join(data, 'garrison.db'), fts: 'off' });
    await s2.init();
    const sigs = await s2.querySignals({});
    expect(sigs.map((x) => x.detector)).toEqual(['baseline.beaconing']);
    await s2.putRecords('incidents', [{ id: 'inc-9', tenant: 'default', status: 'open', ref: '', createdAt: T0, updatedAt: T0, doc: { id: 'inc-9', tenant: 'default', signalIds: sigs.map((x) => x.id) } }]);
    await s2.putRecords('feedback', [{ id: 'fb-9', tenant: 'default', status: 'benign', ref: 'inc-9', createdAt: T0 + 5 * DAY, updatedAt: T0 + 5 * DAY, doc: { id: 'fb-9', incidentId: 'inc-9', by: 'ana', at: T0 + 5 * DAY, verdict: 'benign', label: 'false_positive', note: 'lab scanner', detectors: ['baseline.beaconing'] } }]);
    await s2.close();

    const r = JSON.parse(await run('sync-feedback', '--json', '--data', data));
    expect(r.marked).toEqual([{ pattern: 'beaconing.periodic src=ws-3 dst=203.0.113.77:8443', incidentId: 'inc-9', feedbackId: 'fb-9', by: 'user:ana' }]);
    expect(JSON.parse(await run('sync-feedback', '--json', '--data', data)).marked).toEqual([]); // saved: idempotent
    await run('mark-benign', 'dns.* src=ws-3 *', '--by', 'bob', '--data', data);
    const status = JSON.parse(await run('status', '--json', '--data', data));
    expect(status.feedback.map((f: { pattern: string; source?: string }) => [f.pattern, f.source])).toEqual([
      ['beaconing.periodic src=ws-3 dst=203.0.113.77:8443', 'incident:inc-9 feedback:fb-9'],
      ['dns.* src=ws-3 *', undefined],
    ]);
    const s3 = new SqliteStore({ file: path.join(data, 'garrison.db'), fts: 'off' });
    await s3.init();
    expect((await s3.listAudit()).map((a) => [a.action, a.actor])).toEqual([
      ['baseline.mark_benign', 'user:ana'],
      ['baseline.mark_benign', 'user:bob'],
    ]);
    expect((await s3.verifyAudit()).ok).toBe(true);
    await s3.close();
  });
});
