/**
 * Context for correlation, investigation and response: an asset inventory (criticality, owner,
 * role, crown jewels, tags, addresses) and an identity directory (accounts and their aliases,
 * groups, privileged and service accounts). Loaded from YAML or CSV files (zod-validated, every
 * problem with file:line) or converted from the simulator's organization model.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../core/errors.js';
import type { Org } from '../sim/org/model.js';
import { clean, shortHost } from './util.js';
import { yamlLineOf } from '../core/yaml.js';

export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];

const text = (max: number) => z.string().min(1).max(max);
const list = (max: number) => z.array(text(256)).max(max).default([]);

export const assetSchema = z
  .object({
    name: text(256),
    fqdn: text(256).optional(),
    ips: z.array(z.string().min(2).max(45)).max(256).default([]),
    role: text(64).default('unknown'),
    criticality: z.enum(CRITICALITIES).default('medium'),
    owner: text(256).optional(),
    crownJewel: z.boolean().default(false),
    tags: list(64),
    /** A hub (domain controller, proxy ...) that many unrelated activities touch; see config hubRoles. */
    hub: z.boolean().optional(),
  })
  .strict();
export type Asset = z.output<typeof assetSchema>;

export const identitySchema = z
  .object({
    name: text(256),
    display: text(256).optional(),
    upn: text(320).optional(),
    sid: text(256).optional(),
    /** Cloud identities: Entra object ids, AWS IAM user/role names or ARNs, Okta ids ... */
    cloudIds: list(32),
    /** Other account names of the same person (DOMAIN\\name, adm-name ...). */
    aliases: list(64),
    groups: list(256),
    privileged: z.boolean().default(false),
    service: z.boolean().default(false),
    owner: text(256).optional(),
  })
  .strict();
export type Identity = z.output<typeof identitySchema>;

export const contextFileSchema = z
  .object({
    assets: z.array(assetSchema).max(1_000_000).default([]),
    identities: z.array(identitySchema).max(1_000_000).default([]),
    /** Groups whose members count as privileged. */
    privilegedGroups: list(1000),
  })
  .strict();
export type ContextFile = z.input<typeof contextFileSchema>;

export interface AssetInfo extends Asset {
  key: string;
}
export interface IdentityInfo extends Identity {
  /** Person key: lower-case account name. */
  key: string;
}

export const DEFAULT_HUB_ROLES: ReadonlySet<string> = new Set(['domain_controller', 'dns', 'proxy', 'scanner', 'dhcp', 'gateway', 'vpn']);
const DEFAULT_PRIVILEGED_GROUPS = ['domain admins', 'enterprise admins', 'schema admins', 'administrators', 'it admins', 'server operators', 'backup operators', 'account operators'];

/** Looks up assets by host name, FQDN or address, and identities by any alias. Read-only once built. */
export class ContextIndex {
  private readonly hosts = new Map<string, AssetInfo>();
  private readonly ips = new Map<string, AssetInfo>();
  private readonly users = new Map<string, IdentityInfo>();
  private readonly all: { assets: AssetInfo[]; identities: IdentityInfo[] } = { assets: [], identities: [] };
  /** DNS suffixes of the inventory's FQDNs (corp.example ...). */
  private readonly suffixes = new Set<string>();

  constructor(input: { assets?: Asset[]; identities?: Identity[]; privilegedGroups?: string[] } = {}) {
    const priv = new Set((input.privilegedGroups?.length ? input.privilegedGroups : DEFAULT_PRIVILEGED_GROUPS).map((g) => g.toLowerCase()));
    for (const a of input.assets ?? []) {
      const key = shortHost(a.name)!;
      const info: AssetInfo = { ...a, key };
      this.all.assets.push(info);
      this.hosts.set(key, info);
      if (a.fqdn) {
        const f = a.fqdn.toLowerCase().replace(/\.$/, '');
        this.hosts.set(f, info);
        if (f.indexOf('.') > 0) this.suffixes.add(f.slice(f.indexOf('.') + 1));
      }
      this.hosts.set(a.name.toLowerCase(), info);
      for (const ip of a.ips) this.ips.set(ip.toLowerCase(), info);
    }
    for (const u of input.identities ?? []) {
      const key = accountName(u.name);
      const info: IdentityInfo = { ...u, key, privileged: u.privileged || u.groups.some((g) => priv.has(g.toLowerCase())) };
      this.all.identities.push(info);
      for (const alias of [u.name, u.upn, u.sid, ...u.cloudIds, ...u.aliases]) if (alias) this.users.set(alias.toLowerCase(), info);
      this.users.set(key, info);
    }
  }

  static empty(): ContextIndex {
    return new ContextIndex();
  }

  /** By host name (short or FQDN, any case) or IP address. */
  host(nameOrIp: string | undefined): AssetInfo | undefined {
    if (!nameOrIp) return undefined;
    const l = nameOrIp.trim().toLowerCase().replace(/\.$/, '');
    return this.hosts.get(l) ?? this.ips.get(l) ?? this.hosts.get(shortHost(l) ?? '');
  }

  /**
   * True when a dotted name is not one of ours: the inventory knows internal DNS suffixes and
   * this name ends in none of them (and is not an inventory name).
   */
  isExternalName(name: string): boolean {
    const l = name.trim().toLowerCase().replace(/\.$/, '');
    const dot = l.indexOf('.');
    if (dot <= 0 || this.suffixes.size === 0 || this.hosts.has(l)) return false;
    for (const s of this.suffixes) if (l === s || l.endsWith('.' + s)) return false;
    return true;
  }

  /** The asset that statically owns an address (inventory), if any. */
  hostByIp(ip: string): AssetInfo | undefined {
    return this.ips.get(ip.toLowerCase());
  }

  /** By any alias: name, DOMAIN\\name, UPN, SID, cloud id (any case). */
  user(alias: string | undefined): IdentityInfo | undefined {
    if (!alias) return undefined;
    const l = alias.trim().toLowerCase();
    return this.users.get(l) ?? this.users.get(accountName(l));
  }

  get assets(): readonly AssetInfo[] {
    return this.all.assets;
  }
  get identities(): readonly IdentityInfo[] {
    return this.all.identities;
  }

  /** A hub: flagged so in the inventory, or of a hub role (domain controller, proxy, DNS ...). */
  isHub(a: AssetInfo, roles: ReadonlySet<string> = DEFAULT_HUB_ROLES): boolean {
    return a.hub ?? roles.has(a.role.toLowerCase());
  }

  /** Context attached to an incident's host entity. */
  hostContext(a: AssetInfo): Record<string, unknown> {
    return { role: a.role, criticality: a.criticality, ...(a.owner ? { owner: a.owner } : {}), crownJewel: a.crownJewel, ...(a.tags.length ? { tags: a.tags } : {}) };
  }
  /** Context attached to an incident's user entity. */
  userContext(u: IdentityInfo): Record<string, unknown> {
    return { ...(u.display ? { display: u.display } : {}), privileged: u.privileged, service: u.service, ...(u.groups.length ? { groups: u.groups } : {}) };
  }
}

/** `DOMAIN\\name`, `name@upn-domain` → `name` (lower case). */
export function accountName(v: string): string {
  let s = v.trim().toLowerCase();
  const bs = s.lastIndexOf('\\');
  if (bs >= 0) s = s.slice(bs + 1);
  const at = s.indexOf('@');
  if (at > 0) s = s.slice(0, at);
  return s;
}

// ----------------------------------------------------------------------------------------- files

function fail(problems: ProblemList, file?: string): never {
  throw new GarrisonError('CORRELATE_CONTEXT_INVALID', `context is invalid:\n${problems.format()}`, {
    location: { file, line: problems.problems[0]?.location?.line },
    details: { problems: problems.problems.map((p) => p.toJSON()) },
  });
}

/** Parses a context YAML/JSON document (`assets:`, `identities:`, `privilegedGroups:`). */
export function parseContextYaml(textIn: string, file: string, problems: ProblemList): z.output<typeof contextFileSchema> | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(textIn, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  for (const err of doc.errors) problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', `YAML: ${err.message.split('\n')[0]}`, { location: { file, line: lc.linePos(err.pos[0]).line } }));
  if (doc.errors.length) return undefined;
  const r = contextFileSchema.safeParse(doc.toJS() ?? {});
  if (r.success) return r.data;
  for (const i of r.error.issues) {
    const path = i.path.filter((p): p is string | number => typeof p !== 'symbol');
    const line = yamlLineOf(doc, lc, path);
    problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', `${path.join('.') || '(root)'}: ${i.message}`, { location: { file, line, field: path.join('.') } }));
  }
  return undefined;
}

/** Minimal RFC 4180 CSV: quoted fields with "" escapes, CRLF or LF. Returns rows with their 1-based line. */
export function parseCsv(textIn: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cur = '';
  let q = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < textIn.length; i++) {
    const c = textIn[i];
    if (q) {
      if (c === '"') {
        if (textIn[i + 1] === '"') {
          cur += '"';
          i++;
        } else q = false;
      } else {
        if (c === '\n') line++;
        cur += c;
      }
      continue;
    }
    if (c === '"' && cur === '') q = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && textIn[i + 1] === '\n') i++;
      cells.push(cur);
      if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells });
      cells = [];
      cur = '';
      line++;
      rowLine = line;
    } else cur += c;
  }
  cells.push(cur);
  if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells });
  return rows;
}

const BOOL = new Map([['true', true], ['yes', true], ['1', true], ['false', false], ['no', false], ['0', false], ['', false]]);

/**
 * Parses an asset CSV (`name,fqdn,ips,role,criticality,owner,crown_jewel,tags`) or identity CSV
 * (`name,display,upn,sid,cloud_ids,aliases,groups,privileged,service`); lists inside a cell are
 * separated by `;`. Which one is decided by the header (`criticality` → assets).
 */
export function parseContextCsv(textIn: string, file: string, problems: ProblemList): z.output<typeof contextFileSchema> | undefined {
  const rows = parseCsv(textIn);
  if (rows.length === 0) {
    problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', 'empty CSV: a header line is required', { location: { file, line: 1 } }));
    return undefined;
  }
  const header = rows[0].cells.map((h) => h.trim().toLowerCase());
  const isAssets = header.includes('criticality') || header.includes('role');
  const known = isAssets ? ['name', 'fqdn', 'ips', 'role', 'criticality', 'owner', 'crown_jewel', 'tags', 'hub'] : ['name', 'display', 'upn', 'sid', 'cloud_ids', 'aliases', 'groups', 'privileged', 'service', 'owner'];
  const before = problems.problems.length;
  header.forEach((h, i) => {
    if (!known.includes(h)) problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', `unknown column "${clean(h, 64)}" (known: ${known.join(', ')})`, { location: { file, line: rows[0].line, column: i + 1 } }));
  });
  if (!header.includes('name')) problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', 'the header needs a "name" column', { location: { file, line: rows[0].line } }));
  if (problems.problems.length > before) return undefined;
  const out: z.output<typeof contextFileSchema> = { assets: [], identities: [], privilegedGroups: [] };
  for (const row of rows.slice(1)) {
    if (row.cells.length !== header.length) {
      problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', `expected ${header.length} cells, found ${row.cells.length}`, { location: { file, line: row.line } }));
      continue;
    }
    const obj: Record<string, unknown> = {};
    const bad: string[] = [];
    header.forEach((h, i) => {
      const v = row.cells[i].trim();
      const split = (): string[] => v.split(';').map((x) => x.trim()).filter(Boolean);
      const bool = (): boolean | undefined => {
        const b = BOOL.get(v.toLowerCase());
        if (b === undefined) bad.push(`${h}: expected true/false, got "${clean(v, 32)}"`);
        return b;
      };
      if (v === '' && !['crown_jewel', 'privileged', 'service', 'hub'].includes(h)) return;
      switch (h) {
        case 'ips': obj.ips = split(); break;
        case 'tags': obj.tags = split(); break;
        case 'cloud_ids': obj.cloudIds = split(); break;
        case 'aliases': obj.aliases = split(); break;
        case 'groups': obj.groups = split(); break;
        case 'crown_jewel': obj.crownJewel = bool(); break;
        case 'hub': if (v !== '') obj.hub = bool(); break;
        case 'privileged': obj.privileged = bool(); break;
        case 'service': obj.service = bool(); break;
        default: obj[h] = v;
      }
    });
    for (const b of bad) problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', b, { location: { file, line: row.line } }));
    const r = (isAssets ? assetSchema : identitySchema).safeParse(obj);
    if (!r.success) {
      for (const i of r.error.issues) problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', `${i.path.map(String).join('.') || '(row)'}: ${i.message}`, { location: { file, line: row.line, field: i.path.map(String).join('.') } }));
      continue;
    }
    if (bad.length) continue;
    if (isAssets) out.assets.push(r.data as Asset);
    else out.identities.push(r.data as Identity);
  }
  return out;
}

/** Loads context files (`.yaml`/`.yml`/`.json` or `.csv`); every problem of every file is reported at once. */
export function loadContextFiles(files: readonly string[]): ContextIndex {
  const problems = new ProblemList();
  const assets: Asset[] = [];
  const identities: Identity[] = [];
  const privilegedGroups: string[] = [];
  for (const file of files) {
    let t: string;
    try {
      t = readFileSync(file, 'utf8');
    } catch (e) {
      problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', `cannot read: ${(e as Error).message}`, { location: { file } }));
      continue;
    }
    const parsed = extname(file).toLowerCase() === '.csv' ? parseContextCsv(t, file, problems) : parseContextYaml(t, file, problems);
    if (!parsed) continue;
    assets.push(...parsed.assets);
    identities.push(...parsed.identities);
    privilegedGroups.push(...parsed.privilegedGroups);
  }
  if (!problems.ok) fail(problems, files.length === 1 ? files[0] : undefined);
  return new ContextIndex({ assets, identities, privilegedGroups });
}

/** Builds context from in-memory data (the API, tests); validates like the files do. */
export function contextFromData(data: ContextFile, source = '(data)'): ContextIndex {
  const r = contextFileSchema.safeParse(data);
  if (!r.success) {
    const problems = new ProblemList();
    for (const i of r.error.issues) problems.add(new GarrisonError('CORRELATE_CONTEXT_INVALID', `${i.path.map(String).join('.') || '(root)'}: ${i.message}`, { location: { file: source, field: i.path.map(String).join('.') } }));
    fail(problems, source);
  }
  return new ContextIndex(r.data);
}

/**
 * The simulator's organization as context: every host (with its IP, role, criticality, owner;
 * critical servers are crown jewels; the proxy, DNS servers and the egress address become hub
 * assets) and every account (admins privileged, service accounts flagged, UPN, SID and Entra
 * object id as aliases).
 */
export function contextFromOrg(org: Org): ContextIndex {
  const assets: Asset[] = org.hosts.map((h) => ({
    name: h.name,
    fqdn: h.fqdn,
    ips: [h.ip],
    role: h.role,
    criticality: h.criticality,
    owner: h.owner,
    crownJewel: h.criticality === 'critical',
    tags: [h.os, h.role === 'workstation' ? 'workstation' : 'server'],
  }));
  const net = org.file.network;
  const taken = new Set(org.hosts.map((h) => h.ip));
  if (!taken.has(net.proxy.ip)) assets.push({ name: 'proxy', ips: [net.proxy.ip], role: 'proxy', criticality: 'high', crownJewel: false, tags: ['infrastructure'], hub: true });
  for (const [i, ip] of net.dnsServers.entries()) if (!taken.has(ip)) assets.push({ name: `dns${i + 1}`, ips: [ip], role: 'dns', criticality: 'high', crownJewel: false, tags: ['infrastructure'], hub: true });
  assets.push({ name: 'egress', ips: [...new Set([net.egressIp, net.officeLocation.ip])], role: 'gateway', criticality: 'medium', crownJewel: false, tags: ['infrastructure', 'egress'], hub: true });
  const identities: Identity[] = org.users.map((u) => ({
    name: u.name,
    display: u.display,
    upn: u.upn,
    sid: u.sid,
    cloudIds: [u.objectId],
    aliases: [`${org.netbios}\\${u.name}`],
    groups: u.groups,
    privileged: u.kind === 'admin',
    service: u.kind === 'service',
  }));
  return new ContextIndex({ assets, identities });
}
