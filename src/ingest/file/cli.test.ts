/** `garrison ingest` as a user runs it (the command module on a fresh commander program). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { register, formatSummary } from '../../cli/commands/ingest.js';
import { openSqliteStore } from '../../store/sqlite/store.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(args: string[]): Promise<string> {
  const program = new Command();
  program.exitOverride();
  register(program);
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  await program.parseAsync(['node', 'garrison', 'ingest', ...args]);
  vi.restoreAllMocks();
  return out;
}

describe('garrison ingest', () => {
  it('--json prints the summary; events are in <data>/garrison.db; a second run finds only duplicates', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garrison-cli-'));
    dirs.push(dir);
    const s1 = JSON.parse(await run([FIX, '--data', dir, '--json', '--tenant', 'acme']));
    expect(s1).toMatchObject({ files: 7, filesFailed: 0, stored: 15, rejected: 6 });
    expect(s1.rejectedByCode.INGEST_BAD_JSON).toBe(2);
    expect(s1.rejections[0]).toHaveProperty('file');
    expect(process.exitCode ?? 0).toBe(0);
    const s2 = JSON.parse(await run([FIX, '--data', dir, '--json', '--tenant', 'acme']));
    expect(s2).toMatchObject({ stored: 0, duplicates: 15 });
    const st = openSqliteStore({ file: path.join(dir, 'garrison.db'), fts: 'off', readonly: true });
    expect(await st.countEvents({ tenant: 'acme' })).toBe(15);
    await st.close();
  });
  it('the text summary lists rejections with file:line; a missing path sets exit status 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'garrison-cli-'));
    dirs.push(dir);
    const out = await run([path.join(FIX, 'mixed.ndjson'), path.join(dir, 'missing.log'), '--data', dir]);
    expect(out).toMatch(/read: 3 {2}stored: 2/);
    expect(out).toContain(`${path.join(FIX, 'mixed.ndjson')}:2: INGEST_BAD_JSON`);
    expect(out).toMatch(/failed: .*missing\.log: FILE_NOT_FOUND/);
    expect(process.exitCode).toBe(1);
    expect(formatSummary({ files: 0, filesFailed: 0, read: 0, stored: 0, duplicates: 0, rejected: 0, rejectedByCode: {}, rejections: [], perFile: [], skipped: 0, skippedFiles: [], bytes: 0, elapsedMs: 1 })).toContain('files: 0');
  });
  it('rejects a bad --format and a bad --tenant', async () => {
    await expect(run([FIX, '--format', 'pdf'])).rejects.toThrow(/format/);
    await expect(run([FIX, '--tenant', 'a b'])).rejects.toThrow(/tenant/);
  });
});
