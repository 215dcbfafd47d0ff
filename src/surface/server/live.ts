/**
 * The live-change hub behind the console's server-sent events (GET /api/v1/stream).
 *
 * Any stage may announce a change with `publishChange(kind, payload)`:
 *
 *   import { publishChange } from '../surface/server/live.js';
 *   publishChange('incident', { id: inc.id, status: inc.status, revision: inc.revision, severity: inc.severity });
 *   publishChange('action', { id: a.id, incidentId: a.incidentId, status: a.status });
 *
 * The payload is a small JSON object (ids and statuses, not whole documents: clients re-read what
 * they show through the API, with their own authorization). Publishing never blocks or throws:
 * a listener that throws is dropped from that delivery only. The stream also polls the store for
 * incident and action records that changed (so changes made by other processes or stages that do
 * not publish still arrive within the poll interval); clients treat every change as "re-read".
 */
import { EventEmitter } from 'node:events';

export type LiveKind = 'incident' | 'action' | 'investigation' | 'feedback' | 'saved_search' | 'audit';
export const LIVE_KINDS: readonly LiveKind[] = ['incident', 'action', 'investigation', 'feedback', 'saved_search', 'audit'];

export interface LiveChange {
  /** Increasing per hub; sent as the SSE event id. */
  seq: number;
  kind: LiveKind;
  /** ms epoch of publication. */
  at: number;
  payload: Record<string, unknown>;
}

/** Largest payload (JSON bytes) forwarded; bigger ones are cut down to their `id`. */
export const MAX_PAYLOAD_BYTES = 16 * 1024;

export class LiveHub {
  private readonly emitter = new EventEmitter();
  private seq = 0;
  /** Recent changes, for clients reconnecting with Last-Event-ID. */
  private readonly ring: LiveChange[] = [];

  constructor(private readonly keep = 1000) {
    this.emitter.setMaxListeners(0);
  }

  publish(kind: LiveKind, payload: Record<string, unknown> = {}): LiveChange | undefined {
    if (!LIVE_KINDS.includes(kind)) return undefined;
    let p: Record<string, unknown>;
    try {
      const text = JSON.stringify(payload ?? {});
      p = text.length > MAX_PAYLOAD_BYTES ? { id: typeof payload.id === 'string' ? payload.id.slice(0, 256) : undefined, truncated: true } : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      p = { unserializable: true };
    }
    const change: LiveChange = { seq: ++this.seq, kind, at: Date.now(), payload: p };
    this.ring.push(change);
    if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
    for (const l of this.emitter.listeners('change') as ((c: LiveChange) => void)[]) {
      try {
        l(change);
      } catch {
        // a broken listener must not stop the others (nor the publisher)
      }
    }
    return change;
  }

  /** Calls `fn` for every change from now on; returns the unsubscribe function. */
  subscribe(fn: (c: LiveChange) => void): () => void {
    this.emitter.on('change', fn);
    return () => this.emitter.off('change', fn);
  }

  /** Changes after `seq` still held (oldest first). */
  since(seq: number): LiveChange[] {
    return this.ring.filter((c) => c.seq > seq);
  }

  get listeners(): number {
    return this.emitter.listenerCount('change');
  }
}

/** The process-wide hub that stages publish to. */
export const liveHub = new LiveHub();

/** Announces a change to every connected console (see the module comment). */
export function publishChange(kind: LiveKind, payload: Record<string, unknown> = {}): void {
  liveHub.publish(kind, payload);
}
