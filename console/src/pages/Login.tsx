/** Login: a local user (name + password) or an API token. */
import { useState, type FormEvent } from 'react';
import { ApiError, post, type SessionInfo } from '../api';

export function Login({ onLogin }: { onLogin: (s: SessionInfo) => void }) {
  const [mode, setMode] = useState<'user' | 'token'>('user');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = await post<SessionInfo>('/auth/login', mode === 'user' ? { user, password } : { token });
      setPassword('');
      setToken('');
      onLogin(s);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'login failed');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="login">
      <form onSubmit={submit} className="panel" aria-label="login">
        <h1>Garrison</h1>
        <div className="tabs">
          <button type="button" className={mode === 'user' ? 'active' : ''} onClick={() => setMode('user')}>
            User
          </button>
          <button type="button" className={mode === 'token' ? 'active' : ''} onClick={() => setMode('token')}>
            API token
          </button>
        </div>
        {mode === 'user' ? (
          <>
            <label>
              User
              <input name="user" autoComplete="username" value={user} onChange={(e) => setUser(e.target.value)} required maxLength={64} autoFocus />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required maxLength={1024} />
            </label>
          </>
        ) : (
          <label>
            API token
            <input name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required maxLength={1024} />
          </label>
        )}
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p className="muted small">Users are created with <code>garrison users add NAME --role ROLE</code>.</p>
      </form>
    </div>
  );
}
