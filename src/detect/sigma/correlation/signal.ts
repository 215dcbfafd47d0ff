/**
 * Turns a correlation hit into a `sigma_correlation` Signal.
 */
import { createHash } from 'node:crypto';
import type { EventEntities } from '../../../core/event.js';
import type { AttackRef, Level, Signal } from '../../../core/signal.js';
import { attackFromTags } from '../../attack/index.js';
import type { CorrelationHit } from './types.js';

const SCORE: Record<Level, number> = { informational: 10, low: 30, medium: 50, high: 75, critical: 95 };

/** Group-by field names (lower-case) that name an entity. */
const ENTITY_FIELDS: Record<string, keyof EventEntities> = {
  computer: 'host',
  computername: 'host',
  hostname: 'host',
  host: 'host',
  'host.name': 'host',
  workstationname: 'host',
  user: 'user',
  username: 'user',
  'user.name': 'user',
  targetusername: 'targetUser',
  subjectusername: 'user',
  sourceip: 'srcIp',
  src_ip: 'srcIp',
  'source.ip': 'srcIp',
  ipaddress: 'srcIp',
  destinationip: 'dstIp',
  dst_ip: 'dstIp',
  'destination.ip': 'dstIp',
  'dns.question.name': 'domain',
  queryname: 'domain',
};

export interface HitToSignalOptions {
  tenant: string;
  /** createdAt, ms epoch (default Date.now()). */
  now?: number;
  /** Overrides the tag -> ATT&CK mapping (default: src/detect/attack attackFromTags, ATT&CK v18 + v19 tactic names). */
  attack?: (tags: readonly string[]) => AttackRef;
  /** Extra entities (merged over the ones derived from group-by values). */
  entities?: EventEntities;
}

/**
 * Builds the Signal for a hit. The id is stable (same rule, group, window and time → same id), so
 * a retro-hunt re-run does not duplicate signals. Entities are derived from well-known group-by
 * field names (ComputerName → host, User → user, SourceIP → srcIp ...).
 */
export function hitToSignal(hit: CorrelationHit, opts: HitToSignalOptions): Signal {
  const entities: EventEntities = {};
  for (const [f, v] of Object.entries(hit.groupBy)) {
    if (v === null) continue;
    const k = ENTITY_FIELDS[f.toLowerCase()];
    if (k && (entities as Record<string, unknown>)[k] === undefined) (entities as Record<string, unknown>)[k] = v;
  }
  Object.assign(entities, opts.entities ?? {});
  const id = createHash('sha1')
    .update(hit.ruleId)
    .update('\0')
    .update(JSON.stringify(hit.groupBy))
    .update('\0')
    .update(String(hit.window.start))
    .update('\0')
    .update(String(hit.time))
    .digest('hex')
    .slice(0, 32);
  return {
    id,
    tenant: opts.tenant,
    kind: 'sigma_correlation',
    detector: hit.ruleId,
    title: hit.title,
    level: hit.level,
    score: SCORE[hit.level],
    time: hit.time,
    createdAt: opts.now ?? Date.now(),
    attack: (opts.attack ?? attackFromTags)(hit.tags),
    eventIds: hit.eventIds,
    entities,
    details: {
      correlationType: hit.type,
      tags: hit.tags,
      groupBy: hit.groupBy,
      window: hit.window,
      value: hit.value,
      condition: hit.condition,
      eventCount: hit.eventCount,
      ruleIds: hit.ruleIds,
      ...(hit.name !== undefined ? { name: hit.name } : {}),
      ...(hit.values ? { values: hit.values } : {}),
    },
  };
}
