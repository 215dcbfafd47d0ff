/**
 * Garrison's configuration: one zod schema, read from a YAML file plus environment variables
 * plus command-line overrides (in that order of precedence, lowest first).
 *
 * Loading never stops at the first problem: every schema violation, YAML syntax error and bad
 * environment value is collected in a ProblemList with where it came from (`file:line` for the
 * YAML file, `env GARRISON_PORT` for the environment, `--port` for flags) and the dotted path of
 * the setting, then thrown once as CONFIG_INVALID whose details list them all.
 *
 * See docs/server.md for every setting, and config/garrison.example.yaml.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from './errors.js';
import { SOURCES } from '../ingest/sources.js';
import { EngineConfigSchema, ClusterConfigSchema } from '../app/config.js';
import { PostgresStoreConfigSchema } from '../store/postgres/store.js';
import { MemoryBusConfigSchema } from '../bus/memory/bus.js';
import { NatsBusConfigSchema } from '../bus/nats/bus.js';

const MiB = 1024 * 1024;

const name = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:@-]+$/, 'use letters, digits and _ . : @ -');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (SHA-256 of the token)');
const secret = z.string().min(16, 'tokens must be at least 16 characters').max(512);

/** A bearer token for /api routes: the token itself, or only its SHA-256 (preferred in files). */
export const ApiTokenSchema = z
  .object({ name, token: secret.optional(), sha256: sha256.optional() })
  .strict()
  .refine((t) => (t.token === undefined) !== (t.sha256 === undefined), { message: 'give exactly one of token or sha256' });

/** A HEC token (`Authorization: Splunk <token>`), with Splunk's per-token settings. */
export const HecTokenSchema = z
  .object({
    name,
    token: secret.optional(),
    sha256: sha256.optional(),
    disabled: z.boolean().default(false),
    /** Indexes this token may write to; empty = any. */
    indexes: z.array(z.string().min(1).max(256)).max(1000).default([]),
    /** Index used when an event names none. */
    defaultIndex: z.string().min(1).max(256).default('main'),
    /** Default sourcetype (format hint) for events that name none. */
    sourcetype: z.string().min(1).max(256).optional(),
    source: z.string().min(1).max(1024).optional(),
    tenant: z.string().min(1).max(128).optional(),
  })
  .strict()
  .refine((t) => (t.token === undefined) !== (t.sha256 === undefined), { message: 'give exactly one of token or sha256' });

/** `kind` defaults to the section's embedded implementation when left out (configs written before it existed keep working). */
const withKind = (kind: string) => (v: unknown) =>
  v === undefined || v === null ? { kind } : typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { kind, ...v } : v;

const SqliteSectionSchema = z
  .object({
    kind: z.literal('sqlite'),
    /** The SQLite file; default `<dataDir>/garrison.db`. */
    file: z.string().min(1).optional(),
    synchronous: z.enum(['NORMAL', 'FULL']).optional(),
    fts: z.enum(['background', 'off']).optional(),
    cacheMb: z.number().int().min(1).max(4096).optional(),
  })
  .strict();
const PostgresSectionSchema = PostgresStoreConfigSchema.extend({ kind: z.literal('postgres') }).strict();
/** Input of the store section (checked at run time by the union of the kind given; flat so that partial overrides spread). */
export type StoreSectionInput = { kind?: 'sqlite' | 'postgres' } & Partial<Omit<z.input<typeof SqliteSectionSchema>, 'kind'>> & Partial<Omit<z.input<typeof PostgresSectionSchema>, 'kind'>>;
const StoreUnion = z.discriminatedUnion('kind', [SqliteSectionSchema, PostgresSectionSchema]);
/** The `store:` section: `{kind: sqlite, file?, …}` (default) or `{kind: postgres, url, schema, …}`. */
export const StoreSectionSchema = z.preprocess(withKind('sqlite'), StoreUnion).prefault({}) as unknown as z.ZodPrefault<
  z.ZodType<z.output<typeof StoreUnion>, StoreSectionInput>
>;
export type StoreSection = z.output<typeof StoreUnion>;

const MemorySectionSchema = MemoryBusConfigSchema.extend({ kind: z.literal('memory') }).strict();
const NatsSectionSchema = NatsBusConfigSchema.extend({ kind: z.literal('nats') }).strict();
/** Input of the bus section (flat, see StoreSectionInput). */
export type BusSectionInput = { kind?: 'memory' | 'nats' } & Partial<Omit<z.input<typeof MemorySectionSchema>, 'kind'>> & Partial<Omit<z.input<typeof NatsSectionSchema>, 'kind'>>;
const BusUnion = z.discriminatedUnion('kind', [MemorySectionSchema, NatsSectionSchema]);
/** The `bus:` section: `{kind: memory}` (default) or `{kind: nats, servers, stream, …}`. */
export const BusSectionSchema = z.preprocess(withKind('memory'), BusUnion).prefault({}) as unknown as z.ZodPrefault<
  z.ZodType<z.output<typeof BusUnion>, BusSectionInput>
>;
export type BusSection = z.output<typeof BusUnion>;

export const ConfigSchema = z
  .object({
    /** Where the SQLite store and the generated token hashes live. */
    dataDir: z.string().min(1).default('./data'),
    /** Tenant stamped on events whose source names none. */
    tenant: z.string().min(1).max(128).default('default'),
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Largest request body accepted on non-ingest routes. */
        bodyLimitBytes: z.number().int().min(1024).max(1024 * MiB).default(1 * MiB),
        /** Requests slower than this are cut off (slow-loris protection). */
        requestTimeoutMs: z.number().int().min(1000).max(3_600_000).default(120_000),
        /** OpenAPI document and UI under /api/docs: public, behind the API token, or off. */
        docs: z.enum(['public', 'authenticated', 'off']).default('public'),
        /** Milliseconds given to in-flight requests and the queue flush on SIGTERM. */
        shutdownTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        apiTokens: z.array(ApiTokenSchema).max(1000).default([]),
        hecTokens: z.array(HecTokenSchema).max(1000).default([]),
        /** On first run with no token configured: generate one, print it once, keep its hash in dataDir. */
        generateOnFirstRun: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    hec: z
      .object({
        enabled: z.boolean().default(true),
        /** Largest request body, before and after gzip decompression. */
        maxBodyBytes: z.number().int().min(1024).max(1024 * MiB).default(64 * MiB),
        /** Largest single event (its JSON text / raw line). */
        maxEventBytes: z.number().int().min(64).max(64 * MiB).default(1 * MiB),
        /** Largest value of host/source/sourcetype/index and of each entry of `fields`. */
        maxFieldBytes: z.number().int().min(16).max(16 * MiB).default(64 * 1024),
        /** Most errors listed in one response. */
        maxErrorsReported: z.number().int().min(1).max(10_000).default(100),
        /**
         * Worker threads parsing and normalizing HEC bodies off the main thread; 0 = inline.
         * Inline is cheaper in total CPU (no hand-over of events between threads), so it is the
         * default for small machines; with 4+ cores, 1–2 workers free the store-writing thread.
         */
        workers: z.number().int().min(0).max(32).default(0),
        ack: z
          .object({
            enabled: z.boolean().default(true),
            maxChannels: z.number().int().min(1).max(1_000_000).default(10_000),
            /** Acks kept per channel until queried; the oldest are dropped beyond this. */
            maxAcksPerChannel: z.number().int().min(1).max(10_000_000).default(100_000),
            /** Channels idle for longer are forgotten with their acks. */
            channelIdleMs: z.number().int().min(1000).max(86_400_000).default(600_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    api: z
      .object({
        maxBodyBytes: z.number().int().min(1024).max(1024 * MiB).default(64 * MiB),
        maxEventBytes: z.number().int().min(64).max(64 * MiB).default(1 * MiB),
        maxErrorsReported: z.number().int().min(1).max(10_000).default(100),
        /** Largest page a search may request. */
        maxSearchLimit: z.number().int().min(1).max(10_000).default(1000),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        /** Bounded queue between the HTTP/syslog sources and the store. */
        maxQueuedEvents: z.number().int().min(1).max(10_000_000).default(100_000),
        maxQueuedBytes: z.number().int().min(1024).max(8192 * MiB).default(256 * MiB),
        /** Retry-After sent with 503 when the queue is full. */
        retryAfterSeconds: z.number().int().min(1).max(3600).default(1),
      })
      .strict()
      .prefault({}),
    /**
     * Where everything is kept: the embedded SQLite file (default) or a PostgreSQL schema shared by
     * every process of a scaled-out deployment (docs/deployment.md). `kind` may be left out: sqlite.
     */
    /**
     * Where everything is kept: the embedded SQLite file (default) or a PostgreSQL schema shared by
     * every process of a scaled-out deployment (docs/deployment.md). `kind` may be left out: sqlite.
     */
    store: StoreSectionSchema,
    /**
     * How stages hand work to each other across processes: `memory` (in-process, the default; only
     * `cluster.role: all` uses it) or NATS JetStream (`kind: nats`, docs/bus.md). `kind` may be left out: memory.
     */
    bus: BusSectionSchema,
    /** Which part of Garrison this process runs (docs/deployment.md). */
    cluster: ClusterConfigSchema.prefault({}),
    /** Standalone sources (syslog listeners ...): `- { kind: syslog, protocol: udp, port: 5514 }`; each entry validated by its kind's schema in ingest/sources.ts. */
    sources: z.array(z.looseObject({ kind: z.string(), name: z.string().optional() })).max(100).default([]),
    logging: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
    metrics: z.object({ enabled: z.boolean().default(true) }).strict().prefault({}),
    /** Detection and the stages after it, run on stored events by `garrison serve` (src/app, docs/eval.md). */
    engine: EngineConfigSchema.prefault({}),
  })
  .strict();

export type GarrisonConfig = z.output<typeof ConfigSchema>;
export type GarrisonConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables Garrison reads, and the setting each one sets. */
export const ENV_VARS = {
  GARRISON_CONFIG: 'path of the YAML configuration file',
  GARRISON_DATA_DIR: 'dataDir',
  GARRISON_HOST: 'server.host',
  GARRISON_PORT: 'server.port',
  GARRISON_LOG_LEVEL: 'logging.level',
  GARRISON_TENANT: 'tenant',
  GARRISON_API_TOKEN: 'adds an API token named "env" to auth.apiTokens',
  GARRISON_HEC_TOKEN: 'adds a HEC token named "env" to auth.hecTokens',
  GARRISON_ROLE: 'cluster.role (all | ingest | engine)',
  GARRISON_NODE: 'cluster.node',
  GARRISON_STORE_URL: 'store: postgres://user@host:5432/db (kind postgres, url) or sqlite:<file> (kind sqlite, file)',
  GARRISON_STORE_SCHEMA: 'store.schema (PostgreSQL)',
  GARRISON_BUS_URL: 'bus: nats://host:4222[,nats://host2:4222] (kind nats, servers) or memory',
  GARRISON_BUS_STREAM: 'bus.stream (NATS JetStream stream of this deployment)',
} as const;

/** Command-line overrides (garrison serve flags). */
export interface ConfigOverrides {
  port?: number | string;
  host?: string;
  dataDir?: string;
  /** --store-url: postgres://… or sqlite:<file> (see GARRISON_STORE_URL). */
  storeUrl?: string;
  /** --bus-url: nats://…[,nats://…] or memory (see GARRISON_BUS_URL). */
  busUrl?: string;
  /** --role: all | ingest | engine. */
  role?: string;
  /** --node: this process's name in the deployment. */
  node?: string;
}

/** What a store URL (GARRISON_STORE_URL, --store-url) sets, or a problem text (the URL itself is never echoed: it may hold a password). */
export function storeFromUrl(url: string): { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string } | { problem: string } {
  const u = url.trim();
  if (/^postgres(ql)?:\/\//i.test(u)) {
    try {
      const parsed = new URL(u);
      if (!parsed.hostname && !parsed.searchParams.get('host')) return { problem: 'a postgres:// URL needs a host (postgres://user@host:5432/database)' };
    } catch {
      return { problem: 'not a valid postgres:// URL (postgres://user@host:5432/database)' };
    }
    return { kind: 'postgres', url: u };
  }
  const m = /^sqlite:(?:\/\/)?(.+)$/i.exec(u);
  if (m && m[1].trim()) return { kind: 'sqlite', file: m[1].trim() };
  return { problem: 'expected postgres://user@host:5432/database or sqlite:<file>' };
}

/** What a bus URL (GARRISON_BUS_URL, --bus-url) sets, or a problem text. */
export function busFromUrl(url: string): { kind: 'nats'; servers: string[] } | { kind: 'memory' } | { problem: string } {
  const u = url.trim();
  if (/^memory:?$/i.test(u)) return { kind: 'memory' };
  const parts = u.split(',').map((x) => x.trim()).filter(Boolean);
  if (parts.length === 0 || parts.length > 32) return { problem: 'expected nats://host:4222[,nats://host2:4222] or memory' };
  for (const p of parts) {
    if (!/^(nats|tls):\/\/[^\s/]+(:\d{1,5})?\/?$/i.test(p)) return { problem: `"${p.slice(0, 80).replace(/\/\/[^@/]*@/, '//***@')}" is not a nats://host:port URL` };
  }
  return { kind: 'nats', servers: parts };
}

export interface LoadConfigOptions {
  /** YAML file; when undefined, GARRISON_CONFIG, else no file. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
  /** Directory relative paths (dataDir, store.file) resolve against. Default: cwd. */
  cwd?: string;
}

export interface LoadedConfig {
  config: GarrisonConfig;
  /** The YAML file actually read, if any. */
  file?: string;
}

type Origin = { file: string; line?: number; label: string };

/**
 * Loads and validates the configuration. Throws CONFIG_NOT_FOUND for a missing file and
 * CONFIG_INVALID listing every problem (details.problems) otherwise.
 */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const problems = new ProblemList();
  const file = opts.file ?? (env.GARRISON_CONFIG ? env.GARRISON_CONFIG : undefined);
  let raw: Record<string, unknown> = {};
  let locate: (path: PropertyKey[]) => number | undefined = () => undefined;
  let filePath: string | undefined;

  if (file !== undefined) {
    filePath = resolve(cwd, file);
    if (!existsSync(filePath)) {
      throw new GarrisonError('CONFIG_NOT_FOUND', `configuration file ${filePath} does not exist`, { location: { file: filePath } });
    }
    const text = readFileSync(filePath, 'utf8');
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    for (const err of doc.errors) {
      const line = err.linePos?.[0]?.line ?? (err.pos ? lc.linePos(err.pos[0]).line : undefined);
      problems.add(new GarrisonError('CONFIG_INVALID', `YAML: ${err.message.split('\n')[0]}`, { location: { file: filePath, line } }));
    }
    if (doc.errors.length === 0) {
      const js = doc.toJS({ maxAliasCount: 100 }) as unknown;
      if (js === null || js === undefined) raw = {};
      else if (typeof js !== 'object' || Array.isArray(js)) {
        problems.add(new GarrisonError('CONFIG_INVALID', 'the configuration file must hold a mapping at the top level', { location: { file: filePath, line: 1 } }));
      } else raw = js as Record<string, unknown>;
      locate = (path) => {
        // The deepest existing node on the path: a missing key is reported where its parent is.
        for (let n = path.length; n >= 0; n--) {
          const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
          if (node && (node as Node).range) {
            // For a map entry, point at its key's line rather than the value's.
            const parent = n > 0 ? (doc.getIn(path.slice(0, n - 1) as unknown[], true) as Node | undefined) : undefined;
            if (parent && isMap(parent)) {
              const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === path[n - 1]);
              const k = pair?.key as Node | undefined;
              if (k?.range) return lc.linePos(k.range[0]).line;
            } else if (parent && isSeq(parent)) {
              return lc.linePos(node.range![0]).line;
            }
            return lc.linePos(node.range![0]).line;
          }
        }
        return undefined;
      };
    }
  }

  // Environment and flags override the file; remember where each override came from.
  const origins = new Map<string, Origin>();
  const set = (path: string[], value: unknown, origin: Origin) => {
    let cur = raw as Record<string, unknown>;
    for (const k of path.slice(0, -1)) {
      if (cur[k] === undefined || cur[k] === null || typeof cur[k] !== 'object' || Array.isArray(cur[k])) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[path[path.length - 1]] = value;
    origins.set(path.join('.'), origin);
  };
  const num = (v: string): number | string => (/^\s*-?\d+\s*$/.test(v) ? Number(v) : v);
  const envPairs: [keyof typeof ENV_VARS, string[], (v: string) => unknown][] = [
    ['GARRISON_DATA_DIR', ['dataDir'], (v) => v],
    ['GARRISON_HOST', ['server', 'host'], (v) => v],
    ['GARRISON_PORT', ['server', 'port'], num],
    ['GARRISON_LOG_LEVEL', ['logging', 'level'], (v) => v],
    ['GARRISON_TENANT', ['tenant'], (v) => v],
  ];
  for (const [k, path, conv] of envPairs) {
    const v = env[k];
    if (v !== undefined && v !== '') set(path, conv(v), { file: `env ${k}`, label: `env ${k}` });
  }
  // A store or bus URL selects the implementation: a section of the same kind keeps its other
  // settings; one of another kind is replaced (its settings would not apply).
  const section = (key: 'store' | 'bus', value: Record<string, unknown>, origin: Origin) => {
    const cur = raw[key];
    const curKind = cur && typeof cur === 'object' && !Array.isArray(cur) ? ((cur as Record<string, unknown>).kind ?? (key === 'store' ? 'sqlite' : 'memory')) : undefined;
    if (curKind === value.kind) {
      for (const [k, v] of Object.entries(value)) set([key, k], v, origin);
    } else set([key], { ...value }, origin);
  };
  const applyStoreUrl = (v: string, origin: Origin) => {
    const r = storeFromUrl(v);
    if ('problem' in r) problems.add(new GarrisonError('CONFIG_INVALID', `store: ${r.problem}`, { location: { file: origin.file, field: 'store' } }));
    else section('store', r, origin);
  };
  const applyBusUrl = (v: string, origin: Origin) => {
    const r = busFromUrl(v);
    if ('problem' in r) problems.add(new GarrisonError('CONFIG_INVALID', `bus: ${r.problem}`, { location: { file: origin.file, field: 'bus' } }));
    else section('bus', r, origin);
  };
  const envOrigin = (k: string): Origin => ({ file: `env ${k}`, label: `env ${k}` });
  const o = opts.overrides ?? {};
  // The URL (flag over environment) picks the kind first; GARRISON_STORE_SCHEMA / _BUS_STREAM then
  // set a field of whatever section results.
  if (o.storeUrl !== undefined) applyStoreUrl(o.storeUrl, { file: '--store-url', label: '--store-url' });
  else if (env.GARRISON_STORE_URL) applyStoreUrl(env.GARRISON_STORE_URL, envOrigin('GARRISON_STORE_URL'));
  if (o.busUrl !== undefined) applyBusUrl(o.busUrl, { file: '--bus-url', label: '--bus-url' });
  else if (env.GARRISON_BUS_URL) applyBusUrl(env.GARRISON_BUS_URL, envOrigin('GARRISON_BUS_URL'));
  if (env.GARRISON_STORE_SCHEMA) set(['store', 'schema'], env.GARRISON_STORE_SCHEMA, envOrigin('GARRISON_STORE_SCHEMA'));
  if (env.GARRISON_BUS_STREAM) set(['bus', 'stream'], env.GARRISON_BUS_STREAM, envOrigin('GARRISON_BUS_STREAM'));
  if (env.GARRISON_ROLE) set(['cluster', 'role'], env.GARRISON_ROLE, envOrigin('GARRISON_ROLE'));
  if (env.GARRISON_NODE) set(['cluster', 'node'], env.GARRISON_NODE, envOrigin('GARRISON_NODE'));
  if (o.role !== undefined) set(['cluster', 'role'], o.role, { file: '--role', label: '--role' });
  if (o.node !== undefined) set(['cluster', 'node'], o.node, { file: '--node', label: '--node' });
  if (o.dataDir !== undefined) set(['dataDir'], o.dataDir, { file: '--data', label: '--data' });
  if (o.host !== undefined) set(['server', 'host'], o.host, { file: '--host', label: '--host' });
  if (o.port !== undefined) set(['server', 'port'], typeof o.port === 'string' ? num(o.port) : o.port, { file: '--port', label: '--port' });
  for (const [k, list] of [
    ['GARRISON_API_TOKEN', 'apiTokens'],
    ['GARRISON_HEC_TOKEN', 'hecTokens'],
  ] as const) {
    const v = env[k];
    if (v === undefined || v === '') continue;
    const auth = (raw.auth && typeof raw.auth === 'object' && !Array.isArray(raw.auth) ? raw.auth : (raw.auth = {})) as Record<string, unknown>;
    const arr = Array.isArray(auth[list]) ? (auth[list] as unknown[]) : (auth[list] = []) as unknown[];
    arr.push({ name: 'env', token: v });
    origins.set(`auth.${list}.${arr.length - 1}`, { file: `env ${k}`, label: `env ${k}` });
  }

  const parsed = ConfigSchema.safeParse(raw);
  // Each source entry is validated by its kind's own schema (ingest/sources.ts), located like the rest.
  const sourceIssues: { path: PropertyKey[]; message: string; code?: string; keys?: string[] }[] = [];
  if (Array.isArray(raw.sources)) {
    raw.sources.forEach((entry: unknown, idx: number) => {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return; // reported by ConfigSchema
      const { kind, name: _name, ...rest } = entry as Record<string, unknown>;
      if (typeof kind !== 'string') return;
      const spec = (SOURCES as Record<string, { schema: z.ZodType }>)[kind];
      if (!spec) {
        sourceIssues.push({ path: ['sources', idx, 'kind'], message: `unknown source kind "${kind.slice(0, 40)}" (known: ${Object.keys(SOURCES).join(', ')})` });
        return;
      }
      const r = spec.schema.safeParse(rest);
      if (!r.success) for (const i of r.error.issues) sourceIssues.push({ ...i, path: ['sources', idx, ...i.path] });
    });
  }
  const allIssues = [...(parsed.success ? [] : parsed.error.issues), ...sourceIssues];
  if (allIssues.length > 0) {
    for (const issue of allIssues as { path: PropertyKey[]; message: string; code?: string; keys?: string[] }[]) {
      const path = issue.path.map(String);
      const dotted = path.join('.');
      let origin: Origin | undefined;
      for (let n = path.length; n > 0 && !origin; n--) origin = origins.get(path.slice(0, n).join('.'));
      const keys = issue.code === 'unrecognized_keys' && issue.keys ? ` (unknown key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')})` : '';
      const msg = `${dotted || '(top level)'}: ${issue.message}${issue.code === 'unrecognized_keys' ? '' : keys}`;
      if (origin) {
        problems.add(new GarrisonError('CONFIG_INVALID', msg, { location: { file: origin.file, field: dotted } }));
      } else {
        const at = issue.code === 'unrecognized_keys' && issue.keys?.length ? [...issue.path, issue.keys[0]] : issue.path;
        const line = filePath ? locate(at as PropertyKey[]) : undefined;
        problems.add(new GarrisonError('CONFIG_INVALID', msg, { location: { file: filePath ?? 'config', line, field: dotted } }));
      }
    }
  }
  if (!problems.ok || !parsed.success) {
    throw new GarrisonError('CONFIG_INVALID', `invalid configuration (${problems.problems.length} problem${problems.problems.length === 1 ? '' : 's'}):\n${problems.format()}`, {
      details: { problems: problems.problems.map((p) => p.toJSON()) },
    });
  }
  const config = parsed.data;
  config.dataDir = resolve(cwd, config.dataDir);
  if (config.store.kind === 'sqlite' && config.store.file) config.store.file = resolve(cwd, config.store.file);
  // Token names must be unique per kind: they label metrics and logs.
  const dup = new ProblemList();
  for (const list of ['apiTokens', 'hecTokens'] as const) {
    const seen = new Set<string>();
    config.auth[list].forEach((t, i) => {
      if (seen.has(t.name) && t.name !== 'env') dup.add(new GarrisonError('CONFIG_INVALID', `auth.${list}.${i}.name: duplicate token name "${t.name}"`, { location: { file: filePath ?? 'config', line: filePath ? locate(['auth', list, i, 'name']) : undefined, field: `auth.${list}.${i}.name` } }));
      seen.add(t.name);
    });
  }
  if (!dup.ok) {
    throw new GarrisonError('CONFIG_INVALID', `invalid configuration (${dup.problems.length} problems):\n${dup.format()}`, {
      details: { problems: dup.problems.map((p) => p.toJSON()) },
    });
  }
  return { config, file: filePath };
}

/** The configuration with every default applied (tests, tools). */
export function defaultConfig(input: GarrisonConfigInput = {}): GarrisonConfig {
  return ConfigSchema.parse(input);
}
