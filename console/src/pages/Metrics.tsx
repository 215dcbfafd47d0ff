/**
 * Metrics: the outcome report (GET /api/v1/metrics/report) — attack surface with its change since
 * the previous daily snapshot and its daily history, and the operating figures (mean times,
 * automation share, analyst hours saved, coverage gaps per week) as simple SVG bar charts.
 * Every value is rendered as text (React text nodes and SVG <text>), never as HTML.
 */
import { useState } from 'react';
import { qs } from '../api';
import { Section, useApi } from '../components/common';
import { fmtDuration, fmtTime, text } from '../util';

type Counts = Record<string, number>;
interface Dur {
  n: number;
  meanMs?: number;
  medianMs?: number;
}
interface ReportView {
  window: { from: number; to: number };
  surface: {
    scanned: number;
    truncated: boolean;
    counts: Counts;
    delta: { previousDay?: string; counts: Counts; added: Record<string, string[]>; removed: Record<string, string[]> };
    history: { day: string; counts: Counts }[];
    exposedServices: { host: string; ip: string; port: number; protocol?: string; connections: number; sources: number; lastSeen: number; seenBy: string[]; criticality?: string }[];
    missingTelemetry: { host: string; role: string; criticality: string }[];
    staleAgents: { host: string; family: string; lastSeen: number }[];
    privilegedAccounts: { account: string; reason: string; logons: number; workstations: number; hosts: { host: string; logons: number; role?: string }[] }[];
    noMfa: { account: string; singleFactor: number; mfa: number; privileged: boolean; sources: string[] }[];
    notes: string[];
  };
  operations: {
    incidents: { total: number };
    timeToDetect: Dur;
    timeToInvestigate: Dur;
    timeToContain: Dur;
    timeToResolve: Dur;
    resolvedWithoutPerson: { count: number; share?: number };
    analystHoursSaved: { hours: number; assumption: string };
    coverage: { perWeek: { week: string; closed: number; opened: number; covered: number }[] };
    notes: string[];
  };
  alerts?: { signals: number; triagedWithoutPerson: number; hoursSaved: number; assumption: string };
}

const FIGURES: [string, string][] = [
  ['exposedServices', 'Exposed services'],
  ['exposedHosts', 'Exposed hosts'],
  ['missingTelemetry', 'Hosts missing telemetry'],
  ['staleAgents', 'Stale agents'],
  ['privilegedAccounts', 'Privileged accounts'],
  ['privilegedOnWorkstations', 'Privileged on workstations'],
  ['noMfaAccounts', 'Accounts without MFA'],
];
const WINDOWS = ['24h', '7d', '14d', '30d'];

/** Horizontal bars: label, bar, value (all text). */
export function BarChart({ rows, format = String, color = '#4a78c2', label }: { rows: { label: string; value: number; color?: string }[]; format?: (v: number) => string; color?: string; label: string }) {
  const max = Math.max(1, ...rows.map((r) => (Number.isFinite(r.value) ? r.value : 0)));
  const rowH = 22;
  const labelW = 190;
  const barW = 320;
  return (
    <svg className="bar-chart" role="img" aria-label={label} width={labelW + barW + 110} height={rows.length * rowH + 4} data-testid="bar-chart">
      {rows.map((r, i) => {
        const v = Number.isFinite(r.value) ? Math.max(0, r.value) : 0;
        const w = Math.round((v / max) * barW);
        return (
          <g key={i} transform={`translate(0, ${i * rowH})`}>
            <text x={labelW - 6} y={15} textAnchor="end" fontSize={12}>
              {text(r.label, 40)}
            </text>
            <rect x={labelW} y={4} width={w} height={rowH - 8} fill={r.color ?? color} />
            <text x={labelW + w + 6} y={15} fontSize={12}>
              {format(r.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function signed(n: number | undefined): string {
  return n === undefined ? '' : n > 0 ? `+${n}` : n < 0 ? String(n) : '±0';
}

export function Metrics() {
  const [window, setWindow] = useState('7d');
  const [minutes, setMinutes] = useState('30');
  const [figure, setFigure] = useState('exposedServices');
  const state = useApi<ReportView>(qs('/api/v1/metrics/report', { window, minutesPerIncident: /^[0-9]{1,4}$/.test(minutes) ? minutes : undefined }));
  return (
    <div className="page metrics" data-testid="metrics-page">
      <div className="toolbar">
        <label>
          Window{' '}
          <select value={window} onChange={(e) => setWindow(e.target.value)}>
            {WINDOWS.map((w) => (
              <option key={w}>{w}</option>
            ))}
          </select>
        </label>{' '}
        <label>
          Analyst minutes per incident{' '}
          <input value={minutes} onChange={(e) => setMinutes(e.target.value)} size={4} inputMode="numeric" />
        </label>{' '}
        <button type="button" onClick={state.reload}>
          Refresh
        </button>
      </div>
      <Section title="Attack surface" state={state}>
        {(r) => (
          <>
            <p className="muted">
              {fmtTime(r.window.from)} – {fmtTime(r.window.to)} · {r.surface.scanned} events{r.surface.truncated ? ' (truncated)' : ''}
              {r.surface.delta.previousDay ? ` · change since ${text(r.surface.delta.previousDay)}` : ' · no earlier daily snapshot'}
            </p>
            <table className="kv" data-testid="surface-counts">
              <tbody>
                {FIGURES.map(([k, l]) => (
                  <tr key={k}>
                    <th>{l}</th>
                    <td>{r.surface.counts[k] ?? 0}</td>
                    <td className="muted">{signed(r.surface.delta.counts[k])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>
              Daily history of{' '}
              <select value={figure} onChange={(e) => setFigure(e.target.value)} aria-label="figure">
                {FIGURES.map(([k, l]) => (
                  <option key={k} value={k}>
                    {l}
                  </option>
                ))}
              </select>
            </h3>
            <BarChart label="daily history" rows={r.surface.history.map((h) => ({ label: h.day, value: h.counts[figure] ?? 0 }))} />
            <h3>Exposed services</h3>
            <table className="list">
              <thead>
                <tr><th>Host</th><th>Address</th><th>Port</th><th>Connections</th><th>Sources</th><th>Seen by</th><th>Last</th></tr>
              </thead>
              <tbody>
                {r.surface.exposedServices.slice(0, 50).map((s, i) => (
                  <tr key={i}>
                    <td>{text(s.host, 80)}{s.criticality ? ` (${text(s.criticality)})` : ''}</td>
                    <td>{text(s.ip)}</td>
                    <td>{s.port}/{text(s.protocol ?? '?')}</td>
                    <td>{s.connections}</td>
                    <td>{s.sources}</td>
                    <td>{s.seenBy.map((x) => text(x, 40)).join(', ')}</td>
                    <td>{fmtTime(s.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>Privileged accounts and where they log on</h3>
            <ul>
              {r.surface.privilegedAccounts.slice(0, 50).map((p) => (
                <li key={p.account}>
                  <strong>{text(p.account, 80)}</strong> <span className="muted">[{text(p.reason)}]</span> {p.logons} logons on {p.hosts.length} hosts
                  {p.workstations ? ` (${p.workstations} workstations)` : ''}: {p.hosts.slice(0, 10).map((h) => `${text(h.host, 60)}${h.role ? ` (${text(h.role)})` : ''}`).join(', ')}
                </li>
              ))}
            </ul>
            <h3>Accounts signing in without MFA</h3>
            <ul>
              {r.surface.noMfa.slice(0, 50).map((m) => (
                <li key={m.account}>
                  {text(m.account, 120)}
                  {m.privileged ? ' [privileged]' : ''} — {m.singleFactor} single-factor, {m.mfa} with MFA ({m.sources.map((x) => text(x)).join(', ')})
                </li>
              ))}
            </ul>
            <h3>Hosts missing telemetry / stale agents</h3>
            <p>{r.surface.missingTelemetry.slice(0, 100).map((m) => `${text(m.host, 60)} (${text(m.criticality)})`).join(', ') || 'none'}</p>
            <p>{r.surface.staleAgents.slice(0, 100).map((s) => `${text(s.host, 60)} ${text(s.family, 40)} (last ${fmtTime(s.lastSeen)})`).join('; ') || 'none'}</p>
            {r.surface.notes.length > 0 && (
              <ul className="muted">
                {r.surface.notes.map((n, i) => (
                  <li key={i}>{text(n)}</li>
                ))}
              </ul>
            )}
          </>
        )}
      </Section>
      <Section title="Operations" state={state}>
        {(r) => {
          const o = r.operations;
          return (
            <>
              <p>
                {o.incidents.total} incidents · resolved without a person: {o.resolvedWithoutPerson.count}
                {o.resolvedWithoutPerson.share !== undefined ? ` (${Math.round(o.resolvedWithoutPerson.share * 100)}%)` : ''} · analyst hours saved: {o.analystHoursSaved.hours}
              </p>
              <p className="muted">Assumption: {text(o.analystHoursSaved.assumption)}</p>
              {r.alerts && (
                <p>
                  Alerts triaged without a person: {r.alerts.triagedWithoutPerson} of {r.alerts.signals} = {r.alerts.hoursSaved} h <span className="muted">({text(r.alerts.assumption)})</span>
                </p>
              )}
              <BarChart
                label="mean times"
                format={(v) => (v > 0 ? fmtDuration(v) : '-')}
                rows={[
                  { label: `Mean time to detect (n=${o.timeToDetect.n})`, value: o.timeToDetect.meanMs ?? 0 },
                  { label: `… to investigate (n=${o.timeToInvestigate.n})`, value: o.timeToInvestigate.meanMs ?? 0 },
                  { label: `… to contain (n=${o.timeToContain.n})`, value: o.timeToContain.meanMs ?? 0 },
                  { label: `… to resolve (n=${o.timeToResolve.n})`, value: o.timeToResolve.meanMs ?? 0 },
                ]}
              />
              <h3>Coverage gaps per week</h3>
              {o.coverage.perWeek.length ? (
                <BarChart label="coverage gaps per week" rows={o.coverage.perWeek.flatMap((w) => [
                  { label: `${text(w.week)} closed`, value: w.closed, color: '#3c9a5f' },
                  { label: `${text(w.week)} opened`, value: w.opened, color: '#c2554a' },
                ])} />
              ) : (
                <p className="muted">No coverage snapshots over time yet.</p>
              )}
              {o.notes.length > 0 && (
                <ul className="muted">
                  {o.notes.map((n, i) => (
                    <li key={i}>{text(n)}</li>
                  ))}
                </ul>
              )}
            </>
          );
        }}
      </Section>
    </div>
  );
}
