/**
 * Crash test: the server runs as a child process (`node --import tsx src/cli/main.ts serve`),
 * clients stream HEC batches with indexer acknowledgement, the server is killed with SIGKILL
 * mid-stream, restarted on the same data directory, and every event whose ack was reported
 * true must be in the store. (Events not acknowledged may or may not be there: at-least-once.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const HEC = '5f1c0f4e-1111-4222-8333-944445555666';
const dir = mkdtempSync(join(tmpdir(), 'garrison-crash-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function serve(): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--data', dir], {
    cwd: ROOT,
    env: { ...process.env, GARRISON_HEC_TOKEN: HEC, GARRISON_API_TOKEN: 'crash-test-api-token-0123456789', GARRISON_LOG_LEVEL: 'warn', GARRISON_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not start in 30 s:\n${out}\n${err}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      rej(new Error(`server exited early (${code ?? sig}):\n${out}\n${err}`));
    });
  });
  return { child, url, stderr: () => err };
}

describe('HEC crash safety', () => {
  it('keeps every acknowledged event across a SIGKILL mid-stream', { timeout: 120_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const srv = await serve();
    const acked = new Set<number>();
    let sent = 0;
    let failures = 0;
    let stop = false;
    const BATCH = 250;

    // Each client: send a batch on its channel, then ask for its ack; record events only when the ack is true.
    const client = async (c: number) => {
      const channel = randomUUID();
      let next = c * 10_000_000;
      while (!stop) {
        const ns = Array.from({ length: BATCH }, () => next++);
        const body = ns.map((n) => JSON.stringify({ event: { crash: run, n, pad: 'p'.repeat(200) }, time: 1_700_000_000 + n / 1000 })).join('');
        sent += BATCH;
        try {
          const r = await fetch(`${srv.url}/services/collector/event`, { method: 'POST', body, headers: { authorization: `Splunk ${HEC}`, 'x-splunk-request-channel': channel } });
          const j = (await r.json()) as { code: number; ackId?: number };
          if (j.code !== 0 || j.ackId === undefined) continue;
          const a = await fetch(`${srv.url}/services/collector/ack`, { method: 'POST', body: JSON.stringify({ acks: [j.ackId] }), headers: { authorization: `Splunk ${HEC}`, 'x-splunk-request-channel': channel } });
          const aj = (await a.json()) as { acks: Record<string, boolean> };
          if (aj.acks[String(j.ackId)] === true) for (const n of ns) acked.add(n);
        } catch {
          failures++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const clients = [0, 1, 2].map(client);
    // Let the stream run, then kill the server without warning while requests are in flight.
    const deadline = Date.now() + 60_000;
    while (acked.size < 15_000) {
      if (Date.now() > deadline) throw new Error(`only ${acked.size} events acknowledged in 60 s:\n${srv.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    srv.child.kill('SIGKILL');
    await new Promise((r) => srv.child.once('exit', r));
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await Promise.all(clients);
    expect(failures).toBeGreaterThan(0); // the kill really hit the stream
    const ackedAtKill = new Set(acked);

    // Restart on the same data: it must come up, and accept events again.
    const again = await serve();
    const r = await fetch(`${again.url}/services/collector/event`, { method: 'POST', body: JSON.stringify({ event: { crash: run, n: -1 } }), headers: { authorization: `Splunk ${HEC}` } });
    expect(((await r.json()) as { code: number }).code).toBe(0);
    again.child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => again.child.once('exit', (c) => res(c)));
    expect(code).toBe(0);

    // Every acknowledged event is in the store.
    const store = openSqliteStore({ file: join(dir, 'garrison.db'), fts: 'off', readonly: true });
    try {
      const found = new Set<number>();
      let cursor: string | undefined;
      do {
        const page = await store.search(`crash:${run}`, { limit: 10_000, cursor });
        for (const e of page.events) found.add(e.fields.n as number);
        cursor = page.nextCursor;
      } while (cursor);
      const missing = [...ackedAtKill].filter((n) => !found.has(n));
      expect(missing).toEqual([]);
      expect(found.has(-1)).toBe(true);
      expect(ackedAtKill.size).toBeGreaterThanOrEqual(15_000);
      expect(found.size).toBeLessThanOrEqual(sent + 1);
    } finally {
      await store.close();
    }
  });
});
