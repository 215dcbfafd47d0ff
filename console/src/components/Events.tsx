/**
 * Raw events: a virtualised table (time, host, user, class, code, raw text) whose rows open the
 * full event as pretty-printed JSON text. Events are attacker-written: every value is rendered as
 * React text; URLs stay text.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { GarrisonEvent } from '../../../src/core/event';
import { get, qs } from '../api';
import { fmtTime, text } from '../util';
import { Modal } from './common';
import { VirtualList } from './VirtualList';

export function EventRow({ e, onOpen }: { e: GarrisonEvent | undefined; onOpen?: (e: GarrisonEvent) => void }) {
  if (!e) return <div className="erow muted">loading…</div>;
  return (
    <div className="erow" onClick={() => onOpen?.(e)} role="button" tabIndex={0} onKeyDown={(k) => k.key === 'Enter' && onOpen?.(e)} data-testid="event-row">
      <span className="c-time">{fmtTime(e.time)}</span>
      <span className="c-host">{text(e.entities?.host, 60)}</span>
      <span className="c-user">{text(e.entities?.user, 40)}</span>
      <span className="c-class">{text(e.class?.name, 30)}</span>
      <span className="c-code">{text(e.source?.eventCode, 12)}</span>
      <span className="c-raw">{text(e.raw, 400)}</span>
    </div>
  );
}

export function EventHeader() {
  return (
    <div className="erow ehead">
      <span className="c-time">time</span>
      <span className="c-host">host</span>
      <span className="c-user">user</span>
      <span className="c-class">class</span>
      <span className="c-code">code</span>
      <span className="c-raw">raw</span>
    </div>
  );
}

export function EventDetail({ e, onClose }: { e: GarrisonEvent; onClose: () => void }) {
  return (
    <Modal title={`Event ${text(e.id, 64)}`} onClose={onClose} wide>
      <dl className="kv">
        <dt>time</dt>
        <dd>{fmtTime(e.time)}</dd>
        <dt>source</dt>
        <dd>{text(e.source, 400)}</dd>
        <dt>entities</dt>
        <dd>
          <pre>{text(JSON.stringify(e.entities, null, 2), 20000)}</pre>
        </dd>
        <dt>fields</dt>
        <dd>
          <pre data-testid="event-fields">{text(JSON.stringify(e.fields, null, 2), 100000)}</pre>
        </dd>
        <dt>raw</dt>
        <dd>
          <pre data-testid="event-raw">{text(e.raw, 100000)}</pre>
        </dd>
      </dl>
    </Modal>
  );
}

/** A list of known events. */
export function EventTable({ events, height = '60vh', testId }: { events: readonly GarrisonEvent[]; height?: string; testId?: string }) {
  const [open, setOpen] = useState<GarrisonEvent>();
  return (
    <div className="etable">
      <EventHeader />
      <VirtualList items={events} rowHeight={28} height={`min(${height}, ${events.length * 28 + 4}px)`} render={(e) => <EventRow e={e} onOpen={setOpen} />} label="events" testId={testId} />
      {events.length === 0 && <div className="muted small">no events</div>}
      {open && <EventDetail e={open} onClose={() => setOpen(undefined)} />}
    </div>
  );
}

const CHUNK = 100;

/** Reads events by id through the search API (`id:a OR id:b …`), 100 at a time. */
export async function fetchEventsByIds(ids: string[], signal?: AbortSignal): Promise<GarrisonEvent[]> {
  const safe = ids.filter((i) => /^[0-9a-zA-Z_-]{1,128}$/.test(i));
  const out: GarrisonEvent[] = [];
  for (let i = 0; i < safe.length; i += CHUNK) {
    const part = safe.slice(i, i + CHUNK);
    const r = await get<{ events: GarrisonEvent[] }>(qs('/api/v1/events', { q: part.map((x) => `id:${x}`).join(' OR '), limit: part.length }), signal);
    out.push(...r.events);
  }
  return out;
}

/**
 * Events known only by id (thousands of them): rows load lazily, the chunks in view first.
 */
export function LazyEventTable({ ids, height = '60vh', testId }: { ids: readonly string[]; height?: string; testId?: string }) {
  const [byId, setById] = useState<Map<string, GarrisonEvent | null>>(new Map());
  const requested = useRef(new Set<number>());
  const [open, setOpen] = useState<GarrisonEvent>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    requested.current = new Set();
    setById(new Map());
  }, [ids]);
  const onRange = useCallback(
    (from: number, to: number) => {
      for (let c = Math.floor(from / CHUNK); c * CHUNK < to; c++) {
        if (requested.current.has(c)) continue;
        requested.current.add(c);
        const part = ids.slice(c * CHUNK, (c + 1) * CHUNK) as string[];
        fetchEventsByIds(part).then(
          (evs) =>
            setById((m) => {
              const n = new Map(m);
              for (const id of part) n.set(id, null);
              for (const e of evs) n.set(e.id, e);
              return n;
            }),
          (e: Error) => setError(e.message),
        );
      }
    },
    [ids],
  );
  const items = useMemo(() => ids.map((id) => ({ id })), [ids]);
  return (
    <div className="etable">
      {error && <div className="error">events could not be loaded: {error}</div>}
      <EventHeader />
      <VirtualList
        items={items}
        rowHeight={28}
        height={`min(${height}, ${ids.length * 28 + 4}px)`}
        onRange={onRange}
        label="events"
        testId={testId}
        render={({ id }) => {
          const e = byId.get(id);
          return e === null ? <div className="erow muted">event {text(id, 64)} is no longer stored</div> : <EventRow e={e} onOpen={setOpen} />;
        }}
      />
      {open && <EventDetail e={open} onClose={() => setOpen(undefined)} />}
    </div>
  );
}
