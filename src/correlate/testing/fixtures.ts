/** Test-support builders: minimal events and signals with the fields correlation reads. */
import type { EventEntities, GarrisonEvent } from '../../core/event.js';
import type { Level, Signal } from '../../core/signal.js';

export const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;

let n = 0;
export function sig(id: string, time: number, entities: EventEntities, o: { level?: Level; detector?: string; tactics?: string[]; techniques?: string[]; title?: string; tenant?: string; details?: Record<string, unknown> } = {}): Signal {
  const level = o.level ?? 'high';
  return {
    id,
    tenant: o.tenant ?? 'test',
    kind: 'sigma',
    detector: o.detector ?? `rule-${id}`,
    title: o.title ?? `Rule ${id}`,
    level,
    score: { informational: 10, low: 30, medium: 50, high: 75, critical: 95 }[level],
    time,
    createdAt: time,
    attack: { tactics: o.tactics ?? ['TA0002'], techniques: o.techniques ?? ['T1059'] },
    eventIds: [`ev-${id}`],
    entities,
    details: o.details ?? {},
  };
}

export function ev(time: number, entities: EventEntities, o: { code?: string; format?: GarrisonEvent['source']['format']; fields?: Record<string, unknown>; cls?: GarrisonEvent['class']; raw?: string; tenant?: string } = {}): GarrisonEvent {
  n++;
  return {
    id: `e${String(n).padStart(8, '0')}`,
    time,
    ingestTime: time,
    tenant: o.tenant ?? 'test',
    source: { format: o.format ?? 'winlog', product: o.format && o.format !== 'winlog' ? undefined : 'windows', service: 'security', eventCode: o.code },
    class: o.cls ?? { uid: 0, name: 'base_event' },
    entities,
    fields: { EventID: o.code ? Number(o.code) : undefined, ...(o.fields ?? {}) },
    raw: o.raw ?? JSON.stringify({ entities, code: o.code }),
  };
}

/** A 4624 logon on `host` with logon id `lid` from `srcIp` (workstation name `ws`). */
export function logon(time: number, host: string, user: string, lid: string, srcIp: string, ws: string, type = 3): GarrisonEvent {
  return ev(time, { host, user: `${host}$`, targetUser: user, targetDomain: 'CORP', logonId: lid, logonType: type, srcIp, outcome: 'success' }, { code: '4624', fields: { WorkstationName: ws, IpAddress: srcIp }, cls: { uid: 3002, name: 'authentication' } });
}

/** A Sysmon 1 process creation. */
export function proc(time: number, host: string, guid: string, parentGuid: string, image: string, lid?: string, user = 'CORP\\alice'): GarrisonEvent {
  return ev(time, { host, user: user.split('\\')[1], userDomain: user.split('\\')[0], logonId: lid, process: { guid, image, parent: { guid: parentGuid } } }, { code: '1', cls: { uid: 1007, name: 'process_activity' } });
}
