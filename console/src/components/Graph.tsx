/**
 * The incident's entities drawn as an SVG graph: one column per kind (users, hosts, processes,
 * files/hashes/registry, network), edges between entities that share a signal, and process
 * lineage (parent → child) from the signals' process entities. Labels are SVG <text> (inert).
 */
import { useMemo, useState } from 'react';
import type { IncidentEntity } from '../../../src/core/incident';
import type { Signal } from '../../../src/core/signal';
import { text } from '../util';

const COLUMNS: { title: string; kinds: string[] }[] = [
  { title: 'users', kinds: ['user', 'cloud_identity'] },
  { title: 'hosts', kinds: ['host'] },
  { title: 'processes', kinds: ['process'] },
  { title: 'files', kinds: ['file', 'hash', 'registry'] },
  { title: 'network', kinds: ['ip', 'domain', 'url'] },
];
const MAX_PER_COLUMN = 25;
const COL_W = 220;
const ROW_H = 34;
const MAX_EDGES = 400;

interface Node {
  key: string;
  kind: string;
  /** Full value (matching, tooltip); label is what fits in the box. */
  full: string;
  label: string;
  role?: string;
  x: number;
  y: number;
  signals: Set<string>;
}

const norm = (s: unknown) => String(s ?? '').toLowerCase();
const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;

export function EntityGraph({ entities, signals }: { entities: IncidentEntity[]; signals: Signal[] }) {
  const [hover, setHover] = useState<string>();
  const { nodes, edges, hidden, height } = useMemo(() => {
    const nodes: Node[] = [];
    const byKey = new Map<string, Node>();
    const hidden: Record<string, number> = {};
    let rows = 1;
    COLUMNS.forEach((col, ci) => {
      const list = entities.filter((e) => col.kinds.includes(e.kind)).sort((a, b) => (b.signalIds?.length ?? 0) - (a.signalIds?.length ?? 0));
      list.slice(0, MAX_PER_COLUMN).forEach((e, i) => {
        const full = String(e.display ?? e.value ?? '');
        const short = e.kind === 'process' || e.kind === 'file' ? baseName(full) : full;
        const n: Node = { key: `${e.kind}:${norm(e.value)}`, kind: e.kind, full, label: text(short, 26), role: e.role, x: 20 + ci * COL_W, y: 40 + i * ROW_H, signals: new Set(e.signalIds ?? []) };
        if (byKey.has(n.key)) return;
        byKey.set(n.key, n);
        nodes.push(n);
      });
      if (list.length > MAX_PER_COLUMN) hidden[col.title] = list.length - MAX_PER_COLUMN;
      rows = Math.max(rows, Math.min(list.length, MAX_PER_COLUMN));
    });
    const edges: { a: Node; b: Node; lineage: boolean }[] = [];
    const seen = new Set<string>();
    const add = (a: Node | undefined, b: Node | undefined, lineage: boolean) => {
      if (!a || !b || a === b) return;
      const k = a.key < b.key ? `${a.key}|${b.key}` : `${b.key}|${a.key}`;
      if (seen.has(k)) return;
      seen.add(k);
      edges.push({ a, b, lineage });
    };
    // Lineage: parent process → process, from the signals' entities.
    const procByName = (image: string | undefined) => {
      if (!image) return undefined;
      const want = norm(baseName(image));
      return nodes.find((n) => n.kind === 'process' && norm(n.full) === norm(image)) ?? nodes.find((n) => n.kind === 'process' && norm(baseName(n.full)) === want);
    };
    for (const s of signals) {
      const p = s.entities?.process;
      if (p?.parent?.image && p.image) add(procByName(p.parent.image), procByName(p.image), true);
    }
    // Co-occurrence in a signal (at most MAX_EDGES, adjacent columns first).
    if (nodes.length <= 150) {
      const pairs: [Node, Node][] = [];
      // Adjacent columns, plus host ↔ anything (which host a file, address or domain belongs to).
      for (const a of nodes) for (const b of nodes) if (a.key < b.key && a.x !== b.x && (Math.abs(a.x - b.x) === COL_W || a.kind === 'host' || b.kind === 'host')) pairs.push([a, b]);
      pairs.sort((p, q) => Math.abs(p[0].x - p[1].x) - Math.abs(q[0].x - q[1].x));
      for (const [a, b] of pairs) {
        if (edges.length >= MAX_EDGES) break;
        for (const sid of a.signals)
          if (b.signals.has(sid)) {
            add(a, b, false);
            break;
          }
      }
    }
    return { nodes, edges, hidden, height: 60 + rows * ROW_H };
  }, [entities, signals]);

  if (nodes.length === 0) return <div className="muted">no entities</div>;
  const width = 20 + COLUMNS.length * COL_W;
  const hot = (n: Node) => hover === n.key || edges.some((e) => (e.a.key === hover && e.b === n) || (e.b.key === hover && e.a === n));
  return (
    <div className="graph-wrap">
      <svg className="graph" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label="entity graph" data-testid="entity-graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="arrowhead" />
          </marker>
        </defs>
        {COLUMNS.map((c, i) => (
          <text key={c.title} x={20 + i * COL_W} y={18} className="col-title">
            {c.title}
            {hidden[c.title] ? ` (+${hidden[c.title]} more)` : ''}
          </text>
        ))}
        {edges.map((e, i) => {
          const [a, b] = e.lineage && e.a.y > e.b.y && e.a.x === e.b.x ? [e.a, e.b] : [e.a, e.b];
          const active = hover !== undefined && (a.key === hover || b.key === hover);
          if (a.x === b.x) {
            const mx = a.x + 190;
            return <path key={i} d={`M ${a.x + 170} ${a.y} C ${mx} ${a.y}, ${mx} ${b.y}, ${b.x + 170} ${b.y}`} className={`edge ${e.lineage ? 'lineage' : ''} ${active ? 'active' : ''}`} markerEnd={e.lineage ? 'url(#arrow)' : undefined} />;
          }
          const [l, r] = a.x < b.x ? [a, b] : [b, a];
          const far = r.x - l.x > COL_W;
          // Edges that skip a column curve below the rows so they do not run through the boxes between.
          const d = far ? `M ${l.x + 170} ${l.y} C ${l.x + 170 + 40} ${l.y + 30}, ${r.x - 40} ${r.y + 30}, ${r.x} ${r.y}` : `M ${l.x + 170} ${l.y} L ${r.x} ${r.y}`;
          return <path key={i} d={d} className={`edge ${far ? 'far' : ''} ${e.lineage ? 'lineage' : ''} ${active ? 'active' : ''}`} markerEnd={e.lineage ? 'url(#arrow)' : undefined} />;
        })}
        {nodes.map((n) => (
          <g key={n.key} transform={`translate(${n.x},${n.y})`} className={`node k-${n.kind} ${hot(n) ? 'hot' : ''}`} onMouseEnter={() => setHover(n.key)} onMouseLeave={() => setHover(undefined)}>
            <rect x={0} y={-12} width={170} height={24} rx={5} />
            <text x={8} y={4}>
              {n.label}
            </text>
            <title>{`${n.kind}${n.role ? ` (${n.role})` : ''}: ${text(n.full, 300)} — ${n.signals.size} signal(s)`}</title>
          </g>
        ))}
      </svg>
    </div>
  );
}
