/**
 * Asset / identity context for response. Accepts either the small ResponseContext interface
 * (types.ts) or correlation's ContextIndex (src/correlate/context.ts: `host(name)` / `user(alias)`),
 * described structurally here so response does not depend on correlation's module.
 */
import { cidrContains } from './actions/targets.js';
import type { AccountType, AssetInfo, Criticality, IdentityInfo, ResponseContext } from './types.js';
import { CRITICALITIES } from './types.js';

/** The shape of correlation's ContextIndex that response reads. */
export interface ContextSource {
  host(nameOrIp: string | undefined): { role?: string; criticality?: string; crownJewel?: boolean; tags?: readonly string[]; ips?: readonly string[] } | undefined;
  user(alias: string | undefined): { privileged?: boolean; service?: boolean; groups?: readonly string[] } | undefined;
  readonly assets?: readonly { ips?: readonly string[] }[];
}

const BREAK_GLASS = /break[ _-]?glass|emergency[ _-]?access/i;

function isResponseContext(c: ResponseContext | ContextSource): c is ResponseContext {
  return typeof (c as ResponseContext).asset === 'function' && typeof (c as ResponseContext).identity === 'function';
}

/** Normalises either kind of context into a ResponseContext. */
export function responseContext(c: ResponseContext | ContextSource | undefined): ResponseContext | undefined {
  if (!c) return undefined;
  if (isResponseContext(c)) return c;
  return {
    asset(host: string): AssetInfo | undefined {
      const a = c.host(host);
      if (!a) return undefined;
      const tags = [...(a.tags ?? [])];
      if (a.role && a.role !== 'unknown') tags.push(a.role);
      return {
        criticality: CRITICALITIES.includes(a.criticality as Criticality) ? (a.criticality as Criticality) : undefined,
        crownJewel: a.crownJewel === true || undefined,
        tags: tags.length ? tags : undefined,
        ip: a.ips?.[0],
      };
    },
    identity(account: string): IdentityInfo | undefined {
      const u = c.user(account);
      if (!u) return undefined;
      const groups = u.groups ?? [];
      const type: AccountType = groups.some((g) => BREAK_GLASS.test(g)) ? 'break_glass' : u.service ? 'service' : u.privileged ? 'privileged' : 'regular';
      return { type, privileged: u.privileged === true || undefined, tags: groups.length ? groups.slice(0, 50).map((g) => g.toLowerCase().replace(/\s+/g, '_')) : undefined };
    },
    hostsIn(cidr: string): number {
      if (!c.assets) return 0;
      let n = 0;
      for (const a of c.assets) if ((a.ips ?? []).some((ip) => cidrContains(cidr, ip))) n++;
      return n;
    },
  };
}
