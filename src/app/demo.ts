/**
 * `garrison demo`: one command for a first-time user. Starts the server (with the engine) on a
 * fresh data directory, streams a seeded simulated organization into it through HEC — a
 * compressed warm-up of background activity so the baselines have something to learn from, then
 * the scenario day with its attack campaigns at a chosen time compression — prints where the API
 * is and the tokens, and keeps running until stopped.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultConfig } from '../core/config.js';
import { GarrisonError } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/logger.js';
import { streamToHec, type StreamResult } from '../sim/hec.js';
import { Simulation } from '../sim/simulation.js';
import type { ServerService, ServiceFactory } from '../surface/server/context.js';
import { startServer, type RunningServer } from '../surface/server/server.js';
import { SERVICES } from '../surface/server/services.js';
import { contextFromOrg } from '../correlate/index.js';
import type { Engine, EngineStatus } from './engine.js';
import { engineService, engineServiceWith } from './service.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Marks a directory the demo created, so that a later demo may wipe it (and nothing else). */
export const DEMO_MARKER = '.garrison-demo';

export interface DemoOptions {
  /** Default ./data/demo. Wiped at start when it holds a previous demo; refused when it holds anything else. */
  dataDir?: string;
  port?: number;
  host?: string;
  /** Simulated seconds per real second for the scenario day (default 300: a day in under 5 minutes), or 'max'. */
  speed?: number | 'max';
  scenario?: string;
  seed?: number;
  /** Hours of the scenario window (default 24). */
  hours?: number;
  /** Days of background sent first, as fast as the server accepts (default 1). Baselines learn for this long. */
  warmupDays?: number;
  /** Start of the scenario window (default: yesterday 00:00 UTC, so the data looks recent). */
  start?: number;
  logger?: Logger;
  /** Where the demo writes what people read (default stdout). */
  print?: (line: string) => void;
  /** Progress line every this many ms while streaming (default 10 s; 0 = off). */
  progressMs?: number;
}

export interface DemoHandle {
  readonly server: RunningServer;
  readonly url: string;
  readonly apiToken: string;
  readonly hecToken: string;
  readonly dataDir: string;
  /** Resolves when the whole scenario has been streamed (the server keeps running). */
  readonly streamed: Promise<{ warmup: StreamResult; scenario: StreamResult }>;
  engineStatus(): EngineStatus | undefined;
  /** Stops streaming (if still going) and the server. */
  close(): Promise<void>;
}

function prepareDir(dir: string): void {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
      throw new GarrisonError('DEMO_DATA_DIR_IN_USE', `${dir} is not empty and was not created by garrison demo; it is left alone (give another --data)`, { location: { file: dir } });
    }
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, DEMO_MARKER), 'created by garrison demo; wiped by the next demo run\n');
}

export async function startDemo(opts: DemoOptions = {}): Promise<DemoHandle> {
  const print = opts.print ?? ((s: string) => process.stdout.write(s + '\n'));
  const dataDir = resolve(opts.dataDir ?? './data/demo');
  const warmupDays = opts.warmupDays ?? 1;
  const hours = opts.hours ?? 24;
  const speed = opts.speed ?? 300;
  const seed = opts.seed ?? 1;
  const scenario = opts.scenario ?? 'default';
  const start = opts.start ?? Math.floor(Date.now() / DAY) * DAY - DAY;
  // Validate the simulation before touching the directory.
  const attack = new Simulation({ scenario, seed, hours, start });
  const warm = warmupDays > 0 ? new Simulation({ scenario: 'quiet', seed, hours: warmupDays * 24, start: start - Math.round(warmupDays * DAY) }) : undefined;
  prepareDir(dataDir);

  const apiToken = randomBytes(24).toString('base64url');
  const hecToken = randomBytes(24).toString('base64url');
  const learningMs = Math.round(warmupDays * DAY);
  const config = defaultConfig({
    dataDir,
    server: { port: opts.port ?? 8080, host: opts.host ?? '127.0.0.1' },
    auth: { apiTokens: [{ name: 'demo', token: apiToken }], hecTokens: [{ name: 'demo', token: hecToken }], generateOnFirstRun: false },
    engine: {
      baselines: {
        config: { models: Object.fromEntries(['rarity', 'peer', 'time', 'volume', 'beaconing', 'dns', 'auth'].map((m) => [m, { learningMs: m === 'auth' ? 0 : Math.min(learningMs, m === 'beaconing' ? DAY : 7 * DAY) }])) },
      },
    },
  });
  let engine: Engine | undefined;
  // The server's own services; the engine gets the simulated organization as its asset inventory
  // and identity directory, and the demo keeps a handle on it for the progress lines.
  const withContext = engineServiceWith({ context: contextFromOrg(attack.org) });
  const services: ServiceFactory[] = SERVICES.map((f) => (ctx) => {
    const made = (f === engineService ? withContext : f)(ctx);
    for (const s of made === undefined ? [] : Array.isArray(made) ? made : [made]) {
      const e = (s as ServerService & { engine?: () => Engine | undefined }).engine;
      if (s.name === 'engine' && e) {
        const orig = s.start.bind(s);
        (s as { start: ServerService['start'] }).start = async (c) => {
          await orig(c);
          engine = e();
        };
      }
    }
    return made;
  });
  const server = await startServer({ config, logger: opts.logger ?? silentLogger(), services, defaultMetrics: true });
  const url = server.url;
  print(`garrison demo: server on ${url} (data in ${dataDir}; wiped by the next demo)`);
  print(`  console:      ${url}/   (sign in with the API token; \`npm run build:console\` first if it says it is not built)`);
  print(`  API:          ${url}/api/v1   (OpenAPI docs: ${url}/api/docs)`);
  print(`  API token:    ${apiToken}`);
  print(`  HEC:          ${url}/services/collector/event`);
  print(`  HEC token:    ${hecToken}`);
  print(`  health:       ${url}/healthz   metrics: ${url}/metrics`);
  print(`  try:          curl -s -H 'Authorization: Bearer ${apiToken}' '${url}/api/v1/events?q=EventID:1&limit=5'`);
  print(
    `streaming "${scenario}" (seed ${seed}): ${warmupDays} day(s) of background first as fast as the server takes it (baselines learn for ${warmupDays} day(s) instead of 7), then ${hours} h from ${new Date(start).toISOString()} at ${speed === 'max' ? 'full speed' : `${speed}x (${speed} simulated s per real s)`}`,
  );

  let stopped = false;
  const abort = new AbortController();
  const sleep = (ms: number) =>
    new Promise<void>((res) => {
      if (stopped) return res();
      const t = setTimeout(res, ms);
      abort.signal.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
    });
  let sent = 0;
  let simTime = 0;
  const onProgress = (n: number, t: number) => {
    simTime = t;
    void n;
  };
  const records = function* (sim: Simulation) {
    for (const r of sim.records()) {
      if (stopped) return;
      sent++;
      yield r;
    }
  };
  const progressMs = opts.progressMs ?? 10_000;
  const timer =
    progressMs > 0
      ? setInterval(() => {
          const s = engine?.status();
          const k = s?.signals.byKind;
          print(
            `  ${sent.toLocaleString('en')} records sent (simulated ${simTime ? new Date(simTime).toISOString().slice(0, 16) + 'Z' : '-'}); ${s ? `${s.events.toLocaleString('en')} analysed, ${s.signals.total} signals (sigma ${k!.sigma + k!.sigma_correlation}, anomaly ${k!.anomaly}, intel ${k!.intel}), ${s.incidents.created} incidents` : 'engine off'}`,
          );
        }, progressMs)
      : undefined;
  timer?.unref();
  const hec = `${url}/services/collector/event`;
  const streamed = (async () => {
    const w = warm ? await streamToHec(records(warm), { url: hec, token: hecToken, speed: 'max', batchSize: 1000, sleep, onProgress }) : { sent: 0, batches: 0, retries: 0, rejected: 0 };
    const a = await streamToHec(records(attack), { url: hec, token: hecToken, speed, batchSize: 200, sleep, onProgress });
    if (timer) clearInterval(timer);
    if (!stopped) {
      const s = engine?.status();
      print(
        `scenario streamed: ${(w.sent + a.sent).toLocaleString('en')} records${s ? `; ${s.signals.total} signals, ${s.incidents.created} incidents so far (detection backlog ${s.backlog})` : ''}. The server keeps running; Ctrl-C stops it.`,
      );
    }
    return { warmup: w, scenario: a };
  })();
  streamed.catch((e) => {
    if (!stopped) print(`garrison demo: streaming stopped: ${(e as Error).message}`);
  });

  return {
    server,
    url,
    apiToken,
    hecToken,
    dataDir,
    streamed,
    engineStatus: () => engine?.status(),
    async close() {
      stopped = true;
      abort.abort();
      if (timer) clearInterval(timer);
      await streamed.catch(() => undefined);
      await server.close();
    },
  };
}
