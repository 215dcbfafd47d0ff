/**
 * Conformance: file ingest over the shared corpora (../shared).
 * - SigmaHQ regression_data/**\/*.json: concatenated, pretty-printed evtx_dump-style JSON with
 *   `#attributes` keys. Every file must be detected as concatenated JSON, every value stored as a
 *   Windows event, none rejected; the same samples as .evtx must give the same number of events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingestPaths } from './ingest.js';
import { createPipeline, type Pipeline } from '../pipeline.js';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/store.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SHARED = path.resolve(ROOT, '../shared');
const REG = path.join(SHARED, 'corpora/sigmahq/regression_data');

let dir: string;
let store: SqliteStore;
let pipeline: Pipeline;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'garrison-file-conf-'));
  store = openSqliteStore({ file: path.join(dir, 'garrison.db'), fts: 'off' });
  await store.init();
  pipeline = createPipeline({ store });
});
afterAll(async () => {
  await pipeline.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function find(root: string, ext: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith(ext)).map((f) => path.join(root, f)).sort();
}

describe.skipIf(!existsSync(REG))('SigmaHQ regression samples through garrison ingest', () => {
  it('stores every JSON sample as Windows events with no rejection, and as many as the EVTX twins', async () => {
    const jsonFiles = find(REG, '.json');
    expect(jsonFiles.length).toBeGreaterThanOrEqual(200);
    const s = await ingestPaths(jsonFiles, { sink: pipeline, tenant: 'json', listRejections: 50 });
    expect(s.rejections).toEqual([]);
    expect(s.filesFailed).toBe(0);
    expect(s.perFile.every((f) => f.container === 'json-concat' || f.container === 'ndjson')).toBe(true);
    expect(s.perFile.every((f) => f.stored > 0)).toBe(true);
    const evs = (await store.search('*', { tenant: 'json', limit: 10_000 })).events;
    expect(evs.length).toBe(s.stored);
    expect(evs.every((e) => e.source.product === 'windows')).toBe(true);
    console.log(`regression JSON: ${jsonFiles.length} files, ${s.stored} events stored, ${s.rejected} rejected`);

    const evtxFiles = find(REG, '.evtx');
    const x = await ingestPaths(evtxFiles, { sink: pipeline, tenant: 'evtx', listRejections: 50 });
    console.log(`regression EVTX: ${evtxFiles.length} files, ${x.stored} events stored, ${x.rejected} rejected`);
    expect(x.filesFailed).toBe(0);
    expect(x.stored).toBe(s.stored);
  });
});
