/**
 * The queue: incidents needing a person first (needs_review, suspicious, or malicious with actions
 * waiting for approval), then the rest; filters; live updates. `closed` shows the closed incidents
 * with why they were closed.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { qs, type SessionInfo } from '../api';
import { Badge, Unavailable, useApi } from '../components/common';
import { VirtualList } from '../components/VirtualList';
import { useLive } from '../live';
import { navigate } from '../router';
import { actionsOf, OPEN_ACTION, type Incident } from '../types';
import { fmtAgo, levelRank, LEVEL_ORDER, TACTICS, tacticName, text } from '../util';

type Row = { header: string; count: number } | { inc: Incident; pending: number; group: 'person' | 'rest' | 'closed' };

export function verdictOf(i: Incident): string | undefined {
  return i.analystVerdict?.verdict ?? i.verdict?.verdict;
}

export function needsPerson(i: Incident, pending: number): boolean {
  if (i.status === 'closed' || i.mergedInto) return false;
  const v = verdictOf(i);
  return i.status === 'needs_review' || v === 'suspicious' || (v === 'malicious' && pending > 0) || pending > 0;
}

const byUrgency = (a: Incident, b: Incident) => levelRank(b.severity) - levelRank(a.severity) || (b.score ?? 0) - (a.score ?? 0) || (b.updatedAt ?? 0) - (a.updatedAt ?? 0);

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
    const list = (incidents.data?.incidents ?? []).filter((i) => {
      if (!i || typeof i.id !== 'string' || i.mergedInto) return false;
      if (closed !== (i.status === 'closed')) return false;
      // The API filters too; repeat it so the view stays right whatever the server supports.
      if (severity && levelRank(i.severity) < levelRank(severity)) return false;
      if (status && !closed && i.status !== status) return false;
      if (tactic && !(i.attack?.tactics ?? []).includes(tactic)) return false;
      const ent = (kind: string, v: string) => !v || (i.entities ?? []).some((e) => e.kind === kind && String(e.display ?? e.value).toLowerCase().includes(v.toLowerCase()));
      return ent('host', host) && ent('user', user);
    });
    if (closed) return list.sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0)).map((inc) => ({ inc, pending: 0, group: 'closed' as const }));
    const person: Row[] = [];
    const rest: Row[] = [];
    for (const inc of list.sort(byUrgency)) {
      const pending = pendingBy.get(inc.id) ?? 0;
      if (needsPerson(inc, pending)) person.push({ inc, pending, group: 'person' });
      else rest.push({ inc, pending, group: 'rest' });
    }
    return [{ header: 'Needs a person', count: person.length }, ...person, { header: 'Other open incidents', count: rest.length }, ...rest];
  }, [incidents.data, pendingBy, closed, severity, status, tactic, host, user]);

  const render = (r: Row) => {
    if ('header' in r)
      return (
        <div className="qhead">
          {r.header} <span className="muted">({r.count})</span>
        </div>
      );
    const i = r.inc;
    const hosts = (i.entities ?? []).filter((e) => e.kind === 'host').map((e) => text(e.display ?? e.value, 40));
    const users = (i.entities ?? []).filter((e) => e.kind === 'user').map((e) => text(e.display ?? e.value, 40));
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
            {i.attack?.tactics?.length ? ` · ${i.attack.tactics.map((t) => tacticName(t)).slice(0, 4).join(' → ')}` : ''}
          </span>
        </span>
        {closed ? (
          <span className="qreason" title={text(i.closeReason, 1000)}>
            {text(i.closeReason || i.analystVerdict?.summary || i.verdict?.summary || 'closed', 160)}
            <span className="muted small"> {text(i.analystVerdict?.by ?? i.verdict?.by ?? '', 60)}</span>
          </span>
        ) : (
          <>
            <Badge kind="verdict" value={verdictOf(i) ?? 'pending'} />
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
          <VirtualList items={rows} rowHeight={52} height="calc(100vh - 150px)" render={render} label="incidents" testId="queue" />
        </>
      )}
    </div>
  );
}
