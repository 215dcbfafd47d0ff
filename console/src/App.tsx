/** The shell: session check, login, navigation, and the page for the current path. */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, post, request, setSession, setUnauthorizedHandler, type SessionInfo } from './api';
import { navigate, useLocation } from './router';
import { Login } from './pages/Login';
import { Queue } from './pages/Queue';
import { IncidentPage } from './pages/Incident';
import { Hunt } from './pages/Hunt';
import { Operations } from './pages/Operations';
import { Coverage } from './pages/Coverage';
import { Metrics } from './pages/Metrics';

export function App() {
  const [session, setS] = useState<SessionInfo | null | undefined>(undefined);
  const { path } = useLocation();
  const use = useCallback((s: SessionInfo | null) => {
    setSession(s ?? undefined);
    setS(s);
  }, []);
  useEffect(() => {
    setUnauthorizedHandler(() => use(null));
    request<SessionInfo>('GET', '/auth/session', undefined, { quiet401: true }).then(use, (e) => {
      if (e instanceof ApiError && e.status === 401) use(null);
      else use(null);
    });
  }, [use]);

  if (session === undefined) return <div className="boot muted">Garrison…</div>;
  if (session === null) return <Login onLogin={use} />;

  const logout = async () => {
    try {
      await post('/auth/logout', {});
    } finally {
      use(null);
      navigate('/', true);
    }
  };
  const nav = (to: string, label: string, active: boolean) => (
    <a
      href={to}
      className={active ? 'active' : ''}
      onClick={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {label}
    </a>
  );
  let page;
  const m = /^\/incidents\/([^/]+)$/.exec(path);
  if (m) page = <IncidentPage id={decodeURIComponent(m[1])} session={session} />;
  else if (path === '/closed') page = <Queue closed session={session} />;
  else if (path === '/hunt') page = <Hunt session={session} />;
  else if (path === '/operations') page = <Operations />;
  else if (path === '/coverage') page = <Coverage />;
  else if (path === '/outcomes') page = <Metrics />;
  else page = <Queue session={session} />;
  return (
    <div className="app">
      <nav className="top">
        <span className="brand">Garrison</span>
        {nav('/', 'Queue', path === '/' || path.startsWith('/incidents'))}
        {nav('/closed', 'Auto-closed', path === '/closed')}
        {nav('/hunt', 'Hunt', path === '/hunt')}
        {nav('/coverage', 'Coverage', path === '/coverage')}
        {nav('/outcomes', 'Outcomes', path === '/outcomes')}
        {nav('/operations', 'Operations', path === '/operations')}
        <span className="spacer" />
        <span className="who" data-testid="who">
          {session.principal.name} · {session.principal.role}
        </span>
        <button className="ghost" onClick={logout}>
          Log out
        </button>
      </nav>
      <main>{page}</main>
    </div>
  );
}
