/**
 * The stored events as a log in arrival order, for the engine's catch-up.
 *
 * The embedded store keeps events in an append-only table whose `seq` is the arrival order
 * (AUTOINCREMENT: never reused). The Store port has no "events after position" method yet, so
 * this reads `seq → id` over a separate read-only connection to the same SQLite file (WAL lets it
 * read beside the writer) and loads the events themselves through the port (`getEvents`).
 * Only the `events(seq, id)` columns are read directly.
 */
import Database from 'better-sqlite3';
import type { GarrisonEvent } from '../core/event.js';
import { SqliteStore } from '../store/sqlite/store.js';
import type { Store } from '../store/port.js';

export interface EventLog {
  /** Highest position committed now (synchronous: called right after a commit). */
  head(): number;
  /** Ids at exactly these positions (for checking that a committed batch is where it is expected). */
  idAt(position: number): string | undefined;
  /** Up to `limit` events with after < position ≤ until, in arrival order, with their positions. */
  read(after: number, until: number, limit: number): Promise<{ events: GarrisonEvent[]; positions: number[]; last: number }>;
  close(): void;
}

const MAX_PAGE = 10_000;

export class SqliteEventLog implements EventLog {
  private readonly db: Database.Database;
  private readonly headStmt: Database.Statement;
  private readonly idStmt: Database.Statement;
  private readonly pageStmt: Database.Statement;

  constructor(
    private readonly store: Store,
    file: string,
  ) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    this.headStmt = this.db.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck();
    this.idStmt = this.db.prepare('SELECT id FROM events WHERE seq = ?').pluck();
    this.pageStmt = this.db.prepare('SELECT seq, id FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?').raw(true);
  }

  head(): number {
    return this.headStmt.get() as number;
  }

  idAt(position: number): string | undefined {
    return (this.idStmt.get(position) as string | undefined) ?? undefined;
  }

  async read(after: number, until: number, limit: number): Promise<{ events: GarrisonEvent[]; positions: number[]; last: number }> {
    const rows = this.pageStmt.all(after, until, Math.max(1, Math.min(limit, MAX_PAGE))) as [number, string][];
    if (rows.length === 0) return { events: [], positions: [], last: until };
    const got = await this.store.getEvents(rows.map((r) => r[1]));
    const byId = new Map(got.map((e) => [e.id, e]));
    const events: GarrisonEvent[] = [];
    const positions: number[] = [];
    for (const [seq, id] of rows) {
      const e = byId.get(id);
      // Absent: deleted by retention between the two reads. Nothing to detect on.
      if (e) {
        events.push(e);
        positions.push(seq);
      }
    }
    // A full page ends at its last row; a short one covers everything up to `until`.
    const last = rows.length < Math.min(limit, MAX_PAGE) ? until : rows[rows.length - 1][0];
    return { events, positions, last };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The event log of a store, when its implementation supports one (the embedded SQLite store). */
export function eventLogFor(store: Store): EventLog | undefined {
  if (store instanceof SqliteStore && store.config.file) return new SqliteEventLog(store, store.config.file);
  return undefined;
}
