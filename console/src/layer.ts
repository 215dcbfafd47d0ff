/**
 * ATT&CK Navigator layers (format 4.5, mitre-attack/attack-navigator layers/LAYERFORMATv4_5.md)
 * read from a file the user chose, or from the server: untrusted input. `parseLayer` checks the
 * text against the format and collects every problem with its path (techniques[3].color …);
 * a layer with problems is not shown. Fields the format does not define are ignored with a
 * warning. The result holds only the fields the console shows, as plain strings and numbers: the
 * layer's text is rendered as text, its links are never made into links, and a colour is used
 * only when it is a hex colour.
 */
import { buildMatrix, gradientColor, isHexColor, type CatalogueEntry, type MatrixColumn } from './coverage.js';

export const MAX_LAYER_BYTES = 16 * 1024 * 1024;
export const MAX_LAYER_TECHNIQUES = 50_000;
const MAX_TEXT = 20_000;
const MAX_PROBLEMS = 100;

export interface LayerTechnique {
  techniqueID: string;
  tactic?: string;
  score?: number;
  color?: string;
  comment?: string;
  enabled: boolean;
  metadata: { name: string; value: string }[];
  links: { label: string; url: string }[];
}

export interface LayerView {
  name: string;
  description?: string;
  domain: string;
  versions: { layer: string; attack?: string; navigator?: string };
  techniques: LayerTechnique[];
  gradient?: { colors: string[]; minValue: number; maxValue: number };
  legendItems: { label: string; color: string }[];
  metadata: { name: string; value: string }[];
  links: { label: string; url: string }[];
  hideDisabled: boolean;
}

export interface LayerCheck {
  layer?: LayerView;
  /** Violations of the format: the layer is not shown. */
  problems: string[];
  /** Accepted, with a note (unknown fields, an older 4.x format, long texts cut). */
  warnings: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const TECH = /^T\d{4}(\.\d{3})?$/;
const TACTIC = /^[a-z][a-z-]{0,63}$/;

const ROOT_KEYS = new Set(['name', 'versions', 'domain', 'description', 'filters', 'sorting', 'layout', 'hideDisabled', 'techniques', 'gradient', 'legendItems', 'showTacticRowBackground', 'tacticRowBackground', 'selectTechniquesAcrossTactics', 'selectSubtechniquesWithParent', 'selectVisibleTechniques', 'metadata', 'links']);
const TECH_KEYS = new Set(['techniqueID', 'tactic', 'score', 'color', 'comment', 'enabled', 'metadata', 'links', 'showSubtechniques']);
const LAYOUT: Record<string, 'string' | 'boolean'> = { layout: 'string', aggregateFunction: 'string', showID: 'boolean', showName: 'boolean', showAggregateScores: 'boolean', countUnscored: 'boolean', expandedSubtechniques: 'string' };
const BOOL_ROOT = ['hideDisabled', 'showTacticRowBackground', 'selectTechniquesAcrossTactics', 'selectSubtechniquesWithParent', 'selectVisibleTechniques'];

/** Short, single-line rendering of a bad value for a message (never markup: the message is text). */
function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? s.slice(0, 59) + '…' : s;
}

/** Parses and checks a layer. `text` is the file's content. */
export function parseLayer(text: string): LayerCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  let dropped = 0;
  const bad = (path: string, msg: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(`${path}: ${msg}`);
    else dropped++;
  };
  const finish = (layer?: LayerView): LayerCheck => {
    if (dropped) problems.push(`… and ${dropped} more problem(s)`);
    return problems.length ? { problems, warnings } : { layer, problems, warnings };
  };
  if (text.length > MAX_LAYER_BYTES) {
    bad('(file)', `${text.length} characters, larger than the ${MAX_LAYER_BYTES / 1024 / 1024} MiB accepted`);
    return finish();
  }
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    bad('(file)', `not JSON: ${(e as Error).message}`);
    return finish();
  }
  if (!isObj(root)) {
    bad('(root)', 'a layer is a JSON object');
    return finish();
  }
  let cut = 0;
  const str = (v: unknown, path: string, required = false): string | undefined => {
    if (v === undefined) {
      if (required) bad(path, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      bad(path, `must be a string, not ${show(v)}`);
      return undefined;
    }
    if (v.length > MAX_TEXT) {
      cut++;
      return v.slice(0, MAX_TEXT - 1) + '…';
    }
    return v;
  };
  const num = (v: unknown, path: string): number | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      bad(path, `must be a number, not ${show(v)}`);
      return undefined;
    }
    return v;
  };
  const bool = (v: unknown, path: string): boolean | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') {
      bad(path, `must be true or false, not ${show(v)}`);
      return undefined;
    }
    return v;
  };
  const color = (v: unknown, path: string, allowEmpty: boolean): string | undefined => {
    if (v === undefined || (allowEmpty && v === '')) return undefined;
    if (!isHexColor(v)) {
      bad(path, `must be a hex colour (#rrggbb${allowEmpty ? ' or ""' : ''}), not ${show(v)}`);
      return undefined;
    }
    return v;
  };
  const nameValues = (v: unknown, path: string): { name: string; value: string }[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      bad(path, 'must be a list');
      return [];
    }
    const out: { name: string; value: string }[] = [];
    v.forEach((m, i) => {
      if (isObj(m) && 'divider' in m && Object.keys(m).length === 1) {
        bool(m.divider, `${path}[${i}].divider`);
        return;
      }
      if (!isObj(m)) return bad(`${path}[${i}]`, 'must be {name, value} or {divider}');
      const n = str(m.name, `${path}[${i}].name`, true);
      const val = str(m.value, `${path}[${i}].value`, true);
      for (const k of Object.keys(m)) if (k !== 'name' && k !== 'value') bad(`${path}[${i}].${k}`, 'is not a field of a metadata item');
      if (n !== undefined && val !== undefined) out.push({ name: n, value: val });
    });
    return out;
  };
  const links = (v: unknown, path: string): { label: string; url: string }[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      bad(path, 'must be a list');
      return [];
    }
    const out: { label: string; url: string }[] = [];
    v.forEach((m, i) => {
      if (isObj(m) && 'divider' in m && Object.keys(m).length === 1) {
        bool(m.divider, `${path}[${i}].divider`);
        return;
      }
      if (!isObj(m)) return bad(`${path}[${i}]`, 'must be {label, url} or {divider}');
      const l = str(m.label, `${path}[${i}].label`, true);
      const u = str(m.url, `${path}[${i}].url`, true);
      for (const k of Object.keys(m)) if (k !== 'label' && k !== 'url') bad(`${path}[${i}].${k}`, 'is not a field of a link');
      if (l !== undefined && u !== undefined) out.push({ label: l, url: u });
    });
    return out;
  };

  for (const k of Object.keys(root)) if (!ROOT_KEYS.has(k)) warnings.push(`${show(k)} is not a field of the layer format 4.5: ignored`);
  const name = str(root.name, 'name', true);
  if (name === '') bad('name', 'must not be empty');
  const description = str(root.description, 'description');

  let versions: LayerView['versions'] = { layer: '' };
  if (!isObj(root.versions)) bad('versions', root.versions === undefined ? 'is required ({attack, navigator, layer: "4.5"})' : 'must be an object');
  else {
    const layerV = str(root.versions.layer, 'versions.layer', true);
    const attack = str(root.versions.attack, 'versions.attack');
    const navigator = str(root.versions.navigator, 'versions.navigator');
    for (const k of Object.keys(root.versions)) if (!['layer', 'attack', 'navigator'].includes(k)) bad(`versions.${k}`, 'is not a field of versions');
    if (layerV !== undefined) {
      if (/^4\.[0-4]$/.test(layerV)) warnings.push(`layer format ${layerV}: read as 4.5 (the fields are compatible)`);
      else if (layerV !== '4.5') bad('versions.layer', `layer format ${show(layerV)} is not supported (4.5; 4.0-4.4 are read as 4.5)`);
    }
    versions = { layer: layerV ?? '', attack, navigator };
  }
  const domain = str(root.domain, 'domain', true);
  if (domain !== undefined && domain !== 'enterprise-attack')
    bad('domain', ['mobile-attack', 'ics-attack'].includes(domain) ? `${domain} layers cannot be shown on the Enterprise matrix` : `must be enterprise-attack, not ${show(domain)}`);

  if (root.filters !== undefined) {
    if (!isObj(root.filters)) bad('filters', 'must be an object');
    else if (root.filters.platforms !== undefined && (!Array.isArray(root.filters.platforms) || root.filters.platforms.some((p) => typeof p !== 'string'))) bad('filters.platforms', 'must be a list of strings');
  }
  if (root.sorting !== undefined && ![0, 1, 2, 3].includes(root.sorting as number)) bad('sorting', `must be 0, 1, 2 or 3, not ${show(root.sorting)}`);
  if (root.layout !== undefined) {
    if (!isObj(root.layout)) bad('layout', 'must be an object');
    else
      for (const [k, v] of Object.entries(root.layout)) {
        if (!(k in LAYOUT)) bad(`layout.${k}`, 'is not a field of layout');
        else if (typeof v !== LAYOUT[k]) bad(`layout.${k}`, `must be a ${LAYOUT[k]}, not ${show(v)}`);
      }
  }
  for (const k of BOOL_ROOT) bool(root[k], k);
  color(root.tacticRowBackground, 'tacticRowBackground', false);

  let gradient: LayerView['gradient'];
  if (root.gradient !== undefined) {
    const g = root.gradient;
    if (!isObj(g)) bad('gradient', 'must be an object');
    else {
      const cs = Array.isArray(g.colors) ? g.colors : undefined;
      if (!cs || cs.length < 2) bad('gradient.colors', 'must be a list of at least 2 hex colours');
      else cs.forEach((c, i) => color(c, `gradient.colors[${i}]`, false));
      const min = num(g.minValue, 'gradient.minValue');
      const max = num(g.maxValue, 'gradient.maxValue');
      if (g.minValue === undefined) bad('gradient.minValue', 'is required');
      if (g.maxValue === undefined) bad('gradient.maxValue', 'is required');
      for (const k of Object.keys(g)) if (!['colors', 'minValue', 'maxValue'].includes(k)) bad(`gradient.${k}`, 'is not a field of gradient');
      if (cs && cs.every(isHexColor) && min !== undefined && max !== undefined) gradient = { colors: cs as string[], minValue: min, maxValue: max };
    }
  }
  const legendItems: LayerView['legendItems'] = [];
  if (root.legendItems !== undefined) {
    if (!Array.isArray(root.legendItems)) bad('legendItems', 'must be a list');
    else
      root.legendItems.forEach((l, i) => {
        if (!isObj(l)) return bad(`legendItems[${i}]`, 'must be {label, color}');
        const label = str(l.label, `legendItems[${i}].label`, true);
        const c = color(l.color, `legendItems[${i}].color`, false);
        if (l.color === undefined) bad(`legendItems[${i}].color`, 'is required');
        for (const k of Object.keys(l)) if (k !== 'label' && k !== 'color') bad(`legendItems[${i}].${k}`, 'is not a field of a legend item');
        if (label !== undefined && c) legendItems.push({ label, color: c });
      });
  }
  const metadata = nameValues(root.metadata, 'metadata');
  const rootLinks = links(root.links, 'links');

  const techniques: LayerTechnique[] = [];
  if (!Array.isArray(root.techniques)) bad('techniques', root.techniques === undefined ? 'is required (a list, possibly empty)' : 'must be a list');
  else if (root.techniques.length > MAX_LAYER_TECHNIQUES) bad('techniques', `${root.techniques.length} entries, more than the ${MAX_LAYER_TECHNIQUES} accepted`);
  else {
    const unknown = new Set<string>();
    const seen = new Set<string>();
    let dup = 0;
    root.techniques.forEach((t, i) => {
      const p = `techniques[${i}]`;
      if (!isObj(t)) return bad(p, 'must be an object');
      const id = str(t.techniqueID, `${p}.techniqueID`, true);
      if (id !== undefined && !TECH.test(id)) bad(`${p}.techniqueID`, `${show(id)} is not a technique id (T1234 or T1234.001)`);
      const tactic = str(t.tactic, `${p}.tactic`);
      if (tactic !== undefined && !TACTIC.test(tactic)) bad(`${p}.tactic`, `${show(tactic)} is not a tactic shortname (lower case and dashes)`);
      const score = num(t.score, `${p}.score`);
      const c = color(t.color, `${p}.color`, true);
      const comment = str(t.comment, `${p}.comment`);
      const enabled = bool(t.enabled, `${p}.enabled`);
      bool(t.showSubtechniques, `${p}.showSubtechniques`);
      const md = nameValues(t.metadata, `${p}.metadata`);
      const ln = links(t.links, `${p}.links`);
      for (const k of Object.keys(t)) if (!TECH_KEYS.has(k)) unknown.add(k);
      if (id === undefined || !TECH.test(id)) return;
      const key = `${id}|${tactic ?? '*'}`;
      if (seen.has(key)) dup++;
      seen.add(key);
      techniques.push({ techniqueID: id, tactic, score, color: c, comment, enabled: enabled ?? true, metadata: md, links: ln });
    });
    if (unknown.size) warnings.push(`technique field(s) ${[...unknown].slice(0, 10).map(show).join(', ')} are not in the layer format 4.5: ignored`);
    if (dup) warnings.push(`${dup} technique entr${dup === 1 ? 'y repeats' : 'ies repeat'} an earlier one (same technique and tactic): the last one is shown`);
  }
  if (cut) warnings.push(`${cut} text value(s) longer than ${MAX_TEXT} characters were cut`);
  return finish({
    name: name ?? '',
    description,
    domain: domain ?? '',
    versions,
    techniques,
    gradient,
    legendItems,
    metadata,
    links: rootLinks,
    hideDisabled: root.hideDisabled === true,
  });
}

/** Finds a layer's entry for a technique in a tactic column (an entry without tactic applies to all). */
export function layerIndex(layer: LayerView): (id: string, tactic: string) => LayerTechnique | undefined {
  const m = new Map<string, LayerTechnique>();
  for (const t of layer.techniques) m.set(`${t.techniqueID}|${t.tactic ?? '*'}`, t);
  return (id, tactic) => m.get(`${id}|${tactic}`) ?? m.get(`${id}|*`);
}

/** The colour a Navigator would give an entry: its own colour, else its score on the gradient. */
export function layerColor(t: LayerTechnique | undefined, layer: LayerView): string | undefined {
  if (!t) return undefined;
  if (t.color) return t.color;
  if (t.score !== undefined && layer.gradient) return gradientColor(t.score, layer.gradient);
  return undefined;
}

/**
 * The layer on the matrix of `catalogue` (the ATT&CK table the server uses). Entries whose
 * technique is not in the catalogue are returned in `unplaced`.
 */
export function layerMatrix(layer: LayerView, catalogue: readonly CatalogueEntry[]): { columns: MatrixColumn[]; unplaced: LayerTechnique[] } {
  const find = layerIndex(layer);
  const known = new Set(catalogue.map((c) => c.id));
  const columns = buildMatrix(catalogue, (id, tactic) => {
    const t = find(id, tactic);
    const color = layerColor(t, layer);
    return {
      color,
      score: t?.score ?? (t ? 0 : -1),
      label: t ? `score ${t.score ?? '-'}${t.enabled ? '' : ' (disabled)'}` : 'not in the layer',
      dim: t ? !t.enabled : false,
      styleKey: t ? (t.enabled ? 'scored' : 'disabled') : 'absent',
    };
  });
  return { columns, unplaced: layer.techniques.filter((t) => !known.has(t.techniqueID)) };
}
