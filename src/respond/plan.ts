/**
 * The planner: from an incident and its verdict, the containment actions worth considering, one
 * per entity (isolate the hosts, block the external addresses and domains, disable the accounts,
 * kill the processes, quarantine the files, notify). Every candidate then goes through the policy.
 *
 * Entities are attacker-influenced: a value that does not validate as a target is skipped (and
 * reported), never passed on.
 */
import type { Incident, IncidentEntity, IncidentVerdict } from '../core/incident.js';
import { ACTIONS, isPublicAddress } from './actions/registry.js';
import { canonicalTarget, describeTarget, parseCidr } from './actions/targets.js';
import type { Policy } from './policy/load.js';
import type { AccountType, ActionTarget, AssetInfo, Criticality, ForwardKind, IdentityInfo, ResponseContext, BlastRadius } from './types.js';
import { CRITICALITIES } from './types.js';

export interface PlannedAction {
  kind: ForwardKind;
  target: ActionTarget;
  why: string;
  entityRole?: string;
  asset?: AssetInfo;
  identity?: IdentityInfo;
  blast: BlastRadius;
  signalIds: string[];
}

export interface Plan {
  actions: PlannedAction[];
  /** Entities that could not become a target, with why. */
  skipped: { entity: string; reason: string }[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 512 ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 64).slice(0, 50) : []);

/** Asset context from an incident entity's `context` (lenient: unknown fields are ignored). */
export function assetFromEntity(ctx: Record<string, unknown> | undefined): AssetInfo | undefined {
  if (!ctx) return undefined;
  const crit = str(ctx.criticality)?.toLowerCase();
  const tags = [...strs(ctx.tags), ...strs(ctx.roles)];
  const role = str(ctx.role);
  if (role) tags.push(role);
  const a: AssetInfo = {
    criticality: CRITICALITIES.includes(crit as Criticality) ? (crit as Criticality) : undefined,
    crownJewel: ctx.crownJewel === true || ctx.crown_jewel === true || undefined,
    tags: tags.length ? tags : undefined,
    ip: str(ctx.ip),
    agentId: str(ctx.agentId),
  };
  return Object.values(a).some((v) => v !== undefined) ? a : undefined;
}

const ACCOUNT_TYPES: AccountType[] = ['regular', 'admin', 'privileged', 'service', 'break_glass'];

export function identityFromEntity(ctx: Record<string, unknown> | undefined): IdentityInfo | undefined {
  if (!ctx) return undefined;
  const raw = (str(ctx.accountType) ?? str(ctx.type) ?? str(ctx.kind))?.toLowerCase().replace(/[- ]/g, '_');
  let type = ACCOUNT_TYPES.includes(raw as AccountType) ? (raw as AccountType) : undefined;
  const tags = strs(ctx.tags);
  if (!type && (ctx.breakGlass === true || tags.includes('break_glass'))) type = 'break_glass';
  if (!type && ctx.service === true) type = 'service';
  if (!type && ctx.privileged === true) type = 'privileged';
  const i: IdentityInfo = { type, privileged: ctx.privileged === true || undefined, tags: tags.length ? tags : undefined, hosts: typeof ctx.hosts === 'number' ? ctx.hosts : undefined };
  return Object.values(i).some((v) => v !== undefined) ? i : undefined;
}

function merge<T extends object>(a: T | undefined, b: T | undefined): T | undefined {
  if (!a) return b;
  if (!b) return a;
  const out = { ...a } as Record<string, unknown>;
  for (const [k, v] of Object.entries(b)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Builds the candidate actions for an incident. */
export function planIncident(incident: Incident, verdict: IncidentVerdict, policy: Policy, opts: { context?: ResponseContext } = {}): Plan {
  const out: PlannedAction[] = [];
  const skipped: Plan['skipped'] = [];
  if (verdict.verdict === 'benign' || !(policy.plan.verdicts as string[]).includes(verdict.verdict)) return { actions: out, skipped };
  const allowed = new Set<ForwardKind>(policy.plan.actions);
  const hosts = incident.entities.filter((e) => e.kind === 'host');
  const assetOf = (host: string, e?: IncidentEntity): AssetInfo | undefined => merge(assetFromEntity(e?.context ?? hosts.find((h) => h.value === host)?.context), opts.context?.asset(host));
  const hostFor = (e: IncidentEntity): string | undefined => {
    const h = str(e.context?.host);
    if (h) return h;
    const distinct = [...new Set(hosts.map((x) => x.value.toLowerCase()))];
    return distinct.length === 1 ? hosts[0]!.value : undefined;
  };
  const add = (kind: ForwardKind, raw: ActionTarget, e: IncidentEntity, why: string, asset?: AssetInfo, identity?: IdentityInfo): void => {
    if (!allowed.has(kind)) return;
    let target: ActionTarget;
    try {
      target = canonicalTarget(raw);
    } catch (err) {
      skipped.push({ entity: `${e.kind}:${e.value.slice(0, 200)}`, reason: (err as Error).message });
      return;
    }
    const blast = ACTIONS[kind].blastRadius(target, { asset, identity, context: opts.context });
    out.push({ kind, target, why: `${why}: ${describeTarget(target)}`, entityRole: e.role, asset, identity, blast, signalIds: e.signalIds.slice(0, 200) });
  };
  for (const e of incident.entities) {
    const role = e.role ? ` (${e.role})` : '';
    switch (e.kind) {
      case 'host': {
        const asset = assetOf(e.value, e);
        add('isolate_host', { type: 'host', host: e.value, ip: asset?.ip, agentId: asset?.agentId }, e, `host involved in the incident${role}`, asset);
        break;
      }
      case 'ip': {
        let isPublic = false;
        try {
          isPublic = isPublicAddress(parseCidr(e.value).text);
        } catch {
          isPublic = false;
        }
        if (!isPublic) {
          skipped.push({ entity: `ip:${e.value.slice(0, 64)}`, reason: 'internal address: contained through its host, not blocked' });
          break;
        }
        if (e.role && ['victim', 'target'].includes(e.role.toLowerCase())) break;
        add('block_ip', { type: 'ip', cidr: e.value }, e, `external address in the incident${role}`);
        break;
      }
      case 'domain':
        if (e.role && ['victim', 'target'].includes(e.role.toLowerCase())) break;
        add('block_domain', { type: 'domain', domain: e.value }, e, `domain in the incident${role}`);
        break;
      case 'user':
      case 'cloud_identity': {
        const identity = merge(identityFromEntity(e.context), opts.context?.identity(e.value));
        add('disable_account', { type: 'account', account: e.value }, e, `account used in the incident${role}`, undefined, identity);
        add('revoke_sessions', { type: 'account', account: e.value }, e, `sessions of the account used in the incident${role}`, undefined, identity);
        break;
      }
      case 'process': {
        const host = hostFor(e);
        if (!host) {
          skipped.push({ entity: `process:${e.value.slice(0, 64)}`, reason: 'no host known for the process' });
          break;
        }
        const asset = assetOf(host);
        const pid = Number(e.context?.pid);
        const guid = /^[A-Za-z0-9{}-]{1,64}$/.test(e.value) && !/^\d+$/.test(e.value) ? e.value : undefined;
        add(
          'kill_process',
          { type: 'process', host, pid: Number.isInteger(pid) && pid > 0 ? pid : /^\d{1,10}$/.test(e.value) ? Number(e.value) : undefined, guid, image: str(e.context?.image) ?? str(e.display), ip: asset?.ip, agentId: asset?.agentId },
          e,
          `process in the incident${role}`,
          asset,
        );
        break;
      }
      case 'file':
      case 'hash': {
        const host = hostFor(e);
        if (!host) {
          skipped.push({ entity: `${e.kind}:${e.value.slice(0, 64)}`, reason: 'no host known for the file' });
          break;
        }
        const asset = assetOf(host);
        const target: ActionTarget = e.kind === 'hash' ? { type: 'file', host, sha256: e.value, path: str(e.context?.path) } : { type: 'file', host, path: e.value, sha256: str(e.context?.sha256) };
        add('quarantine_file', { ...target, ip: asset?.ip, agentId: asset?.agentId }, e, `file in the incident${role}`, asset);
        break;
      }
      default:
        break;
    }
  }
  if (allowed.has('notify')) {
    for (const ch of policy.plan.notify) {
      const subject = `[garrison] ${verdict.verdict} (${Math.round(verdict.confidence * 100)}%): ${incident.title}`.slice(0, 300);
      const pseudo: IncidentEntity = { kind: 'url', value: ch, firstSeen: incident.firstSeen, lastSeen: incident.lastSeen, signalIds: incident.signalIds.slice(0, 50) };
      add('notify', { type: 'channel', channel: ch, subject }, pseudo, 'tell the responders');
    }
  }
  // One candidate per kind + target (an entity can appear twice, e.g. host by name and by FQDN).
  const seen = new Set<string>();
  const unique = out.filter((a) => {
    const k = `${a.kind}|${JSON.stringify(a.target)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { actions: unique, skipped };
}
