/**
 * The console talks only to the public API. Every call is same-origin with the session cookie;
 * state changes carry the session's CSRF token (X-CSRF-Token). Replies are JSON; an error reply is
 * `{error: {code, message}}` (GarrisonError).
 */
export interface Principal {
  id: string;
  name: string;
  role: 'viewer' | 'analyst' | 'responder' | 'admin';
  via: 'token' | 'session';
}
export interface SessionInfo {
  principal: Principal;
  csrfToken: string;
  expiresAt: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /**
   * The endpoint does not exist on this server (a stage not deployed yet): pages show "not
   * available". A missing route answers the generic NOT_FOUND; a missing object answers its
   * area's own code (INCIDENT_NOT_FOUND ...), shown with its message.
   */
  get unavailable(): boolean {
    return (this.status === 404 && this.code === 'NOT_FOUND') || this.status === 501;
  }
}

let csrf = '';
let onUnauthorized: () => void = () => undefined;

export function setSession(s: SessionInfo | undefined): void {
  csrf = s?.csrfToken ?? '';
}
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export async function request<T>(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['x-csrf-token'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store', signal: opts.signal, redirect: 'error' });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', 'the server cannot be reached');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const e = new ApiError(res.status, typeof err?.code === 'string' ? err.code : `HTTP_${res.status}`, typeof err?.message === 'string' ? err.message : res.statusText);
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw e;
  }
  return json as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, { signal });
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

/** Builds `path?k=v&…` from the defined, non-empty values. */
export function qs(path: string, params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `${path}?${s}` : path;
}

export const enc = encodeURIComponent;
