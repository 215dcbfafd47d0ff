/**
 * Throughput of the scaled-out path, end to end, with real processes:
 *
 *   HEC clients ─▶ garrison serve --role ingest ─▶ PostgreSQL + NATS JetStream ─▶ garrison serve --role engine
 *
 * against the embedded default measured in the same run (garrison serve, role all, SQLite):
 *
 *   npx tsx bench/scaleout/run.ts [--events 50000] [--batch 500] [--clients 2] [--only scaleout|embedded]
 *
 * Reports, per deployment: events/s acknowledged over HEC (ingest: stored and, scaled out, published),
 * events/s through detection (first send → the engine's garrison_engine_events_total reaching N),
 * peak RSS (VmHWM) of each process, and the ratio scaled-out / embedded. PostgreSQL at
 * GARRISON_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test), NATS at GARRISON_NATS
 * (default 127.0.0.1:4222); a unique schema and stream are created and removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NatsBus } from '../../src/bus/nats/bus.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { hecProcessEvent } from '../../src/app/scaleout-testkit.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
    clients: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const N = Number(values.events);
const BATCH = Number(values.batch);
const CLIENTS = Number(values.clients);
const PG = process.env.GARRISON_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS = process.env.GARRISON_NATS ?? '127.0.0.1:4222';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HEC = '41111111-2222-3333-4444-555555555555';
const dir = mkdtempSync(join(tmpdir(), 'garrison-bench-scaleout-'));
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

interface Proc {
  child: ChildProcess;
  url: string;
}

async function serve(args: string[], env: Record<string, string>): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, GARRISON_HEC_TOKEN: HEC, GARRISON_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`did not start:\n${out.slice(-3000)}`)), 120_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.on('exit', (c) => reject(new Error(`exited ${c}:\n${out.slice(-3000)}`)));
  });
  return { child, url };
}

const hwm = (p: Proc) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const processed = async (p: Proc) => Number(/^garrison_engine_events_total (\S+)$/m.exec(await (await fetch(`${p.url}/metrics`)).text())?.[1] ?? 0);

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return;
  const done = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  await done;
  children.delete(p.child);
}

const bodies: string[] = [];
for (let i = 0; i < N; i += BATCH) {
  const parts: string[] = [];
  for (let j = i; j < Math.min(N, i + BATCH); j++) parts.push(hecProcessEvent(j, { recon: j % 1000 === 0, tag: 'bench' }));
  bodies.push(parts.join('\n'));
}

async function run(ingest: Proc, engine: Proc): Promise<{ ingestRate: number; e2eRate: number }> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < bodies.length) {
        const b = bodies[next++];
        for (;;) {
          const r = await fetch(`${ingest.url}/services/collector/event`, { method: 'POST', body: b, headers: { authorization: `Splunk ${HEC}` } });
          await r.text();
          if (r.status === 200) break;
          if (r.status !== 503) throw new Error(`HEC ${r.status}`);
          await new Promise((res) => setTimeout(res, 200));
        }
      }
    }),
  );
  const tIngest = performance.now();
  for (;;) {
    if ((await processed(engine)) >= N) break;
    if (performance.now() - t0 > 1_800_000) throw new Error('engine did not finish in 30 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const tDone = performance.now();
  return { ingestRate: N / ((tIngest - t0) / 1000), e2eRate: N / ((tDone - t0) / 1000) };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const results: Record<string, { ingestRate: number; e2eRate: number; rss: string }> = {};
console.log(`events ${N}, HEC batches of ${BATCH}, ${CLIENTS} clients; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);

if (values.only !== 'scaleout') {
  const cfg = join(dir, 'embedded.yaml');
  writeFileSync(cfg, 'auth:\n  generateOnFirstRun: false\n');
  const all = await serve(['--data', join(dir, 'embedded'), '--config', cfg], {});
  const r = await run(all, all);
  results.embedded = { ...r, rss: `${hwm(all).toFixed(0)} MiB` };
  await stop(all);
  console.log(`embedded (role all, SQLite): ingest ${fmt(r.ingestRate)} events/s, through detection ${fmt(r.e2eRate)} events/s, peak RSS ${results.embedded.rss}`);
}

if (values.only !== 'embedded') {
  const id = randomBytes(4).toString('hex');
  const schema = `garrison_bench_${id}`;
  const stream = `BENCH_${id.toUpperCase()}`;
  const cfg = join(dir, 'scaleout.yaml');
  writeFileSync(cfg, 'auth:\n  generateOnFirstRun: false\n');
  const env = { GARRISON_STORE_URL: PG, GARRISON_STORE_SCHEMA: schema, GARRISON_BUS_URL: NATS.startsWith('nats://') ? NATS : `nats://${NATS}`, GARRISON_BUS_STREAM: stream };
  try {
    const [ingest, engine] = await Promise.all([serve(['--role', 'ingest', '--data', join(dir, 'in'), '--config', cfg], env), serve(['--role', 'engine', '--data', join(dir, 'w'), '--config', cfg], env)]);
    const r = await run(ingest, engine);
    results.scaleout = { ...r, rss: `ingest ${hwm(ingest).toFixed(0)} MiB, engine ${hwm(engine).toFixed(0)} MiB` };
    // Where the ingest node's time goes: PostgreSQL commits vs. publishing to NATS (both inside the ack path).
    const m = await (await fetch(`${ingest.url}/metrics`)).text();
    const sum = (name: string) => Number(new RegExp(`^${name}_sum (\\S+)$`, 'm').exec(m)?.[1] ?? NaN);
    const em = await (await fetch(`${engine.url}/metrics`)).text();
    const stages = [...em.matchAll(/^garrison_engine_stage_seconds_sum\{stage="([a-z]+)"\} (\S+)$/gm)].map((x) => `${x[1]} ${Number(x[2]).toFixed(1)} s`).join(', ');
    console.log(`  ingest node: PostgreSQL commits ${sum('garrison_store_write_seconds').toFixed(1)} s, NATS publishes ${sum('garrison_bus_publish_seconds').toFixed(1)} s; engine stages: ${stages}`);
    await Promise.all([stop(ingest), stop(engine)]);
    console.log(`scaled out (ingest + engine, PostgreSQL + NATS): ingest ${fmt(r.ingestRate)} events/s, through detection ${fmt(r.e2eRate)} events/s, peak RSS ${results.scaleout.rss}`);
  } finally {
    const store = openPostgresStore({ url: PG, schema });
    await store.dropSchema().catch(() => undefined);
    await store.close();
    const admin = await NatsBus.open({ servers: NATS, stream });
    await admin.destroy();
    await admin.close();
  }
}

if (results.embedded && results.scaleout) {
  console.log(
    `ratio scaled-out / embedded: ingest ${(results.scaleout.ingestRate / results.embedded.ingestRate).toFixed(2)}, through detection ${(results.scaleout.e2eRate / results.embedded.e2eRate).toFixed(2)}`,
  );
}
rmSync(dir, { recursive: true, force: true });
