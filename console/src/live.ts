/** Live changes from GET /api/v1/stream (server-sent events). */
import { useEffect, useRef, useState } from 'react';

export interface LiveChange {
  kind: string;
  at: number;
  payload: Record<string, unknown>;
}

/** Calls `onChange` for every change (kinds filter), debounced; returns the connection state. */
export function useLive(kinds: string[], onChange: (changes: LiveChange[]) => void, debounceMs = 400): 'connecting' | 'live' | 'offline' {
  const [state, setState] = useState<'connecting' | 'live' | 'offline'>('connecting');
  const cb = useRef(onChange);
  cb.current = onChange;
  const key = kinds.join(',');
  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setState('offline');
      return;
    }
    const want = new Set(key.split(','));
    const es = new EventSource('/api/v1/stream', { withCredentials: true });
    let pending: LiveChange[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    es.addEventListener('hello', () => setState('live'));
    es.addEventListener('change', (ev) => {
      let c: LiveChange;
      try {
        c = JSON.parse((ev as MessageEvent<string>).data) as LiveChange;
      } catch {
        return;
      }
      if (!want.has(c.kind)) return;
      pending.push(c);
      if (!timer)
        timer = setTimeout(() => {
          timer = undefined;
          const batch = pending;
          pending = [];
          cb.current(batch);
        }, debounceMs);
    });
    es.onerror = () => setState(es.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    es.onopen = () => setState('live');
    return () => {
      if (timer) clearTimeout(timer);
      es.close();
    };
  }, [key, debounceMs]);
  return state;
}
