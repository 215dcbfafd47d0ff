/**
 * The scaled-out deployment end to end, with real services and real processes:
 * `garrison serve --role ingest` and `garrison serve --role engine` child processes
 * (node --import tsx src/cli/main.ts) over PostgreSQL (127.0.0.1:5432, db `test`, a unique schema
 * per test, dropped after; GARRISON_TEST_PG_URL overrides) and NATS JetStream (127.0.0.1:4222, a
 * unique stream per test, deleted after; GARRISON_NATS overrides).
 *
 * Shows: events sent over HEC to the ingest node are detected by the engine worker (signals and an
 * incident in PostgreSQL); a worker killed with SIGKILL and restarted loses nothing (events
 * acknowledged while it was down are processed after the restart); with two workers (one active,
 * one standby; and with `engineWorkers: shared`, both consuming) no detection is stored twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../bus/nats/bus.js';
import { openPostgresStore, type PostgresStore } from '../store/postgres/store.js';
import { COMSVCS_RULE, hecBody } from './scaleout-testkit.js';

const PG = process.env.GARRISON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS = process.env.GARRISON_NATS ?? '127.0.0.1:4222';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const API = 'scaleout-api-token-0123456789abcdef';
const HEC = '31111111-2222-3333-4444-555555555555';

const id = randomBytes(5).toString('hex');
const schema = `garrison_scale_${id}`;
const stream = `SCALEOUT_${id.toUpperCase()}`;
const dir = mkdtempSync(join(tmpdir(), 'garrison-scaleout-'));
const children = new Set<ChildProcess>();
let store: PostgresStore;

interface Proc {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `garrison serve` as a child process; resolves with the URL it prints once listening. */
async function serve(role: 'ingest' | 'engine', node: string, configFile: string): Promise<Proc> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--role', role, '--node', node, '--port', '0', '--data', join(dir, node), '--config', configFile, '--store-url', PG, '--bus-url', NATS.startsWith('nats://') ? NATS : `nats://${NATS}`],
    {
      cwd: ROOT,
      env: { ...process.env, GARRISON_STORE_SCHEMA: schema, GARRISON_BUS_STREAM: stream, GARRISON_API_TOKEN: API, GARRISON_HEC_TOKEN: HEC, GARRISON_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} ${node} did not start in 90 s:\n${out.slice(-4000)}`)), 90_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} ${node} exited with ${code}:\n${out.slice(-4000)}`));
    });
  });
  return { child, url, output: () => out };
}

async function stop(p: Proc, signal: NodeJS.Signals): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const done = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill(signal);
  await done;
}

async function waitFor<T>(f: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function hec(p: Proc, body: string): Promise<void> {
  const res = await fetch(`${p.url}/services/collector/event`, { method: 'POST', body, headers: { authorization: `Splunk ${HEC}` } });
  expect(res.status, await res.text()).toBe(200);
}

const signalsOf = async () => store.querySignals({ detector: COMSVCS_RULE, limit: 10_000 });
const metric = async (p: Proc, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${p.url}/metrics`)).text())?.[1] ?? NaN);

function config(name: string, engineWorkers: 'single' | 'shared'): string {
  const f = join(dir, name);
  // Short ack wait: a killed worker's unacknowledged batch is redelivered after 3 s.
  writeFileSync(
    f,
    [
      'bus:',
      '  kind: nats',
      '  ackWaitMs: 3000',
      'cluster:',
      `  engineWorkers: ${engineWorkers}`,
      '  standbyPollMs: 500',
      'engine:',
      '  checkpointMs: 1000',
      'auth:',
      '  generateOnFirstRun: false',
      '',
    ].join('\n'),
  );
  return f;
}

beforeAll(async () => {
  store = openPostgresStore({ url: PG, schema });
  await store.init();
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));
  await store?.dropSchema().catch(() => undefined);
  await store?.close().catch(() => undefined);
  const admin = await NatsBus.open({ servers: NATS, stream });
  await admin.destroy();
  await admin.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('scaled-out deployment: ingest node + engine workers over PostgreSQL and NATS JetStream', () => {
  const single = config('single.yaml', 'single');
  let expected = 0;
  let sent = 0;
  const send = async (p: Proc, n: number, tag: string) => {
    const { body, recon } = hecBody(sent, sent + n, { reconEvery: 7, tag });
    sent += n;
    expected += recon;
    await hec(p, body);
  };
  let ingest: Proc;
  let w1: Proc;

  it('detects events sent to the ingest node: signals and an incident in PostgreSQL', async () => {
    [ingest, w1] = await Promise.all([serve('ingest', 'in1', single), serve('engine', 'w1', single)]);
    // The worker has no ingest and no API.
    expect((await fetch(`${w1.url}/services/collector/health`)).status).toBe(404);
    await send(ingest, 100, 'a');
    expect(await store.countEvents()).toBe(100);
    await waitFor(async () => (await signalsOf()).length === expected, 60_000, `${expected} signals`);
    await waitFor(async () => (await store.listRecords('incidents', {})).length > 0, 60_000, 'an incident');
    const inc = (await store.listRecords<{ signalIds: string[] }>('incidents', {}))[0];
    expect(inc.doc.signalIds.length).toBeGreaterThan(0);
    // The API node serves what the worker wrote.
    const api = await fetch(`${ingest.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${API}` } });
    expect(api.status).toBe(200);
  });

  it('a worker killed with SIGKILL and restarted loses nothing', async () => {
    await stop(w1, 'SIGKILL');
    // Acknowledged while no worker runs: stored in PostgreSQL and held by the stream.
    await send(ingest, 60, 'b');
    await send(ingest, 60, 'c');
    expect(await store.countEvents()).toBe(sent);
    expect((await signalsOf()).length).toBeLessThan(expected);
    w1 = await serve('engine', 'w1', single);
    await waitFor(async () => (await signalsOf()).length === expected, 90_000, `${expected} signals after the restart`);
  });

  it('two workers (single): one active, the standby takes over when it dies; no duplicate detections', async () => {
    const w2 = await serve('engine', 'w2', single);
    await waitFor(async () => (await metric(w1, 'garrison_engine_active')) === 1, 30_000, 'w1 active');
    expect(await metric(w2, 'garrison_engine_active')).toBe(0);
    await send(ingest, 70, 'd');
    await waitFor(async () => (await signalsOf()).length === expected, 60_000, `${expected} signals`);
    await stop(w1, 'SIGKILL');
    await send(ingest, 70, 'e');
    await waitFor(async () => (await metric(w2, 'garrison_engine_active')) === 1, 30_000, 'w2 takes over');
    await waitFor(async () => (await signalsOf()).length === expected, 90_000, `${expected} signals after the takeover`);
    // Settle: a redelivered batch must not add anything.
    await new Promise((r) => setTimeout(r, 4_000));
    const sigs = await signalsOf();
    expect(sigs.length).toBe(expected);
    expect(new Set(sigs.flatMap((s) => s.eventIds)).size).toBe(expected);
    await stop(w2, 'SIGTERM');
  });

  it('two workers (shared): both consume the group, each event detected once', async () => {
    const shared = config('shared.yaml', 'shared');
    const [w3, w4] = await Promise.all([serve('engine', 'w3', shared), serve('engine', 'w4', shared)]);
    expect(await metric(w3, 'garrison_engine_active')).toBe(1);
    expect(await metric(w4, 'garrison_engine_active')).toBe(1);
    for (let i = 0; i < 6; i++) await send(ingest, 50, `f${i}`);
    await waitFor(async () => (await signalsOf()).length === expected, 90_000, `${expected} signals`);
    await new Promise((r) => setTimeout(r, 2_000));
    const sigs = await signalsOf();
    expect(sigs.length).toBe(expected);
    expect(new Set(sigs.flatMap((s) => s.eventIds)).size).toBe(expected);
    const processed = (await metric(w3, 'garrison_engine_events_total')) + (await metric(w4, 'garrison_engine_events_total'));
    expect(processed).toBeGreaterThanOrEqual(300);
    await Promise.all([stop(w3, 'SIGTERM'), stop(w4, 'SIGTERM'), stop(ingest, 'SIGTERM')]);
  });
});
