/**
 * ATT&CK coverage as the console reads it (GET /api/v1/coverage, /coverage/gaps; shapes of
 * src/coverage/coverage.ts and gaps.ts, read loosely) and the heat-map model shared by the
 * coverage view and the Navigator layer view: tactic columns in kill-chain order, one cell per
 * technique with its sub-techniques, a colour and a label per cell. Everything here is plain data;
 * React renders every string as text.
 */

export type CoverageState = 'covered' | 'covered-but-blind' | 'data-without-detection' | 'uncovered';

export interface DetectorView {
  id: string;
  kind: 'sigma' | 'correlation' | 'model' | string;
  title: string;
  file?: string;
  enabled: boolean;
  disabledReason?: string;
  health: string;
  data?: { need: string; label: string; events: number; hosts: number; lastSeen?: number; missingFields?: string[]; probed?: string }[];
  validation?: { tests?: string; firings?: number; replay?: string[] };
  validated?: boolean;
  reason?: string;
}

export interface TechniqueView {
  id: string;
  name: string;
  tactics: string[];
  state: CoverageState;
  detectedBy?: 'rules' | 'baseline' | 'rules+baseline';
  validated: boolean;
  reason: string;
  detectors: DetectorView[];
  dataSources?: { id: string; name: string; events: number; lastSeen: number }[];
  missingDataSources?: { id: string; name: string; enable: string }[];
}

export interface CoverageReportView {
  generatedAt: number;
  window: { from: number; to: number; staleAfterMs: number };
  attack: { version: string; source: string };
  summary: Record<CoverageState, number> & { techniques: number; validated: number; byTactic?: Record<string, Record<CoverageState, number>> };
  techniques: TechniqueView[];
  unknownTechniques?: { id: string; detectors: string[] }[];
  rules?: { loaded: number; enabled: number; correlations: number; problems: { file?: string; line?: number; code: string; message: string }[]; dirs: string[] };
  models?: string[];
  tests?: { rules: number; cases: number; passed: number; failures: number };
  replay?: { at: number; seed: number; hours: number; scenario: string };
  telemetry?: {
    scanned: number;
    excluded: number;
    truncated: boolean;
    exclude: string[];
    sources: { key: string; family: string; format: string; product: string; service: string; category: string; channel: string; eventCode: string; class: string; events: number; hosts: number; first: number; last: number; stale: boolean }[];
    staleHosts: { host: string; family: string; lastSeen: number }[];
  };
}

export interface GapView {
  rank: number;
  technique: string;
  name: string;
  tactics: string[];
  state: string;
  score: number;
  weight?: { campaigns?: string[]; intel?: number; intelSources?: string[]; criticality?: number; criticalHost?: string };
  next: { kind: string; action: string };
  reason: string;
}

export interface GapsReply {
  window?: { from: number; to: number };
  summary?: CoverageReportView['summary'];
  gaps: GapView[];
}

/** ATT&CK Enterprise tactics (shortname as in the Navigator, id, name) in kill-chain order. */
export const MATRIX_TACTICS: [string, string, string][] = [
  ['reconnaissance', 'TA0043', 'Reconnaissance'],
  ['resource-development', 'TA0042', 'Resource Development'],
  ['initial-access', 'TA0001', 'Initial Access'],
  ['execution', 'TA0002', 'Execution'],
  ['persistence', 'TA0003', 'Persistence'],
  ['privilege-escalation', 'TA0004', 'Privilege Escalation'],
  ['defense-evasion', 'TA0005', 'Defense Evasion'],
  ['credential-access', 'TA0006', 'Credential Access'],
  ['discovery', 'TA0007', 'Discovery'],
  ['lateral-movement', 'TA0008', 'Lateral Movement'],
  ['collection', 'TA0009', 'Collection'],
  ['command-and-control', 'TA0011', 'Command and Control'],
  ['exfiltration', 'TA0010', 'Exfiltration'],
  ['impact', 'TA0040', 'Impact'],
];

/**
 * The five coloured states of the coverage layer (src/coverage/navigator.ts STATE_STYLE; a unit
 * test keeps the two equal) plus uncovered.
 */
export const STYLES = {
  validated: { score: 100, color: '#1a9850', label: 'covered, validated (tests, live firing or replayed campaign)' },
  unvalidated: { score: 80, color: '#91cf60', label: 'covered, not validated' },
  baseline: { score: 60, color: '#41b6c4', label: 'covered by a baseline model only' },
  blind: { score: 30, color: '#fc8d59', label: 'covered-but-blind: the rule has no usable telemetry' },
  dataOnly: { score: 15, color: '#fee08b', label: 'data-without-detection: telemetry arrives, nothing detects' },
  uncovered: { score: 0, color: '#ffffff', label: 'uncovered: no detection and no telemetry that reveals it' },
} as const;
export type StyleKey = keyof typeof STYLES;

export function styleKeyOf(t: Pick<TechniqueView, 'state' | 'detectedBy' | 'validated'>): StyleKey {
  if (t.state === 'covered') return t.detectedBy === 'baseline' ? 'baseline' : t.validated ? 'validated' : 'unvalidated';
  if (t.state === 'covered-but-blind') return 'blind';
  if (t.state === 'data-without-detection') return 'dataOnly';
  return 'uncovered';
}

const HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;
export const isHexColor = (c: unknown): c is string => typeof c === 'string' && HEX.test(c);

function rgb(c: string): [number, number, number] {
  const h = c.length === 4 ? c.slice(1).split('').map((x) => x + x).join('') : c.slice(1);
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** Black or white text, whichever reads better on `bg` (a validated hex colour). */
export function inkFor(bg: string | undefined): string {
  if (!bg || !isHexColor(bg)) return '#1b1f24';
  const [r, g, b] = rgb(bg);
  return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? '#1b1f24' : '#ffffff';
}

/** The colour of `score` on a gradient of hex colours over [min, max] (as the Navigator does). */
export function gradientColor(score: number, g: { colors: string[]; minValue: number; maxValue: number }): string | undefined {
  const colors = g.colors.filter(isHexColor);
  if (colors.length === 0 || !Number.isFinite(score)) return undefined;
  if (colors.length === 1 || g.maxValue <= g.minValue) return colors[0];
  const f = Math.min(1, Math.max(0, (score - g.minValue) / (g.maxValue - g.minValue))) * (colors.length - 1);
  const i = Math.min(colors.length - 2, Math.floor(f));
  const a = rgb(colors[i]);
  const b = rgb(colors[i + 1]);
  const t = f - i;
  const mix = a.map((x, k) => Math.round(x + (b[k] - x) * t));
  return '#' + mix.map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** One cell of the heat map. */
export interface MatrixCell {
  id: string;
  name: string;
  /** Background (a validated hex colour) or none. */
  color?: string;
  /** What the colour means (tooltip and screen readers). */
  label: string;
  /** Used for "best of sub-techniques" and sorting. */
  score: number;
  /** Not shown as selected/enabled (a layer's `enabled: false`). */
  dim?: boolean;
  /** The key filters match against (legend state). */
  styleKey?: string;
  subs: MatrixCell[];
}

export interface MatrixColumn {
  tactic: string;
  name: string;
  cells: MatrixCell[];
}

export interface CatalogueEntry {
  id: string;
  name: string;
  tactics: string[];
}

/**
 * Columns in kill-chain order with one cell per parent technique (its sub-techniques inside),
 * from a catalogue (id, name, tactics) and a per-(technique, tactic) paint function. Tactics not
 * in the Enterprise list are appended after it.
 */
export function buildMatrix(catalogue: readonly CatalogueEntry[], paint: (id: string, tactic: string) => Omit<MatrixCell, 'id' | 'name' | 'subs'>): MatrixColumn[] {
  const order = new Map(MATRIX_TACTICS.map(([s], i) => [s, i]));
  const cols = new Map<string, MatrixColumn>();
  const col = (t: string) => {
    let c = cols.get(t);
    if (!c) cols.set(t, (c = { tactic: t, name: MATRIX_TACTICS.find((x) => x[0] === t)?.[2] ?? t, cells: [] }));
    return c;
  };
  const parents = catalogue.filter((t) => !t.id.includes('.'));
  const subsOf = new Map<string, CatalogueEntry[]>();
  for (const t of catalogue)
    if (t.id.includes('.')) {
      const p = t.id.split('.')[0];
      subsOf.set(p, [...(subsOf.get(p) ?? []), t]);
    }
  for (const p of parents)
    for (const tactic of p.tactics) {
      const subs = (subsOf.get(p.id) ?? []).filter((s) => s.tactics.includes(tactic)).map((s) => ({ id: s.id, name: s.name, subs: [], ...paint(s.id, tactic) }));
      col(tactic).cells.push({ id: p.id, name: p.name, subs, ...paint(p.id, tactic) });
    }
  for (const c of cols.values()) c.cells.sort((a, b) => a.name.localeCompare(b.name));
  return [...cols.values()].sort((a, b) => (order.get(a.tactic) ?? 99) - (order.get(b.tactic) ?? 99) || a.tactic.localeCompare(b.tactic));
}

/** The matrix of a coverage report: each technique coloured by its state. */
export function coverageMatrix(r: CoverageReportView): MatrixColumn[] {
  const by = new Map(r.techniques.map((t) => [t.id, t]));
  return buildMatrix(r.techniques, (id) => {
    const t = by.get(id)!;
    const k = styleKeyOf(t);
    const st = STYLES[k];
    return { color: k === 'uncovered' ? undefined : st.color, label: `${t.state}${t.detectedBy ? ` (${t.detectedBy})` : ''}${t.state === 'covered' ? (t.validated ? ', validated' : ', not validated') : ''}`, score: st.score, styleKey: k };
  });
}

/** The best (highest-score) of a cell and its sub-techniques: the Navigator's `max` aggregate. */
export function bestOf(c: MatrixCell): MatrixCell {
  let b = c;
  for (const s of c.subs) if (s.score > b.score) b = s;
  return b;
}

/** Case-insensitive id/name match used by the search box. */
export function matches(c: Pick<MatrixCell, 'id' | 'name'>, q: string): boolean {
  if (!q) return true;
  const s = q.toLowerCase();
  return c.id.toLowerCase().includes(s) || c.name.toLowerCase().includes(s);
}
