/**
 * Operations: ingest health per source (from /metrics: events/s, stored, rejects by code, queue),
 * readiness, detector status (rules loaded/rejected, baselines' learning state, intel feeds), the
 * response policy, ATT&CK coverage and the audit log.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { get } from '../api';
import { Section, Unavailable, useApi } from '../components/common';
import { VirtualList } from '../components/VirtualList';
import { navigate } from '../router';
import { downloadJson, fmtAgo, fmtDuration, fmtTime, text } from '../util';

/** Prometheus text → samples {name, labels, value}. */
export function parseMetrics(s: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of s.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, '$1');
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

interface SourceRow {
  source: string;
  received: number;
  stored: number;
  duplicates: number;
  rejected: number;
  rejectsByCode: Record<string, number>;
  busy: number;
  rate?: number;
  lastSeen?: number;
}

type Sample = { name: string; labels: Record<string, string>; value: number };
type IngestState = { rows?: SourceRow[]; queue?: { events: number; bytes: number }; samples?: Sample[]; error?: string };

function useIngest(): IngestState {
  const [state, setState] = useState<IngestState>({});
  const prev = useRef<{ at: number; stored: Map<string, number>; lastSeen: Map<string, number> }>({ at: 0, stored: new Map(), lastSeen: new Map() });
  useEffect(() => {
    let stop = false;
    const poll = async () => {
      try {
        const res = await fetch('/metrics', { credentials: 'same-origin', cache: 'no-store' });
        if (!res.ok) throw new Error(res.status === 404 ? 'metrics are disabled on this server (metrics.enabled)' : `HTTP ${res.status}`);
        const samples = parseMetrics(await res.text());
        const now = Date.now();
        const by = new Map<string, SourceRow>();
        const row = (s: string) => by.get(s) ?? (by.set(s, { source: s, received: 0, stored: 0, duplicates: 0, rejected: 0, rejectsByCode: {}, busy: 0 }), by.get(s)!);
        let queue = { events: 0, bytes: 0 };
        for (const x of samples) {
          const src = x.labels.source;
          if (x.name === 'garrison_events_received_total') row(src).received += x.value;
          else if (x.name === 'garrison_events_stored_total') row(src).stored += x.value;
          else if (x.name === 'garrison_events_duplicate_total') row(src).duplicates += x.value;
          else if (x.name === 'garrison_events_rejected_total') {
            const r = row(src);
            r.rejected += x.value;
            r.rejectsByCode[x.labels.code ?? '?'] = (r.rejectsByCode[x.labels.code ?? '?'] ?? 0) + x.value;
          } else if (x.name === 'garrison_ingest_busy_total') row(src).busy += x.value;
          else if (x.name === 'garrison_ingest_queue_events') queue.events = x.value;
          else if (x.name === 'garrison_ingest_queue_bytes') queue = { ...queue, bytes: x.value };
        }
        const p = prev.current;
        for (const r of by.values()) {
          const before = p.stored.get(r.source);
          if (before !== undefined && p.at) r.rate = ((r.stored + r.duplicates - before) * 1000) / (now - p.at);
          if (before !== undefined && r.stored + r.duplicates > before) p.lastSeen.set(r.source, now);
          r.lastSeen = p.lastSeen.get(r.source);
          p.stored.set(r.source, r.stored + r.duplicates);
        }
        p.at = now;
        if (!stop) setState({ rows: [...by.values()].sort((a, b) => a.source.localeCompare(b.source)), queue, samples });
      } catch (e) {
        if (!stop) setState((s) => ({ ...s, error: (e as Error).message }));
      }
    };
    void poll();
    const t = setInterval(poll, 5000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);
  return state;
}

/** Any JSON as an inert tree of text. */
export function Tree({ v, depth = 0 }: { v: unknown; depth?: number }): ReactNode {
  if (v === null || v === undefined) return <span className="muted">-</span>;
  if (typeof v !== 'object') return <span>{text(v, 2000)}</span>;
  if (depth > 6) return <span className="muted">{text(v, 200)}</span>;
  if (Array.isArray(v)) {
    if (v.length === 0) return <span className="muted">[]</span>;
    if (v.every((x) => x === null || typeof x !== 'object')) return <span>{v.slice(0, 100).map((x) => text(x, 200)).join(', ')}{v.length > 100 ? ` … (+${v.length - 100})` : ''}</span>;
    return (
      <ol className="tree">
        {v.slice(0, 200).map((x, i) => (
          <li key={i}>
            <Tree v={x} depth={depth + 1} />
          </li>
        ))}
        {v.length > 200 && <li className="muted">… {v.length - 200} more</li>}
      </ol>
    );
  }
  const entries = Object.entries(v as Record<string, unknown>).slice(0, 200);
  return (
    <dl className="tree">
      {entries.map(([k, x]) => (
        <div key={k} className="tree-row">
          <dt>{text(k, 100)}</dt>
          <dd>
            <Tree v={x} depth={depth + 1} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

interface RuleTests {
  rules?: number;
  cases?: number;
  passed?: number;
  failures?: unknown[];
  ok?: boolean;
  perRule?: { id: string; title?: string; kind?: string; status?: string; cases?: number; passed?: number; file?: string }[];
  rejected?: unknown[];
}

const sum = (xs: Sample[] | undefined, name: string, by?: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const x of xs ?? []) if (x.name === name) out[by ? (x.labels[by] ?? '?') : 'total'] = (out[by ? (x.labels[by] ?? '?') : 'total'] ?? 0) + x.value;
  return out;
};
const kv = (o: Record<string, number>) => (Object.keys(o).length ? Object.entries(o).map(([k, v]) => `${k} ${v}`).join(' · ') : '-');

/** GET /api/v1/detectors/status (src/surface/server/detectors-status.ts), read loosely. */
interface DetectorStatusView {
  generatedAt?: number;
  engine?: { enabled?: boolean; running?: boolean; ready?: boolean; source?: 'engine' | 'store'; checkpoint?: { position: number; watermark: number; at: number } };
  sigma?: {
    enabled?: boolean;
    source?: string;
    builtin?: boolean;
    paths?: string[];
    files?: number;
    rules?: number;
    correlations?: number;
    filters?: number;
    rejected?: number;
    problemCount?: number;
    problems?: { code: string; message: string; file?: string; line?: number }[];
    perRule?: { id: string; title: string; level: string; file?: string; techniques?: string[] }[];
    error?: { code: string; message: string };
  };
  baselines?: {
    enabled?: boolean;
    source?: 'engine' | 'store' | 'none';
    watermark?: number;
    feedback?: number;
    models?: { name: string; description?: string; enabled: boolean; learningMs: number; state: string; learningUntil?: number; entities: number; tenants?: { tenant: string; startedAt?: number; learningUntil?: number; state: string }[] }[];
    error?: { code: string; message: string };
  };
  intel?: { enabled?: boolean; indicators?: number; feeds?: { id: string; source: string; format: string; indicators: number; problems: number; skipped?: number; origin?: string; updatedAt?: number }[] };
}

const where = (p: { file?: string; line?: number }) => (p.file ? `${p.file}${p.line ? `:${p.line}` : ''}` : '');

function learningText(m: NonNullable<NonNullable<DetectorStatusView['baselines']>['models']>[number], watermark?: number): string {
  if (m.state === 'disabled') return 'not enabled';
  if (m.state === 'not-started') return 'no event seen yet';
  if (m.state === 'learning') return `learning until ${fmtTime(m.learningUntil)}${watermark !== undefined && m.learningUntil !== undefined ? ` (${fmtDuration(m.learningUntil - watermark)} of event time to go)` : ''}`;
  if (m.state === 'ready') return `ready since ${fmtTime(m.learningUntil)}`;
  return text(m.state, 30);
}

/** Baseline models and their learning state (learning is counted in event time, as the models count it). */
function Baselines({ b }: { b: NonNullable<DetectorStatusView['baselines']> }) {
  const src = b.source === 'engine' ? 'from the running engine' : b.source === 'store' ? "from the engine's last checkpoint in the store" : 'no saved baseline state yet';
  return (
    <div data-testid="baselines">
      <p className="small muted">
        {b.enabled === false ? 'Baselines are switched off (engine.baselines.enabled).' : src}
        {b.watermark ? ` · newest event time seen ${fmtTime(b.watermark)}` : ''}
        {b.feedback ? ` · ${b.feedback} analyst feedback pattern(s)` : ''}
      </p>
      {b.error && (
        <div className="error small">
          saved state unreadable: {text(b.error.code, 60)}: {text(b.error.message, 600)}
        </div>
      )}
      <table className="grid">
        <thead>
          <tr>
            <th>model</th>
            <th>state</th>
            <th>learning period</th>
            <th>entities</th>
          </tr>
        </thead>
        <tbody>
          {(b.models ?? []).map((m) => (
            <tr key={m.name} data-testid="baseline-row" data-model={m.name} data-state={m.state}>
              <td>
                <strong>{text(m.name, 40)}</strong>
                <div className="muted small">{text(m.description, 200)}</div>
              </td>
              <td>
                <span className={`badge learn-${String(m.state).replace(/[^a-z-]/g, '')}`}>{text(m.state, 20)}</span>
                <div className="small">{learningText(m, b.watermark)}</div>
                {(m.tenants?.length ?? 0) > 1 && <div className="muted small">{m.tenants!.map((t) => `${text(t.tenant, 40)}: ${text(t.state, 20)}`).join(' · ')}</div>}
              </td>
              <td>{fmtDuration(m.learningMs)}</td>
              <td>{m.entities}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Detectors: GET /api/v1/detectors/status (Sigma rules loaded and rejected, baselines' learning
 * state, intel feeds), the rules' self-tests (GET /api/v1/rules/tests) and engine counters (/metrics).
 * On a server without /detectors/status the rule tests stand alone and baselines say "not available".
 */
function Detectors({ samples }: { samples?: Sample[] }) {
  const status = useApi<DetectorStatusView>('/api/v1/detectors/status');
  const tests = useFirst(['/api/v1/rules/tests']);
  const t = tests.data as RuleTests | undefined;
  const perRule = t?.perRule ?? [];
  const failing = perRule.filter((r) => r.status !== 'passed');
  const d = status.data;
  const sg = d?.sigma;
  return (
    <section className="panel" data-testid="detectors">
      <header>
        <h2>Detectors</h2>
        {d?.engine && (
          <span className="muted small" data-testid="engine-state">
            engine {d.engine.enabled === false ? 'switched off' : d.engine.running ? (d.engine.ready ? 'running' : 'starting') : 'not running in this server'}
            {d.engine.checkpoint ? ` · last checkpoint ${fmtAgo(d.engine.checkpoint.at)} (position ${d.engine.checkpoint.position})` : ''}
          </span>
        )}
      </header>
      <h3>Sigma rules</h3>
      {sg ? (
        <div data-testid="sigma-status">
          {sg.enabled === false ? (
            <p className="muted">Sigma detection is switched off (engine.sigma.enabled).</p>
          ) : (
            <p>
              <strong>{sg.rules ?? 0}</strong> rule(s) loaded, {sg.correlations ?? 0} correlation(s), {sg.filters ?? 0} filter(s) from {sg.files ?? 0} file(s) ·{' '}
              <span className={sg.rejected ? 'error' : ''}>
                {sg.rejected ?? 0} rejected ({sg.problemCount ?? 0} problem{sg.problemCount === 1 ? '' : 's'})
              </span>
              <span className="muted small">
                {' '}
                · {sg.builtin ? 'built-in pack' : 'no built-in pack'}
                {sg.paths?.length ? ` + ${sg.paths.map((x) => text(x, 120)).join(', ')}` : ''} · {sg.source === 'engine' ? 'as the engine loaded them' : 'loaded from the engine configuration'}
              </span>
            </p>
          )}
          {sg.error && (
            <div className="error small">
              {text(sg.error.code, 60)}: {text(sg.error.message, 600)}
            </div>
          )}
          {(sg.problems ?? []).length > 0 && (
            <div className="scrollbox">
              <ul className="plain small" data-testid="rule-problems">
                {(sg.problems ?? []).map((p, i) => (
                  <li key={i} className="error">
                    <code>{text(where(p), 300)}</code> {text(p.code, 60)}: {text(p.message, 800)}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </div>
      ) : status.error ? (
        <Unavailable what="Detector status" error={status.error} />
      ) : (
        <div className="muted">loading…</div>
      )}
      {tests.data !== undefined && Array.isArray(t?.perRule) ? (
        <div>
          <p className="small">
            self-tests {t?.passed ?? '?'}/{t?.cases ?? '?'} passed · {failing.length} rule(s) failing their tests
            {Array.isArray(t?.failures) && t!.failures!.length ? ` · ${t!.failures!.length} load problem(s)` : ''}
          </p>
          <div className="scrollbox">
            <table className="grid">
              <tbody>
                {[...failing, ...perRule.filter((r) => r.status === 'passed')].slice(0, 2000).map((r) => (
                  <tr key={r.id}>
                    <td>{text(r.title ?? r.id, 120)}</td>
                    <td className="muted small">{text(r.kind, 20)}</td>
                    <td className={r.status === 'passed' ? 'muted small' : 'error small'}>
                      {text(r.status, 20)} {r.passed ?? '?'}/{r.cases ?? '?'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : tests.data !== undefined ? (
        <div className="scrollbox">
          <Tree v={tests.data} />
        </div>
      ) : tests.error ? (
        <Unavailable what="Rule self-tests" error={tests.error} />
      ) : (
        <div className="muted">loading…</div>
      )}
      <h3>Engine</h3>
      {samples ? (
        <dl className="tree">
          <div className="tree-row"><dt>events processed</dt><dd>{kv(sum(samples, 'garrison_engine_events_total'))}</dd></div>
          <div className="tree-row"><dt>backlog</dt><dd>{kv(sum(samples, 'garrison_engine_backlog_events'))}</dd></div>
          <div className="tree-row"><dt>signals by kind</dt><dd>{kv(sum(samples, 'garrison_signals_total', 'kind'))}</dd></div>
          <div className="tree-row"><dt>incident changes</dt><dd>{kv(sum(samples, 'garrison_engine_incidents_total', 'kind'))}</dd></div>
          <div className="tree-row"><dt>verdicts</dt><dd>{kv(sum(samples, 'garrison_engine_verdicts_total', 'verdict'))}</dd></div>
          <div className="tree-row"><dt>stage errors</dt><dd>{kv(sum(samples, 'garrison_engine_errors_total', 'stage'))}</dd></div>
        </dl>
      ) : (
        <div className="muted">engine metrics not available</div>
      )}
      <h3>Baselines</h3>
      {d?.baselines ? <Baselines b={d.baselines} /> : status.error ? <Unavailable what="Baseline learning state" error={status.error} /> : <div className="muted">loading…</div>}
      <h3>Threat intel feeds</h3>
      {d?.intel ? (
        d.intel.feeds?.length ? (
          <table className="grid" data-testid="intel-feeds">
            <thead>
              <tr>
                <th>feed</th>
                <th>format</th>
                <th>indicators</th>
                <th>problems</th>
                <th>updated</th>
              </tr>
            </thead>
            <tbody>
              {d.intel.feeds.map((f) => (
                <tr key={f.id}>
                  <td>
                    {text(f.source, 120)}
                    <div className="muted small">{text(f.origin, 200)}</div>
                  </td>
                  <td>{text(f.format, 20)}</td>
                  <td>{f.indicators}</td>
                  <td className={f.problems ? 'error' : ''}>{f.problems}</td>
                  <td>{fmtTime(f.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <div className="muted small">no feed loaded{d.intel.enabled === false ? ' (the intel stage is switched off)' : ' (garrison intel load, or POST /api/v1/intel/feeds)'}</div>
        )
      ) : status.error ? (
        <Unavailable what="Intel feeds" error={status.error} />
      ) : (
        <div className="muted">loading…</div>
      )}
    </section>
  );
}

interface PolicyReply {
  name?: string;
  version?: string | number;
  file?: string;
  dryRun?: boolean;
  killSwitch?: { on?: boolean; by?: string; reason?: string } | boolean;
  policy?: {
    description?: string;
    rules?: { id: string; description?: string; match?: Record<string, unknown>; mode?: string; approvals?: number; ttl?: unknown }[];
    limits?: { action: string; max: number; per: number }[];
    protect?: Record<string, unknown>;
    ttl?: { default?: number; max?: number };
    [k: string]: unknown;
  };
}

/** The response policy: rules in order (first match decides), limits, protected assets. */
function PolicyView({ p }: { p: PolicyReply }) {
  const pol = p.policy;
  if (!pol || !Array.isArray(pol.rules)) return <Tree v={p} />;
  const ks = typeof p.killSwitch === 'object' ? p.killSwitch?.on : p.killSwitch;
  const matchText = (m: Record<string, unknown> | undefined) =>
    Object.entries(m ?? {})
      .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((x) => text(x, 40)).join(', ') : text(v, 80)}`)
      .join(' · ');
  return (
    <div>
      <p>
        <strong>{text(p.name, 80)}</strong> v{text(p.version, 20)} · {text(p.file, 200)}
        {p.dryRun ? <span className="badge action-suggested"> dry run</span> : null}
        {ks ? <span className="badge action-failed"> kill switch ON</span> : null}
      </p>
      {pol.description && <p className="muted">{text(pol.description, 1000)}</p>}
      <h3>Rules (first match decides)</h3>
      <table className="grid">
        <thead>
          <tr>
            <th>rule</th>
            <th>matches</th>
            <th>mode</th>
          </tr>
        </thead>
        <tbody>
          {pol.rules.map((r) => (
            <tr key={r.id}>
              <td>
                <strong>{text(r.id, 60)}</strong>
                <div className="muted small">{text(r.description, 300)}</div>
              </td>
              <td className="small">{matchText(r.match) || 'everything'}</td>
              <td>
                {text(r.mode, 20)}
                {r.approvals ? ` (${r.approvals} approvals)` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {Array.isArray(pol.limits) && pol.limits.length > 0 && (
        <>
          <h3>Rate limits</h3>
          <div className="small">{pol.limits.map((l) => `${text(l.action, 30)}: ${l.max} per ${Math.round(l.per / 60000)} min`).join(' · ')}</div>
        </>
      )}
      {pol.protect && (
        <>
          <h3>Never touched</h3>
          <Tree v={pol.protect} />
        </>
      )}
      {pol.ttl && (
        <div className="small muted">
          TTL default {Math.round((pol.ttl.default ?? 0) / 3600000)} h, at most {Math.round((pol.ttl.max ?? 0) / 3600000)} h
        </div>
      )}
    </div>
  );
}

interface AuditView {
  seq: number;
  time: number;
  actor: string;
  action: string;
  target: string | null;
  doc: Record<string, unknown>;
}

/** First endpoint of `paths` that answers (detector status lives where the engine exposes it). */
function useFirst(paths: string[]): { data?: unknown; path?: string; error?: Error; loading: boolean } {
  const [s, setS] = useState<{ data?: unknown; path?: string; error?: Error; loading: boolean }>({ loading: true });
  const key = paths.join('|');
  useEffect(() => {
    let stop = false;
    (async () => {
      let last: Error | undefined;
      for (const p of key.split('|')) {
        try {
          const d = await get<unknown>(p);
          if (!stop) setS({ data: d, path: p, loading: false });
          return;
        } catch (e) {
          last = e as Error;
        }
      }
      if (!stop) setS({ error: last, loading: false });
    })();
    return () => {
      stop = true;
    };
  }, [key]);
  return s;
}

const AUDIT_PAGE = 10_000;
const AUDIT_KEEP = 20_000;

/** The audit log is served oldest first in pages (afterSeq): read to the end, keep the newest. */
function useAudit(): { data?: AuditView[]; error?: Error; loading: boolean; reload: () => void } {
  const [s, setS] = useState<{ data?: AuditView[]; error?: Error; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    (async () => {
      let after: number | undefined;
      let all: AuditView[] = [];
      for (let page = 0; page < 100; page++) {
        const r = await get<{ entries?: AuditView[]; nextAfterSeq?: number }>(`/api/v1/audit?limit=${AUDIT_PAGE}${after !== undefined ? `&afterSeq=${after}` : ''}`, ac.signal);
        all = all.concat(r.entries ?? []);
        if (all.length > AUDIT_KEEP) all = all.slice(all.length - AUDIT_KEEP);
        if (r.nextAfterSeq === undefined || r.nextAfterSeq === after) break;
        after = r.nextAfterSeq;
      }
      setS({ data: all, loading: false });
    })().catch((e: Error) => e.name !== 'AbortError' && setS({ error: e, loading: false }));
    return () => ac.abort();
  }, [n]);
  return { ...s, reload: () => setN((x) => x + 1) };
}

export function Operations() {
  const ingest = useIngest();
  const ready = useApi<unknown>('/readyz');
  const policy = useApi<unknown>('/api/v1/policy');
  const coverage = useApi<unknown>('/api/v1/coverage/navigator');
  const audit = useAudit();
  const verify = useApi<{ ok: boolean; entries: number; brokenAt?: number }>('/api/v1/audit/verify');
  const auditRows = useMemo(() => [...(audit.data ?? [])].reverse(), [audit.data]);
  const cov = coverage.data as { techniques?: { score?: number }[]; name?: string } | undefined;
  return (
    <div className="ops">
      <section className="panel">
        <header>
          <h2>Ingest health per source</h2>
          {ingest.queue && (
            <span className="muted small">
              queue {ingest.queue.events} events / {Math.round(ingest.queue.bytes / 1024)} KiB
            </span>
          )}
        </header>
        {ingest.error && !ingest.rows ? (
          <div className="unavailable">Ingest metrics: not available ({ingest.error})</div>
        ) : (
          <table className="grid" data-testid="ingest">
            <thead>
              <tr>
                <th>source</th>
                <th>events/s</th>
                <th>received</th>
                <th>stored</th>
                <th>duplicates</th>
                <th>rejects</th>
                <th>queue full</th>
                <th>last seen</th>
              </tr>
            </thead>
            <tbody>
              {(ingest.rows ?? []).map((r) => (
                <tr key={r.source}>
                  <td>{text(r.source, 80)}</td>
                  <td>{r.rate === undefined ? '…' : r.rate.toFixed(1)}</td>
                  <td>{r.received}</td>
                  <td>{r.stored}</td>
                  <td>{r.duplicates}</td>
                  <td title={Object.entries(r.rejectsByCode).map(([c, n]) => `${c}: ${n}`).join('\n')}>
                    {r.rejected}
                    {r.rejected ? <span className="muted small"> ({Object.entries(r.rejectsByCode).map(([c, n]) => `${text(c, 40)} ${n}`).join(', ')})</span> : null}
                  </td>
                  <td>{r.busy}</td>
                  <td>{r.lastSeen ? fmtAgo(r.lastSeen) : r.stored ? 'before this page opened' : 'never'}</td>
                </tr>
              ))}
              {ingest.rows?.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted">
                    nothing received since the server started
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        )}
      </section>
      <div className="grid2">
        <Section title="Readiness" state={ready}>
          {(d) => <Tree v={d} />}
        </Section>
        <Detectors samples={ingest.samples} />
      </div>
      <div className="grid2">
        <Section title="Response policy" state={policy}>
          {(d) => (
            <div className="policy" data-testid="policy">
              <PolicyView p={d as PolicyReply} />
            </div>
          )}
        </Section>
        <Section title="ATT&CK coverage" state={coverage}>
          {() => (
            <div data-testid="ops-coverage">
              <p>
                {text(cov?.name, 200)} · {cov?.techniques?.filter((t) => (t.score ?? 0) > 0).length ?? 0} of {cov?.techniques?.length ?? 0} technique(s) with detection or telemetry
              </p>
              <div className="inline">
                <a
                  href="/coverage"
                  onClick={(e) => {
                    e.preventDefault();
                    navigate('/coverage');
                  }}
                >
                  Open the coverage heat map
                </a>
                <button className="secondary" onClick={() => downloadJson(coverage.data, `garrison-coverage-layer-${new Date().toISOString().slice(0, 10)}.json`)}>
                  Download ATT&amp;CK Navigator layer
                </button>
              </div>
            </div>
          )}
        </Section>
      </div>
      <Section
        title={`Audit log${audit.data ? ` (newest ${auditRows.length})` : ''}`}
        state={audit}
        actions={
          verify.data ? (
            <span className={verify.data.ok ? 'badge action-completed' : 'badge action-failed'} data-testid="audit-verify">
              {verify.data.ok ? `hash chain intact (${verify.data.entries} entries)` : `hash chain broken at seq ${verify.data.brokenAt}`}
            </span>
          ) : null
        }
      >
        {() => (
          <div className="etable">
            <div className="arow ehead">
              <span>seq</span>
              <span>time</span>
              <span>actor</span>
              <span>action</span>
              <span>target</span>
              <span>detail</span>
            </div>
            <VirtualList
              items={auditRows}
              rowHeight={28}
              height="40vh"
              label="audit log"
              testId="audit"
              render={(a) => (
                <div className="arow">
                  <span>{a.seq}</span>
                  <span>{fmtTime(a.time)}</span>
                  <span>{text(a.actor, 60)}</span>
                  <span>{text(a.action, 60)}</span>
                  <span>{text(a.target, 80)}</span>
                  <span className="c-raw">{text(a.doc, 400)}</span>
                </div>
              )}
            />
          </div>
        )}
      </Section>
    </div>
  );
}
