/**
 * One incident, the whole story: header, stage timeline, entity graph, verdict with weighted
 * evidence and counter-evidence, investigation ledger (each evidence opens its raw events),
 * actions (approve / reject with a reason, rollback, TTL), signals, events, analyst feedback.
 */
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError, enc, get, post, type SessionInfo } from '../api';
import { Badge, Modal, Section, Unavailable, useApi } from '../components/common';
import { EventTable, fetchEventsByIds, LazyEventTable } from '../components/Events';
import { EntityGraph } from '../components/Graph';
import { StageTimeline } from '../components/Timeline';
import { VirtualList } from '../components/VirtualList';
import { useLive } from '../live';
import { navigate } from '../router';
import { actionsOf, OPEN_ACTION, ROLLBACKABLE, type ActionView, type EvidenceView, type GarrisonEvent, type Incident, type IncidentVerdict, type Signal, type StepView } from '../types';
import { fmtAgo, fmtDuration, fmtTime, pct, text } from '../util';

const RANK = { viewer: 0, analyst: 1, responder: 2, admin: 3 } as const;
const can = (s: SessionInfo, role: keyof typeof RANK) => RANK[s.principal.role] >= RANK[role];

interface InvestigationReply {
  investigation?: { steps?: StepView[]; ledger?: { steps?: StepView[] }; verdict?: IncidentVerdict; narrative?: { summary?: string; claims?: { text: string; cites: string[] }[] } };
  verdict?: IncidentVerdict;
}

export function IncidentPage({ id, session }: { id: string; session: SessionInfo }) {
  const inc = useApi<{ incident: Incident; signals?: Signal[] }>(`/api/v1/incidents/${enc(id)}`);
  const inv = useApi<InvestigationReply>(`/api/v1/incidents/${enc(id)}/investigation`);
  const acts = useApi<unknown>(`/api/v1/actions?incident=${enc(id)}`);
  const [evidence, setEvidence] = useState<EvidenceView>();
  const [eventIds, setEventIds] = useState<string[]>();
  const reloadAll = useCallback(() => {
    inc.reload();
    inv.reload();
    acts.reload();
  }, [inc.reload, inv.reload, acts.reload]);
  useLive(['incident', 'action', 'investigation', 'feedback'], (changes) => {
    if (changes.some((c) => c.payload?.id === id || c.payload?.ref === id || c.payload?.incidentId === id || c.kind === 'action')) reloadAll();
  });

  const steps = useMemo(() => inv.data?.investigation?.steps ?? inv.data?.investigation?.ledger?.steps ?? [], [inv.data]);
  const evidenceById = useMemo(() => {
    const m = new Map<string, EvidenceView>();
    for (const s of steps) for (const e of s.evidence ?? []) m.set(e.id, e);
    return m;
  }, [steps]);
  const openCite = useCallback(
    (c: string) => {
      const ev = evidenceById.get(c);
      if (ev) setEvidence(ev);
      else setEventIds([c]);
    },
    [evidenceById],
  );

  if (inc.error && !inc.data) {
    return (
      <div>
        <a href="/" onClick={(e) => (e.preventDefault(), navigate('/'))}>
          ← queue
        </a>
        {inc.error instanceof ApiError && inc.error.status === 404 ? <Unavailable what={`Incident ${id}`} error={inc.error} /> : <Unavailable what="Incident" error={inc.error} />}
      </div>
    );
  }
  if (!inc.data) return <div className="muted">loading…</div>;
  const i = inc.data.incident;
  const signals = inc.data.signals ?? [];
  const allEventIds = [...new Set(signals.flatMap((s) => s.eventIds ?? []))];
  const verdict = inv.data?.verdict ?? inv.data?.investigation?.verdict ?? i.verdict;
  return (
    <div className="incident" data-testid="incident">
      <div className="inc-head">
        <a href="/" onClick={(e) => (e.preventDefault(), navigate('/'))} className="small">
          ← queue
        </a>
        <h1 data-testid="incident-title">
          <Badge kind="sev" value={i.severity} /> {text(i.title, 300)}
        </h1>
        <div className="muted">
          <Badge kind="status" value={i.status} /> score {Math.round(i.score ?? 0)} · confidence {pct(i.confidence)} · {fmtTime(i.firstSeen)} → {fmtTime(i.lastSeen)} ({fmtDuration(i.lastSeen - i.firstSeen)}) · updated {fmtAgo(i.updatedAt)} · {i.signalIds?.length ?? 0} signals · id {text(i.id, 80)}
        </div>
        {i.summary && <p>{text(i.summary, 2000)}</p>}
        {i.closeReason && <p className="muted">Closed: {text(i.closeReason, 1000)}</p>}
        {i.mergedInto && (
          <p>
            Merged into{' '}
            <a href={`/incidents/${enc(i.mergedInto)}`} onClick={(e) => (e.preventDefault(), navigate(`/incidents/${enc(i.mergedInto!)}`))}>
              {text(i.mergedInto, 80)}
            </a>
          </p>
        )}
      </div>

      <div className="grid2">
        <section className="panel">
          <header>
            <h2>Story across ATT&amp;CK tactics</h2>
          </header>
          <StageTimeline stages={i.stages ?? []} from={i.firstSeen} to={i.lastSeen} />
        </section>
        <section className="panel">
          <header>
            <h2>Verdict</h2>
          </header>
          <VerdictView v={verdict} analyst={i.analystVerdict} onCite={openCite} />
        </section>
      </div>

      <section className="panel">
        <header>
          <h2>Entities</h2>
          <span className="muted small">edges: seen in the same signal; arrows: process lineage</span>
        </header>
        <EntityGraph entities={i.entities ?? []} signals={signals} />
      </section>

      <Section title="Actions" state={acts}>
        {(d) => <Actions actions={actionsOf(d)} session={session} onDone={reloadAll} />}
      </Section>

      <Section title="Investigation ledger" state={inv}>
        {() => <Ledger steps={steps} narrative={inv.data?.investigation?.narrative} onOpen={setEvidence} onCite={openCite} />}
      </Section>

      <section className="panel">
        <header>
          <h2>Signals ({signals.length})</h2>
        </header>
        <VirtualList
          items={signals}
          rowHeight={30}
          height={`${Math.min(10, Math.max(1, signals.length)) * 30 + 4}px`}
          label="signals"
          render={(s) => (
            <div className="srow" onClick={() => setEventIds(s.eventIds ?? [])} role="button" tabIndex={0}>
              <Badge kind="sev" value={s.level} />
              <span className="c-time">{fmtTime(s.time)}</span>
              <span className="grow">{text(s.title, 200)}</span>
              <span className="muted small">{text(s.detector, 80)}</span>
              <span className="muted small">{(s.attack?.techniques ?? []).map((t) => text(t, 20)).join(' ')}</span>
              <span className="muted small">{s.eventIds?.length ?? 0} ev</span>
            </div>
          )}
        />
      </section>

      <section className="panel">
        <header>
          <h2>Events ({allEventIds.length})</h2>
        </header>
        {allEventIds.length ? <LazyEventTable ids={allEventIds} height="40vh" testId="incident-events" /> : <div className="muted">no events</div>}
      </section>

      <Feedback incidentId={i.id} session={session} onDone={reloadAll} />

      {evidence && <EvidenceModal incidentId={i.id} ev={evidence} onClose={() => setEvidence(undefined)} />}
      {eventIds && (
        <Modal title={`Events (${eventIds.length})`} onClose={() => setEventIds(undefined)} wide>
          <LazyEventTable ids={eventIds} height="60vh" />
        </Modal>
      )}
    </div>
  );
}

function VerdictView({ v, analyst, onCite }: { v?: IncidentVerdict; analyst?: IncidentVerdict; onCite: (c: string) => void }) {
  if (!v && !analyst) return <div className="muted">No verdict yet: the investigation has not finished (or is not deployed).</div>;
  const one = (x: IncidentVerdict, label: string) => {
    const factors = [...(x.factors ?? [])];
    const max = Math.max(1e-9, ...factors.map((f) => Math.abs(f.weight)));
    const pro = factors.filter((f) => f.weight > 0).sort((a, b) => b.weight - a.weight);
    const con = factors.filter((f) => f.weight <= 0).sort((a, b) => a.weight - b.weight);
    const list = (fs: typeof factors, cls: string) => (
      <ul className={`factors ${cls}`}>
        {fs.map((f, k) => (
          <li key={k}>
            <span className="wbar">
              <span style={{ width: `${(Math.abs(f.weight) / max) * 100}%` }} />
            </span>
            <span className="w">{f.weight > 0 ? '+' : ''}{Number(f.weight).toFixed(2)}</span> <strong>{text(f.factor, 80)}</strong> {text(f.detail, 600)}
            {(f.cites ?? []).slice(0, 12).map((c) => (
              <button key={c} className="cite" onClick={() => onCite(c)} title="open what this rests on">
                {text(c, 24)}
              </button>
            ))}
          </li>
        ))}
      </ul>
    );
    return (
      <div className="verdict" data-testid={`verdict-${label}`}>
        <div>
          <Badge kind="verdict" value={x.verdict} /> <span className="muted">{label} · confidence {pct(x.confidence)} · by {text(x.by, 60)} · {fmtTime(x.decidedAt)}</span>
        </div>
        <p>{text(x.summary, 2000)}</p>
        <h3>Evidence</h3>
        {pro.length ? list(pro, 'pro') : <div className="muted small">none</div>}
        <h3>Counter-evidence</h3>
        {con.length ? list(con, 'con') : <div className="muted small">none</div>}
        {x.wouldChange?.length ? (
          <>
            <h3>What would change the call</h3>
            <ul>
              {x.wouldChange.map((w, k) => (
                <li key={k}>{text(w, 500)}</li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
    );
  };
  return (
    <div>
      {analyst && one(analyst, 'analyst')}
      {v && one(v, 'automatic')}
    </div>
  );
}

function Ledger({ steps, narrative, onOpen, onCite }: { steps: StepView[]; narrative?: { summary?: string; claims?: { text: string; cites: string[] }[] }; onOpen: (e: EvidenceView) => void; onCite: (c: string) => void }) {
  const [expanded, setExpanded] = useState(new Set<number>());
  const openAll = steps.reduce((n, s) => n + (s.evidence?.length ?? 0), 0) <= 60;
  return (
    <div className="ledger" data-testid="ledger">
      {narrative?.summary && <p>{text(narrative.summary, 4000)}</p>}
      {narrative?.claims?.length ? (
        <ul className="claims">
          {narrative.claims.slice(0, 50).map((c, k) => (
            <li key={k}>
              {text(c.text, 1000)}{' '}
              {(c.cites ?? []).slice(0, 8).map((x) => (
                <button key={x} className="cite" onClick={() => onCite(x)}>
                  {text(x, 24)}
                </button>
              ))}
            </li>
          ))}
        </ul>
      ) : null}
      <ol>
        {steps.map((s, k) => {
          const ev = s.evidence ?? [];
          const shown = expanded.has(k) ? ev : ev.slice(0, 25);
          return (
            <li key={k} className="step">
              <details open={openAll || k < 4}>
                <summary>
                  <strong>{text(s.title, 200)}</strong> {s.status && <Badge kind="step" value={s.status} />} <span className="muted small">{text(s.step ?? s.id ?? s.type, 60)} · {ev.length} evidence</span>
                </summary>
                {s.note && <div className="muted small">{text(s.note, 500)}</div>}
                <ul>
                  {shown.map((e, j) => (
                    <li key={`${e.id}-${j}`}>
                      <button className="linkish" onClick={() => onOpen(e)} data-testid="evidence">
                        {text(e.title, 300)}
                      </button>{' '}
                      <span className="muted small">{e.eventIds?.length ?? 0} event(s)</span>
                    </li>
                  ))}
                  {ev.length > shown.length && (
                    <li>
                      <button className="linkish small" onClick={() => setExpanded((x) => new Set(x).add(k))}>
                        show {ev.length - shown.length} more
                      </button>
                    </li>
                  )}
                </ul>
              </details>
            </li>
          );
        })}
      </ol>
      {steps.length === 0 && <div className="muted">no steps recorded</div>}
    </div>
  );
}

function EvidenceModal({ incidentId, ev, onClose }: { incidentId: string; ev: EvidenceView; onClose: () => void }) {
  const [events, setEvents] = useState<GarrisonEvent[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const ac = new AbortController();
    get<{ events?: GarrisonEvent[] } | GarrisonEvent[]>(`/api/v1/evidence/${enc(incidentId)}/${enc(ev.id)}/events`, ac.signal)
      .then((r) => (Array.isArray(r) ? r : (r.events ?? [])))
      .catch((e: Error) => {
        if (e instanceof ApiError && e.unavailable && ev.eventIds?.length) return fetchEventsByIds(ev.eventIds, ac.signal);
        throw e;
      })
      .then(setEvents, (e: Error) => e.name !== 'AbortError' && setError(e.message));
    return () => ac.abort();
  }, [incidentId, ev]);
  const q = ev.query;
  return (
    <Modal title={`Evidence: ${text(ev.title, 120)}`} onClose={onClose} wide>
      <div data-testid="evidence-modal">
        {q && (
          <dl className="kv">
            {q.text !== undefined && (
              <>
                <dt>query</dt>
                <dd>
                  <code>{text(q.text, 4000)}</code>
                </dd>
              </>
            )}
            {q.sql !== undefined && (
              <>
                <dt>SQL that ran</dt>
                <dd>
                  <pre>{text(q.sql, 8000)}</pre>
                  <div className="muted small">parameters: {text(q.params, 4000)}</div>
                </dd>
              </>
            )}
            {q.lookup !== undefined && (
              <>
                <dt>lookup</dt>
                <dd>{text(q, 2000)}</dd>
              </>
            )}
          </dl>
        )}
        {ev.facts && <pre className="facts">{text(JSON.stringify(ev.facts, null, 2), 20000)}</pre>}
        {error ? <div className="error">{error}</div> : events ? <EventTable events={events} height="45vh" testId="evidence-events" /> : <div className="muted">loading events…</div>}
      </div>
    </Modal>
  );
}

function targetText(t: Record<string, unknown> | undefined): string {
  if (!t) return '-';
  const { type, ...rest } = t;
  return `${text(type, 20)} ${Object.values(rest)
    .filter((v) => v !== undefined)
    .map((v) => text(v, 120))
    .join(' ')}`;
}

function Actions({ actions, session, onDone }: { actions: ActionView[]; session: SessionInfo; onDone: () => void }) {
  const [dialog, setDialog] = useState<{ a: ActionView; op: 'approve' | 'reject' | 'rollback' }>();
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  if (actions.length === 0) return <div className="muted">No actions were proposed for this incident.</div>;
  const responder = can(session, 'responder');
  return (
    <div>
      <table className="actions" data-testid="actions">
        <thead>
          <tr>
            <th>action</th>
            <th>target</th>
            <th>status</th>
            <th>why / policy</th>
            <th>TTL</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {actions.map((a) => (
            <tr key={a.id} data-testid="action-row" data-action={a.id} data-status={a.status}>
              <td>
                <strong>{text(a.kind, 40)}</strong>
                <div className="muted small">{text(a.mode, 20)}</div>
              </td>
              <td>
                {targetText(a.target)}
                {a.blast && <div className="muted small">blast radius: {a.blast.hosts ?? 0} host(s), {a.blast.users ?? 0} user(s)</div>}
              </td>
              <td>
                <Badge kind="action" value={a.status} />
                {a.approvalsRequired ? (
                  <div className="muted small">
                    approvals {a.approvals?.length ?? 0}/{a.approvalsRequired}
                  </div>
                ) : null}
                {a.failure && <div className="error small">{text(`${a.failure.code}: ${a.failure.message}`, 300)}</div>}
                {a.rejection && <div className="muted small">rejected by {text(a.rejection.by, 60)}: {text(a.rejection.reason, 300)}</div>}
                {a.rollback && <div className="muted small">rolled back by {text(a.rollback.by, 60)}: {text(a.rollback.reason, 300)}</div>}
              </td>
              <td>
                {text(a.why, 400)}
                {a.policy && <div className="muted small">policy {text(a.policy.name, 60)} rule {text(a.policy.rule, 60)}: {text(a.policy.reason, 200)}</div>}
                {a.preview?.summary && <div className="muted small">preview: {text(a.preview.summary, 300)}</div>}
              </td>
              <td data-testid="ttl">
                {a.expiresAt ? (a.expiresAt > Date.now() ? `expires ${fmtAgo(a.expiresAt)} (${fmtTime(a.expiresAt)})` : `expired ${fmtAgo(a.expiresAt)}`) : a.ttlMs ? `TTL ${fmtDuration(a.ttlMs)}` : '-'}
              </td>
              <td className="buttons">
                {OPEN_ACTION.has(a.status) && (
                  <>
                    <button disabled={!responder} title={responder ? '' : 'needs the responder role'} onClick={() => setDialog({ a, op: 'approve' })} data-testid="approve">
                      Approve
                    </button>
                    <button disabled={!responder} className="secondary" title={responder ? '' : 'needs the responder role'} onClick={() => setDialog({ a, op: 'reject' })} data-testid="reject">
                      Reject
                    </button>
                  </>
                )}
                {ROLLBACKABLE.has(a.status) && (
                  <button disabled={!responder} className="secondary" title={responder ? '' : 'needs the responder role'} onClick={() => setDialog({ a, op: 'rollback' })} data-testid="rollback">
                    Roll back
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!responder && <div className="muted small">Approving, rejecting and rolling back need the responder role; you are {session.principal.role}.</div>}
      {dialog && <ReasonDialog {...dialog} onClose={() => setDialog(undefined)} onDone={onDone} />}
    </div>
  );
}

function ReasonDialog({ a, op, onClose, onDone }: { a: ActionView; op: 'approve' | 'reject' | 'rollback'; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return setError('a reason is required');
    setBusy(true);
    try {
      await post(`/api/v1/actions/${enc(a.id)}/${op}`, { reason: reason.trim() });
      onDone();
      onClose();
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={`${op[0].toUpperCase()}${op.slice(1)} ${text(a.kind, 40)} ${targetText(a.target)}`} onClose={onClose}>
      <form onSubmit={submit} className="reason" data-testid="reason-form">
        <label>
          Reason (required, kept in the audit log)
          <textarea value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} rows={3} required autoFocus name="reason" />
        </label>
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" disabled={busy || !reason.trim()} data-testid="confirm">
          {op === 'approve' ? 'Approve' : op === 'reject' ? 'Reject' : 'Roll back'}
        </button>
      </form>
    </Modal>
  );
}

function Feedback({ incidentId, session, onDone }: { incidentId: string; session: SessionInfo; onDone: () => void }) {
  const [verdict, setVerdict] = useState('malicious');
  const [label, setLabel] = useState('true_positive');
  const [note, setNote] = useState('');
  const [msg, setMsg] = useState<string>();
  const analyst = can(session, 'analyst');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await post(`/api/v1/incidents/${enc(incidentId)}/feedback`, { verdict, label, note });
      setMsg('Feedback recorded.');
      setNote('');
      onDone();
    } catch (err) {
      setMsg(err instanceof ApiError ? (err.unavailable ? 'Feedback is not available on this server.' : `${err.code}: ${err.message}`) : String(err));
    }
  };
  return (
    <section className="panel">
      <header>
        <h2>Your verdict and feedback</h2>
      </header>
      <form className="feedback" onSubmit={submit} data-testid="feedback">
        <select value={verdict} onChange={(e) => setVerdict(e.target.value)} aria-label="verdict" disabled={!analyst}>
          <option value="malicious">malicious</option>
          <option value="suspicious">suspicious</option>
          <option value="benign">benign</option>
        </select>
        <select value={label} onChange={(e) => setLabel(e.target.value)} aria-label="label" disabled={!analyst}>
          <option value="true_positive">true positive</option>
          <option value="false_positive">false positive</option>
          <option value="benign_true_positive">benign true positive</option>
        </select>
        <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="note (what you saw, what you did)" maxLength={4000} aria-label="note" disabled={!analyst} />
        <button type="submit" disabled={!analyst}>
          Record
        </button>
        {!analyst && <span className="muted small">needs the analyst role</span>}
        {msg && <span className="small">{msg}</span>}
      </form>
    </section>
  );
}
