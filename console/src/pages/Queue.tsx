/**
 * The queue: incidents needing a person first (needs_review, suspicious, or malicious with actions
 * waiting for approval), then the rest; filters; live updates. `closed` shows the closed incidents
 * with why they were closed.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { get, qs, type SessionInfo } from '../api';
import { Badge, Unavailable, useApi } from '../components/common';
import { VirtualList } from '../components/VirtualList';
import { useLive } from '../live';
import { navigate } from '../router';
import { actionsOf, OPEN_ACTION, type Incident } from '../types';
import { fmtAgo, levelRank, LEVEL_ORDER, TACTICS, tacticName, text } from '../util';

/**
 * One queue row. The list API may answer full incidents or summaries (IncidentSummary of
 * src/correlate: hosts, users, tactics, and — on servers that have them — `verdict`
 * {verdict, confidence, by, decidedAt} and `closeReason`); all are read into this.
 */
export interface QueueItem {
  id: string;
  title: string;
  status: string;
  severity: string;
  score: number;
  updatedAt: number;
  hosts: string[];
  users: string[];
  tactics: string[];
  verdict?: string;
  /** 0..1, when known. */
  confidence?: number;
  closeReason?: string;
  decidedBy?: string;
  mergedInto?: string;
}

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string' || typeof x === 'number').map(String) : []);

const VERDICTS = new Set(['malicious', 'suspicious', 'benign']);

/** The verdict in force (analyst's, else automatic) from a full incident or a summary, checked. */
export function verdictOf(x: { analystVerdict?: unknown; verdict?: unknown }): { verdict: string; confidence?: number; by?: string; summary?: string } | undefined {
  const v = (x.analystVerdict ?? x.verdict) as { verdict?: unknown; confidence?: unknown; by?: unknown; summary?: unknown } | undefined;
  if (!v || typeof v !== 'object' || typeof v.verdict !== 'string' || !VERDICTS.has(v.verdict)) return undefined;
  return {
    verdict: v.verdict,
    confidence: typeof v.confidence === 'number' && Number.isFinite(v.confidence) ? Math.min(1, Math.max(0, v.confidence)) : undefined,
    by: typeof v.by === 'string' ? v.by : undefined,
    summary: typeof v.summary === 'string' ? v.summary : undefined,
  };
}

export function toItem(x: Partial<Incident> & { hosts?: unknown; users?: unknown; tactics?: unknown }): QueueItem {
  const ents = Array.isArray(x.entities) ? x.entities : [];
  const of = (kind: string) => ents.filter((e) => e?.kind === kind).map((e) => String(e.display ?? e.value));
  const v = verdictOf(x);
  return {
    id: String(x.id),
    title: String(x.title ?? x.id),
    status: String(x.status ?? ''),
    severity: String(x.severity ?? 'informational'),
    score: Number(x.score ?? 0),
    updatedAt: Number(x.updatedAt ?? 0),
    hosts: x.hosts !== undefined ? strs(x.hosts) : of('host'),
    users: x.users !== undefined ? strs(x.users) : of('user'),
    tactics: x.tactics !== undefined ? strs(x.tactics) : strs(x.attack?.tactics),
    verdict: v?.verdict,
    confidence: v?.confidence,
    closeReason: typeof x.closeReason === 'string' ? x.closeReason : x.status === 'closed' ? v?.summary : undefined,
    decidedBy: v?.by,
    mergedInto: x.mergedInto,
  };
}

type Row = { header: string; count: number } | { inc: QueueItem; pending: number; group: 'person' | 'rest' | 'closed' };

export function needsPerson(i: QueueItem, pending: number): boolean {
  if (i.status === 'closed' || i.mergedInto) return false;
  return i.status === 'needs_review' || i.verdict === 'suspicious' || pending > 0;
}

const byUrgency = (a: QueueItem, b: QueueItem) => levelRank(b.severity) - levelRank(a.severity) || b.score - a.score || b.updatedAt - a.updatedAt;

interface Detail {
  verdict?: string;
  confidence?: number;
  by?: string;
  reason?: string;
}

/**
 * Verdicts and close reasons of the rows in view that the list did not carry (a server whose list
 * API has no `verdict` / `closeReason`): read one incident at a time, cached per revision
 * (`id@updatedAt`), so a live change re-reads it.
 */
function useDetails(keys: string[]): Map<string, Detail> {
  const [m, setM] = useState(new Map<string, Detail>());
  const asked = useRef(new Set<string>());
  const key = keys.join('\u0000');
  useEffect(() => {
    const todo = key ? key.split('\u0000').filter((k) => !asked.current.has(k)) : [];
    let stop = false;
    (async () => {
      for (const k of todo) {
        asked.current.add(k);
        const id = k.slice(0, k.lastIndexOf('@'));
        try {
          const d = await get<{ incident: Incident }>(`/api/v1/incidents/${encodeURIComponent(id)}`);
          const i = d.incident;
          const v = verdictOf(i);
          const reason = typeof i.closeReason === 'string' ? i.closeReason : i.status === 'closed' ? (v?.summary ?? 'closed') : undefined;
          if (!stop) setM((old) => new Map(old).set(k, { verdict: v?.verdict, confidence: v?.confidence, by: v?.by, reason }));
        } catch {
          asked.current.delete(k);
        }
        if (stop) return;
      }
    })();
    return () => {
      stop = true;
    };
  }, [key]);
  return m;
}

export function VerdictBadge({ verdict, confidence }: { verdict?: string; confidence?: number }) {
  if (!verdict) return <span className="badge-gap" />;
  return (
    <span className={`badge verdict-${verdict.replace(/[^a-z]/g, '')}`} data-testid="verdict-badge" title={confidence !== undefined ? `verdict ${verdict}, confidence ${Math.round(confidence * 100)}%` : `verdict ${verdict}`}>
      {verdict}
      {confidence !== undefined ? ` ${Math.round(confidence * 100)}%` : ''}
    </span>
  );
}

function useDebounced<T>(v: T, ms: number): T {
  const [d, setD] = useState(v);
  useEffect(() => {
    const t = setTimeout(() => setD(v), ms);
    return () => clearTimeout(t);
  }, [v, ms]);
  return d;
}

export function Queue({ closed = false }: { closed?: boolean; session: SessionInfo }) {
  const [severity, setSeverity] = useState('');
  const [status, setStatus] = useState('');
  const [hostIn, setHost] = useState('');
  const [userIn, setUser] = useState('');
  const [tactic, setTactic] = useState('');
  const host = useDebounced(hostIn.trim(), 300);
  const user = useDebounced(userIn.trim(), 300);
  const incidents = useApi<{ incidents: Incident[] }>(qs('/api/v1/incidents', { status: closed ? 'closed' : status || 'new,needs_review,contained', severity, host, user, tactic, limit: 5000 }));
  const actions = useApi<unknown>(closed ? undefined : '/api/v1/actions?status=pending_approval&limit=1000');
  const reload = useCallback(() => {
    incidents.reload();
    if (!closed) actions.reload();
  }, [incidents.reload, actions.reload, closed]);
  const live = useLive(['incident', 'action', 'investigation'], reload);

  const pendingBy = useMemo(() => {
    const m = new Map<string, number>();
    for (const a of actionsOf(actions.data)) {
      if (!OPEN_ACTION.has(a.status)) continue;
      for (const id of [a.incidentId, ...(a.alsoFor ?? [])]) m.set(id, (m.get(id) ?? 0) + 1);
    }
    return m;
  }, [actions.data]);

  const rows = useMemo<Row[]>(() => {
    const list = (incidents.data?.incidents ?? []).filter((x) => x && typeof x.id === 'string').map(toItem).filter((i) => {
      if (i.mergedInto) return false;
      if (closed !== (i.status === 'closed')) return false;
      // The API filters too; repeat it so the view stays right whatever the server supports.
      if (severity && levelRank(i.severity) < levelRank(severity)) return false;
      if (status && !closed && i.status !== status) return false;
      if (tactic && !i.tactics.includes(tactic)) return false;
      const has = (list: string[], v: string) => !v || list.some((x) => x.toLowerCase().includes(v.toLowerCase()));
      return has(i.hosts, host) && has(i.users, user);
    });
    if (closed) return list.sort((a, b) => b.updatedAt - a.updatedAt).map((inc) => ({ inc, pending: 0, group: 'closed' as const }));
    const person: Row[] = [];
    const rest: Row[] = [];
    for (const inc of list.sort(byUrgency)) {
      const pending = pendingBy.get(inc.id) ?? 0;
      if (needsPerson(inc, pending)) person.push({ inc, pending, group: 'person' });
      else rest.push({ inc, pending, group: 'rest' });
    }
    return [{ header: 'Needs a person', count: person.length }, ...person, { header: 'Other open incidents', count: rest.length }, ...rest];
  }, [incidents.data, pendingBy, closed, severity, status, tactic, host, user]);

  const [range, setRange] = useState<[number, number]>([0, 40]);
  // Does the list carry verdicts? Full incidents do; summaries do on servers that added `verdict`.
  const listHasVerdicts = useMemo(() => (incidents.data?.incidents ?? []).some((x) => x && ('verdict' in x || 'signalIds' in x || 'closeReason' in x)), [incidents.data]);
  const missing = useMemo(
    () =>
      rows.slice(range[0], range[1]).flatMap((r) => {
        if (!('inc' in r)) return [];
        const need = closed ? r.inc.closeReason === undefined : !listHasVerdicts && r.inc.verdict === undefined;
        return need ? [`${r.inc.id}@${r.inc.updatedAt}`] : [];
      }),
    [closed, rows, range, listHasVerdicts],
  );
  const details = useDetails(missing);
  const onRange = useCallback((a: number, b: number) => setRange((old) => (old[0] === a && old[1] === b ? old : [a, b])), []);

  const render = (r: Row) => {
    if ('header' in r)
      return (
        <div className="qhead">
          {r.header} <span className="muted">({r.count})</span>
        </div>
      );
    const i = r.inc;
    const hosts = i.hosts.map((h) => text(h, 40));
    const users = i.users.map((u) => text(u, 40));
    const det = details.get(`${i.id}@${i.updatedAt}`);
    const reason = i.closeReason !== undefined ? { reason: i.closeReason, by: i.decidedBy } : det?.reason !== undefined ? { reason: det.reason, by: det.by } : undefined;
    const verdict = i.verdict ?? det?.verdict;
    const confidence = i.verdict ? i.confidence : det?.confidence;
    return (
      <a
        className={`qrow ${r.group}`}
        href={`/incidents/${encodeURIComponent(i.id)}`}
        onClick={(e) => {
          e.preventDefault();
          navigate(`/incidents/${encodeURIComponent(i.id)}`);
        }}
        data-testid="queue-row"
        data-incident={i.id}
      >
        <Badge kind="sev" value={i.severity} />
        <span className="qtitle">
          <span className="title">{text(i.title, 160)}</span>
          <span className="muted small">
            {hosts.slice(0, 3).join(', ')}
            {hosts.length > 3 ? ` +${hosts.length - 3}` : ''}
            {users.length ? ` · ${users.slice(0, 3).join(', ')}${users.length > 3 ? ` +${users.length - 3}` : ''}` : ''}
            {i.tactics.length ? ` · ${i.tactics.map((t) => text(tacticName(t), 40)).slice(0, 4).join(' → ')}${i.tactics.length > 4 ? ' …' : ''}` : ''}
          </span>
        </span>
        {closed ? (
          <>
            <VerdictBadge verdict={verdict} confidence={confidence} />
            <span className="qreason" title={text(reason?.reason, 1000)} data-testid="close-reason">
              {reason ? text(reason.reason, 160) : <span className="muted">…</span>}
              <span className="muted small"> {text(reason?.by ?? '', 60)}</span>
            </span>
          </>
        ) : (
          <>
            <VerdictBadge verdict={verdict} confidence={confidence} />
            <Badge kind="status" value={i.status} />
            <span className="qnum" title="score">
              {Math.round(i.score ?? 0)}
            </span>
            <span className="qpend">{r.pending ? `${r.pending} approval${r.pending > 1 ? 's' : ''}` : ''}</span>
          </>
        )}
        <span className="qtime muted small">{fmtAgo(i.updatedAt)}</span>
      </a>
    );
  };

  return (
    <div className="queue">
      <div className="toolbar">
        <h1>{closed ? 'Auto-closed and closed incidents' : 'Queue'}</h1>
        <span className={`live ${live}`} data-testid="live" title="live updates">
          {live}
        </span>
        <span className="spacer" />
        <select aria-label="severity" value={severity} onChange={(e) => setSeverity(e.target.value)}>
          <option value="">any severity</option>
          {[...LEVEL_ORDER].reverse().map((l) => (
            <option key={l} value={l}>
              {l === 'critical' ? l : `${l} or higher`}
            </option>
          ))}
        </select>
        {!closed && (
          <select aria-label="status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any open status</option>
            {['new', 'needs_review', 'contained'].map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        )}
        <input aria-label="host" placeholder="host" value={hostIn} onChange={(e) => setHost(e.target.value)} maxLength={256} />
        <input aria-label="user" placeholder="user" value={userIn} onChange={(e) => setUser(e.target.value)} maxLength={256} />
        <select aria-label="tactic" value={tactic} onChange={(e) => setTactic(e.target.value)}>
          <option value="">any tactic</option>
          {TACTICS.map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </select>
      </div>
      {incidents.error && !incidents.data ? (
        <Unavailable what="Incidents" error={incidents.error} />
      ) : !incidents.data ? (
        <div className="muted">loading…</div>
      ) : (
        <>
          {!closed && actions.error && <div className="muted small">Pending approvals are not shown: the actions API is not available.</div>}
          {closed && rows.length === 0 && <div className="unavailable" data-testid="empty">No closed incidents{severity || hostIn || userIn || tactic ? ' match these filters' : ' yet'}.</div>}
          <VirtualList items={rows} rowHeight={52} height="calc(100vh - 150px)" render={render} label="incidents" testId="queue" onRange={onRange} />
        </>
      )}
    </div>
  );
}
