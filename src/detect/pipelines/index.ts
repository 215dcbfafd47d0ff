/**
 * Processing pipelines as data: which events a Sigma log source (product/service/category) means,
 * and how a rule's field names map onto the event's fields. Each pipeline is a YAML file in this
 * folder, listed in the explicit map PIPELINES and validated by a zod schema.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../../core/errors.js';
import type { GarrisonEvent } from '../../core/event.js';
import type { LogSource } from '../sigma/types.js';

/** Every shipped pipeline, by name (file beside this module, resolved from the package root). */
export const PIPELINES = {
  windows: 'windows.yml',
  linux: 'linux.yml',
  zeek: 'zeek.yml',
  cloudtrail: 'cloudtrail.yml',
  edr: 'edr.yml',
  proxy: 'proxy.yml',
} as const satisfies Record<string, string>;
export type PipelineName = keyof typeof PIPELINES;

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
const list = z.union([scalar.transform((s) => [s]), z.array(scalar)]);
const lsName = z.string().min(1).transform((s) => s.toLowerCase());

export const PipelineEntrySchema = z
  .object({
    id: z.string().min(1),
    logsource: z.object({ product: lsName.optional(), service: lsName.optional(), category: lsName.optional() }).strict(),
    when: z
      .object({
        channel: list.optional(),
        eventId: list.optional(),
        format: list.optional(),
        product: list.optional(),
        service: list.optional(),
        category: list.optional(),
        fields: z.record(z.string(), list).optional(),
      })
      .strict(),
    fieldmappings: z.record(z.string(), list).optional(),
  })
  .strict();
export const PipelineSchema = z.object({ name: z.string().min(1), entries: z.array(PipelineEntrySchema).min(1) }).strict();
export type PipelineEntry = z.infer<typeof PipelineEntrySchema>;
export type Pipeline = z.infer<typeof PipelineSchema>;

/** The package root (holds package.json): works from src/ (tsx) and from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      readFileSync(join(dir, 'package.json'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new GarrisonError('INTERNAL', 'package root (package.json) not found above the Sigma pipelines module');
}

/** Validates a pipeline object; throws SIGMA_PIPELINE_INVALID listing every problem. */
export function parsePipeline(input: unknown, file: string): Pipeline {
  const r = PipelineSchema.safeParse(input);
  if (r.success) {
    const seen = new Set<string>();
    const pl = new ProblemList();
    for (const e of r.data.entries) {
      if (seen.has(e.id)) pl.add(new GarrisonError('SIGMA_PIPELINE_INVALID', `duplicate entry id '${e.id}'`, { location: { file } }));
      seen.add(e.id);
      if (Object.keys(e.when).length === 0) pl.add(new GarrisonError('SIGMA_PIPELINE_INVALID', `entry '${e.id}' has an empty 'when'`, { location: { file } }));
    }
    if (!pl.ok) throw new GarrisonError('SIGMA_PIPELINE_INVALID', pl.format(), { location: { file }, details: { problems: pl.problems.map((p) => p.message) } });
    return r.data;
  }
  const msg = r.error.issues.map((i) => `${i.path.join('.') || '(pipeline)'}: ${i.message}`).join('; ');
  throw new GarrisonError('SIGMA_PIPELINE_INVALID', `${file}: ${msg}`, { location: { file } });
}

/** Loads the named shipped pipelines (all by default). */
export function loadPipelines(names: PipelineName[] = Object.keys(PIPELINES) as PipelineName[]): Pipeline[] {
  const dir = dirname(fileURLToPath(import.meta.url)); // this module's folder: src/detect/pipelines (tsx) or dist/detect/pipelines (build, assets copied)
  return names.map((n) => {
    const file = join(dir, PIPELINES[n]);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new GarrisonError('SIGMA_PIPELINE_INVALID', `cannot read pipeline ${file}: ${(e as Error).message}`, { location: { file } });
    }
    return parsePipeline(parseYaml(text), file);
  });
}

/** A compiled entry: cheap per-event test. */
export interface Route {
  key: string;
  logsource: LogSource;
  /** Rule field -> event field names. */
  mapField(name: string): string[];
  /** Identity of the field mapping (rules compiled once per distinct mapping). */
  mappingKey: string;
  matches(ev: RoutedEvent): boolean;
  /** The conditions on the event's envelope (channel, event id, format, product ...). */
  staticMatch(ev: RoutedEvent): boolean;
  /** The conditions on field values (true when the entry has none). */
  fieldMatch(ev: RoutedEvent): boolean;
  readonly hasFieldConditions: boolean;
}

/** What routing needs to know about an event (envelope values lower-cased once). */
export interface RoutedEvent {
  fields: Record<string, unknown>;
  format?: string;
  product?: string;
  service?: string;
  category?: string;
  channel?: string;
  eventId?: string;
  /** Cache key of the envelope values. */
  key: string;
}

const lc = (s: string) => s.toLowerCase();

export function routedEvent(ev: Pick<GarrisonEvent, 'fields' | 'source'>): RoutedEvent {
  const f = ev.fields;
  const ch = ev.source.channel ?? (typeof f.Channel === 'string' ? f.Channel : undefined);
  const id = ev.source.eventCode ?? (f.EventID !== undefined && f.EventID !== null && typeof f.EventID !== 'object' ? String(f.EventID) : undefined);
  const low = (x: string | undefined) => (x === undefined ? undefined : x.toLowerCase());
  const r: RoutedEvent = {
    fields: f,
    format: low(ev.source.format),
    product: low(ev.source.product ?? (ch !== undefined && f.EventID !== undefined ? 'windows' : undefined)),
    service: low(ev.source.service),
    category: low(ev.source.category),
    channel: low(ch),
    eventId: low(id),
    key: '',
  };
  r.key = `${r.format ?? ''}\u0000${r.product ?? ''}\u0000${r.service ?? ''}\u0000${r.category ?? ''}\u0000${r.channel ?? ''}\u0000${r.eventId ?? ''}`;
  return r;
}

function fieldString(fields: Record<string, unknown>, path: string, parts: string[]): string | undefined {
  let v: unknown = fields[path];
  if (v === undefined && parts.length > 1) {
    let cur: unknown = fields;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    v = cur;
  }
  if (Array.isArray(v)) v = v[0];
  return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
}

export function compileRoute(e: PipelineEntry | { id: string; logsource: LogSource; when: PipelineEntry['when']; fieldmappings?: Record<string, string[]> }): Route {
  const set = (xs?: string[]) => (xs ? new Set(xs.map(lc)) : undefined);
  const w = e.when;
  const ch = set(w.channel), ids = set(w.eventId), fmt = set(w.format), prod = set(w.product), svc = set(w.service), cat = set(w.category);
  const fl = w.fields ? Object.entries(w.fields).map(([k, v]) => [k, k.split('.'), new Set(v.map(lc))] as const) : [];
  const has = (s: Set<string> | undefined, v: string | undefined) => s === undefined || (v !== undefined && s.has(v));
  const staticMatch = (ev: RoutedEvent) =>
    has(ch, ev.channel) && has(ids, ev.eventId) && has(fmt, ev.format) && has(prod, ev.product) && has(svc, ev.service) && has(cat, ev.category);
  const fieldMatch = (ev: RoutedEvent) => {
    for (const [k, parts, vals] of fl) {
      const s = fieldString(ev.fields, k, parts);
      if (s === undefined || !vals.has(lc(s))) return false;
    }
    return true;
  };
  const fm = e.fieldmappings ?? {};
  const mapKeys = Object.keys(fm).sort();
  return {
    key: e.id,
    logsource: { product: e.logsource.product, service: e.logsource.service, category: e.logsource.category },
    mapField: (name) => fm[name] ?? [name],
    mappingKey: mapKeys.map((k) => `${k}=${fm[k].join(',')}`).join(';'),
    matches: (ev) => staticMatch(ev) && fieldMatch(ev),
    staticMatch,
    fieldMatch,
    hasFieldConditions: fl.length > 0,
  };
}

/**
 * Whether a rule with log source `rule` applies to events of route `r`: every key the rule names
 * equals the route's; a route with a category only hosts rules of that category.
 */
export function compatible(rule: LogSource, r: LogSource): boolean {
  if (rule.product && rule.product !== r.product) return false;
  if (rule.service && rule.service !== r.service) return false;
  if (rule.category && rule.category !== r.category) return false;
  if (r.category && !rule.category) return false;
  if (r.service && !rule.service && !rule.category) return false;
  return true;
}

/** A route for rules whose log source no pipeline entry covers: matches events tagged with it. */
export function syntheticRoute(ls: LogSource): Route {
  const when: PipelineEntry['when'] = {};
  if (ls.product) when.product = [ls.product];
  if (ls.service) when.service = [ls.service];
  if (ls.category) when.category = [ls.category];
  return compileRoute({ id: `logsource:${ls.product ?? ''}/${ls.service ?? ''}/${ls.category ?? ''}`, logsource: ls, when });
}
