/**
 * Hunt: the search language (docs/search.md) over stored events, results as a table and a time
 * histogram, the SQL that ran, saved searches, and a Sigma rule draft (YAML to copy, never run).
 */
import { useState, type FormEvent } from 'react';
import { ApiError, del, get, post, qs, type SessionInfo } from '../api';
import { Modal, Unavailable, useApi } from '../components/common';
import { EventTable } from '../components/Events';
import { Histogram } from '../components/Histogram';
import { sigmaDraft } from '../sigma';
import type { GarrisonEvent } from '../types';
import { fmtAgo, text } from '../util';

interface SearchReply {
  events: GarrisonEvent[];
  nextCursor?: string;
  query?: { text?: string; sql?: string; params?: unknown[] };
}
interface Saved {
  id: string;
  name: string;
  query: string;
  description?: string;
  range?: string;
  by?: string;
  createdAt?: number;
}

const RANGES: [string, string][] = [
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
  ['all', 'all time'],
];
const rangeMs = (r: string) => {
  const m = /^(\d+)([mhd])$/.exec(r);
  return m ? Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'] : undefined;
};

export function Hunt({ session }: { session: SessionInfo }) {
  const [q, setQ] = useState('');
  const [range, setRange] = useState('24h');
  const [limit, setLimit] = useState(1000);
  const [result, setResult] = useState<SearchReply & { from?: number; to: number }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState<string>();
  const [saveName, setSaveName] = useState('');
  const [msg, setMsg] = useState<string>();
  const saved = useApi<{ searches: Saved[] }>('/api/v1/saved-searches');
  const analyst = session.principal.role !== 'viewer';

  const run = async (query = q, r = range, e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError(undefined);
    const to = Date.now();
    const span = rangeMs(r);
    const from = span ? to - span : undefined;
    try {
      const res = await get<SearchReply>(qs('/api/v1/events', { q: query, from, to, limit }));
      setResult({ ...res, from, to });
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  const more = async () => {
    if (!result?.nextCursor) return;
    setBusy(true);
    try {
      const res = await get<SearchReply>(qs('/api/v1/events', { q, from: result.from, to: result.to, limit, cursor: result.nextCursor }));
      setResult({ ...result, events: result.events.concat(res.events), nextCursor: res.nextCursor });
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await post('/api/v1/saved-searches', { name: saveName.trim(), query: q, range });
      setMsg('saved');
      setSaveName('');
      saved.reload();
    } catch (err) {
      setMsg(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    }
  };
  const toSigma = () => {
    try {
      setDraft(sigmaDraft(q, { title: saveName.trim() || undefined, author: session.principal.name }));
    } catch (err) {
      setMsg(`cannot draft a rule: ${(err as Error).message}`);
    }
  };
  return (
    <div className="hunt">
      <form className="toolbar" onSubmit={(e) => run(q, range, e)}>
        <input className="query" aria-label="query" placeholder='e.g. process.image:*\powershell.exe AND CommandLine:*-enc*' value={q} onChange={(e) => setQ(e.target.value)} maxLength={8192} spellCheck={false} />
        <select aria-label="range" value={range} onChange={(e) => setRange(e.target.value)}>
          {RANGES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
        <select aria-label="limit" value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
          {[100, 1000, 5000, 10000].map((n) => (
            <option key={n} value={n}>
              {n} max
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy}>
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>
      <div className="toolbar">
        <form onSubmit={save} className="inline">
          <input aria-label="search name" placeholder="name" value={saveName} onChange={(e) => setSaveName(e.target.value)} maxLength={200} />
          <button type="submit" disabled={!analyst || !saveName.trim() || !q.trim()} title={analyst ? '' : 'needs the analyst role'}>
            Save search
          </button>
        </form>
        <button className="secondary" onClick={toSigma} disabled={!q.trim()} data-testid="to-sigma">
          Sigma rule draft
        </button>
        {msg && <span className="small">{msg}</span>}
      </div>
      <div className="hunt-body">
        <aside className="panel saved">
          <h2>Saved searches</h2>
          {saved.error ? (
            <Unavailable what="Saved searches" error={saved.error} />
          ) : (
            <ul>
              {saved.data?.searches.length === 0 && <li className="muted small">none yet</li>}
              {(saved.data?.searches ?? []).map((s) => (
                <li key={s.id}>
                  <button
                    className="linkish"
                    onClick={() => {
                      setQ(s.query);
                      if (s.range) setRange(s.range);
                      void run(s.query, s.range ?? range);
                    }}
                    title={text(s.query, 1000)}
                  >
                    {text(s.name, 120)}
                  </button>
                  <div className="muted small">
                    {text(s.by, 60)} · {fmtAgo(s.createdAt)}
                    {analyst && (
                      <button className="ghost small" onClick={() => del(`/api/v1/saved-searches/${encodeURIComponent(s.id)}`).then(saved.reload, (e: Error) => setMsg(e.message))} aria-label="delete">
                        ✕
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </aside>
        <div className="results">
          {error && (
            <div className="error" role="alert">
              {error}
            </div>
          )}
          {result && (
            <>
              <div className="muted small" data-testid="result-count">
                {result.events.length} event(s){result.nextCursor ? ' — more exist ' : ''}
                {result.nextCursor && (
                  <button className="secondary small" onClick={more} disabled={busy || result.events.length >= 100_000}>
                    Load {limit} more
                  </button>
                )}
              </div>
              <Histogram times={result.events.map((e) => e.time)} from={result.from} to={result.from ? result.to : undefined} />
              {result.query?.sql && (
                <details>
                  <summary className="small">SQL that ran</summary>
                  <pre>{text(result.query.sql, 20000)}</pre>
                  <div className="muted small">parameters: {text(result.query.params, 4000)}</div>
                </details>
              )}
              <EventTable events={result.events} height="55vh" testId="hunt-results" />
            </>
          )}
        </div>
      </div>
      {draft && (
        <Modal title="Sigma rule draft" onClose={() => setDraft(undefined)} wide>
          <p className="muted small">A starting point: review the log source, field names and false positives before adding it to a rule pack. Nothing here is run.</p>
          <textarea className="yaml" readOnly value={draft} rows={Math.min(30, draft.split('\n').length + 1)} data-testid="sigma-yaml" spellCheck={false} />
          <button onClick={() => navigator.clipboard?.writeText(draft).then(() => setMsg('copied'), () => setMsg('copy failed: select the text and copy it'))}>Copy</button>
        </Modal>
      )}
    </div>
  );
}
