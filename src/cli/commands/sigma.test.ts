import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { register } from './sigma.js';

async function run(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(['node', 'garrison', ...args]);
    return { out, err, code: process.exitCode as number | undefined };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = before;
  }
}

const good = (id: string, extra = '') => `title: Good ${id}
id: ${id}
status: test
logsource: { product: windows, category: process_creation }
detection:
  selection:
    Image|endswith: '\\x.exe'${extra}
  condition: selection
`;

describe('garrison sigma check', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sigma-check-'));
  writeFileSync(path.join(dir, 'a.yml'), good('a1'));
  writeFileSync(path.join(dir, 'b.yml'), good('b1', "\n    User|expand: '%admins%'"));
  writeFileSync(path.join(dir, 'c.yml'), `title: Bad\nid: c1\nlogsource: { product: windows }\ndetection:\n  selection:\n    Image|containz: x\n  condition: selection\n`);
  writeFileSync(path.join(dir, 'd.yml'), `title: [unclosed\n`);
  const cfg = path.join(dir, 'sigma.yaml.cfg');
  writeFileSync(cfg, `placeholders:\n  admins: [root, 'adm_*']\n`);

  it('--json lists every rejection with path, line, code and message, and exits 1', async () => {
    const r = await run(['sigma', 'check', dir, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { loaded: number; rejected: { path: string; line: number | null; code: string; message: string }[] };
    expect(j.loaded).toBe(1);
    expect(j.rejected.map((x) => [path.basename(x.path), x.line, x.code])).toEqual([
      ['b.yml', 6, 'SIGMA_PLACEHOLDER_UNKNOWN'], // the line of the search identifier
      ['c.yml', 5, 'SIGMA_MODIFIER_UNKNOWN'],
      ['d.yml', 2, 'SIGMA_YAML_INVALID'], // where the parser notices the flow sequence is not closed
    ]);
    for (const x of j.rejected) expect(x.message.length).toBeGreaterThan(10);
  });

  it('prints file:line: CODE message and a summary without --json', async () => {
    const r = await run(['sigma', 'check', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/c\.yml:5: SIGMA_MODIFIER_UNKNOWN .*containz/);
    expect(r.out).toMatch(/loaded 1 \(1 rules, 0 filters, 0 correlations\) from 4 files; rejected 3/);
  });

  it('--min-ratio sets the exit code threshold; --config supplies placeholders', async () => {
    expect((await run(['sigma', 'check', dir, '--min-ratio', '0.25'])).code).toBeUndefined();
    expect((await run(['sigma', 'check', dir, '--min-ratio', '0.5'])).code).toBe(1);
    const r = await run(['sigma', 'check', dir, '--json', '--config', cfg, '--min-ratio', '0.5']);
    const j = JSON.parse(r.out) as { loaded: number; rejected: { code: string }[] };
    expect(j.loaded).toBe(2);
    expect(j.rejected.map((x) => x.code)).toEqual(['SIGMA_MODIFIER_UNKNOWN', 'SIGMA_YAML_INVALID']);
    expect(r.code).toBeUndefined();
    expect((await run(['sigma', 'check', path.join(dir, 'a.yml')])).code).toBeUndefined();
  });

  it('rejects a bad --min-ratio and an invalid --config file with a code and the line', async () => {
    await expect(run(['sigma', 'check', dir, '--min-ratio', '2'])).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const bad = path.join(dir, 'bad.cfg');
    writeFileSync(bad, `placeholders:\n  admins: root\nminLevel: urgent\n`);
    await expect(run(['sigma', 'check', dir, '--config', bad])).rejects.toMatchObject({ code: 'SIGMA_CONFIG_INVALID', message: expect.stringMatching(/:2.*placeholders\.admins[\s\S]*:3.*minLevel/) });
  });

  it('an empty directory is a failure (nothing loaded)', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'sigma-empty-'));
    expect((await run(['sigma', 'check', empty])).code).toBe(1);
  });
});
