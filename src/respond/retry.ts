/** Retries with exponential back-off and full jitter, for transient connector failures only. */
import { isGarrisonError, toGarrisonError, type GarrisonError } from '../core/errors.js';

export interface RetryOptions {
  /** Total attempts, first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests (0..1). */
  random?: () => number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseMs: 250, maxMs: 8000 };

export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether a failure is worth another try: connector unavailable (timeouts, connection, 5xx). */
export function isTransient(e: unknown): boolean {
  return isGarrisonError(e, 'RESPOND_CONNECTOR_UNAVAILABLE');
}

/** Back-off before attempt n+1 (n from 1): min(max, base * 2^(n-1)) scaled by jitter in [0.5, 1]. */
export function backoffMs(n: number, o: RetryOptions): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** (n - 1));
  return Math.round(exp * (0.5 + 0.5 * (o.random ?? Math.random)()));
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions, onFailure?: (attempt: number, e: GarrisonError, willRetry: boolean) => void): Promise<T> {
  const sleep = o.sleep ?? realSleep;
  for (let n = 1; ; n++) {
    try {
      return await fn(n);
    } catch (e) {
      const g = toGarrisonError(e);
      const again = n < o.attempts && isTransient(g);
      onFailure?.(n, g, again);
      if (!again) throw g;
      await sleep(backoffMs(n, o));
    }
  }
}
