/**
 * The engine lease: with `cluster.engineWorkers: single` (the default) exactly one engine worker of
 * a deployment is active; the others are hot standbys that take over when it goes away.
 *
 * Why: Sigma correlation windows, baselines and the correlator's identity graph are state inside
 * one process. Two workers consuming the same stream at once would each see part of it, and miss
 * correlations that span both parts (docs/deployment.md).
 *
 * PostgreSQL implementation: a session-level advisory lock (`pg_try_advisory_lock`) held on a
 * dedicated connection. It is released by the server as soon as that connection ends — a worker
 * killed with SIGKILL loses it when the kernel closes its socket — so a standby polling every
 * `pollMs` takes over within about that time. The holder checks its connection every `pollMs`;
 * when the connection fails it is told (`onLost`) and must stop processing at once.
 */
import pg from 'pg';
import type { Logger } from '../core/logger.js';

export interface Lease {
  /** Tries once to take the lease; true when this process holds it now. */
  tryAcquire(): Promise<boolean>;
  readonly held: boolean;
  /** Called once when a held lease is lost (connection failure). */
  onLost(cb: () => void): void;
  release(): Promise<void>;
}

/** 64-bit advisory-lock key of a lease name (PostgreSQL's hashtext is 32 bits: two halves). */
const LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext($1), hashtext('garrison-lease:' || $1)) AS ok";
const UNLOCK_SQL = "SELECT pg_advisory_unlock(hashtext($1), hashtext('garrison-lease:' || $1))";

export function postgresLease(opts: { url: string; name: string; pollMs: number; logger?: Logger }): Lease {
  let client: pg.Client | undefined;
  let held = false;
  let timer: NodeJS.Timeout | undefined;
  const lost: (() => void)[] = [];
  const drop = (why: string, err?: unknown) => {
    if (timer) clearInterval(timer);
    timer = undefined;
    const c = client;
    client = undefined;
    c?.end().catch(() => undefined);
    if (held) {
      held = false;
      opts.logger?.warn({ err, lease: opts.name }, `engine lease lost: ${why}`);
      for (const cb of lost.splice(0)) {
        try {
          cb();
        } catch {
          // the holder reports its own failures
        }
      }
    }
  };
  return {
    get held() {
      return held;
    },
    onLost(cb) {
      lost.push(cb);
    },
    async tryAcquire() {
      if (held) return true;
      if (!client) {
        const c = new pg.Client({ connectionString: opts.url, application_name: 'garrison-engine-lease', keepAlive: true, connectionTimeoutMillis: 10_000 });
        c.on('error', (e) => drop('connection error', e));
        c.on('end', () => drop('connection closed'));
        try {
          await c.connect();
        } catch (e) {
          c.end().catch(() => undefined);
          throw e;
        }
        client = c;
      }
      const r = await client.query<{ ok: boolean }>(LOCK_SQL, [opts.name]);
      if (!r.rows[0]?.ok) return false;
      held = true;
      // Notice a dead connection while holding (the server has released the lock then).
      timer = setInterval(() => {
        client?.query('SELECT 1').catch((e) => drop('connection check failed', e));
      }, Math.max(200, opts.pollMs));
      timer.unref();
      return true;
    },
    async release() {
      if (timer) clearInterval(timer);
      timer = undefined;
      const c = client;
      client = undefined;
      const was = held;
      held = false;
      lost.length = 0;
      if (!c) return;
      if (was) await c.query(UNLOCK_SQL, [opts.name]).catch(() => undefined);
      await c.end().catch(() => undefined);
    },
  };
}

/** Leases between engines of one process (tests; an injected store that is not PostgreSQL). */
const localHolders = new Map<string, object>();

export function localLease(name: string): Lease {
  const me = {};
  const lost: (() => void)[] = [];
  return {
    get held() {
      return localHolders.get(name) === me;
    },
    onLost(cb) {
      lost.push(cb);
    },
    async tryAcquire() {
      const h = localHolders.get(name);
      if (h && h !== me) return false;
      localHolders.set(name, me);
      return true;
    },
    async release() {
      if (localHolders.get(name) === me) localHolders.delete(name);
      lost.length = 0;
    },
  };
}
