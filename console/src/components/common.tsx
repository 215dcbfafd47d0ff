/** Small shared pieces: data loading, "not available" and error states, badges. */
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, get } from '../api';

export interface Loaded<T> {
  data?: T;
  error?: ApiError | Error;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (JSON) whenever it changes; `reload()` re-reads without clearing what is shown. */
export function useApi<T>(path: string | undefined): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError | Error; loading: boolean }>({ loading: !!path });
  const [n, setN] = useState(0);
  const current = useRef(path);
  current.current = path;
  useEffect(() => {
    if (!path) return;
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    get<T>(path, ac.signal).then(
      (data) => {
        if (current.current === path) setState({ data, loading: false });
      },
      (error: Error) => {
        if (error.name !== 'AbortError' && current.current === path) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
    return () => ac.abort();
  }, [path, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}

export function Unavailable({ what, error }: { what: string; error?: ApiError | Error }) {
  const missing = error instanceof ApiError && error.unavailable;
  return (
    <div className="unavailable" role="status" data-testid="unavailable">
      <strong>{what}: {missing ? 'not available' : 'could not be loaded'}</strong>
      <div className="muted">
        {missing ? 'This server does not provide this API yet (the stage behind it is not deployed or not enabled).' : error ? `${error instanceof ApiError ? error.code + ': ' : ''}${error.message}` : ''}
      </div>
    </div>
  );
}

/** Shows children once loaded; "not available" or the error otherwise. */
export function Section<T>({ title, state, children, actions }: { title: string; state: Loaded<T>; children: (d: T) => ReactNode; actions?: ReactNode }) {
  return (
    <section className="panel">
      <header>
        <h2>{title}</h2>
        {actions}
      </header>
      {state.data !== undefined ? children(state.data) : state.error ? <Unavailable what={title} error={state.error} /> : <div className="muted">loading…</div>}
    </section>
  );
}

export function Badge({ kind, value }: { kind: string; value: string | undefined }) {
  const v = String(value ?? '-');
  return <span className={`badge ${kind}-${v.replace(/[^a-z_]/gi, '')}`}>{v.replace(/_/g, ' ')}</span>;
}

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  useEffect(() => {
    const k = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, [onClose]);
  return (
    <div className="modal-back" onClick={onClose}>
      <div className={`modal ${wide ? 'wide' : ''}`} role="dialog" aria-label={title} onClick={(e) => e.stopPropagation()}>
        <header>
          <h2>{title}</h2>
          <button className="ghost" onClick={onClose} aria-label="close">
            ✕
          </button>
        </header>
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}
