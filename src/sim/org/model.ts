/**
 * The organization model: loads the YAML file (collecting every problem with file:line) and
 * expands it deterministically, from a seed, into concrete hosts and users.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import ipaddr from 'ipaddr.js';
import { GarrisonError, ProblemList } from '../../core/errors.js';
import { Rng } from '../prng.js';
import { OrgFileSchema, type OrgFile } from './schema.js';
import { yamlLineOf as lineOf } from '../../core/yaml.js';

export type HostRole = 'workstation' | OrgFile['servers'][number]['role'];
export type Criticality = 'low' | 'medium' | 'high' | 'critical';

export interface Host {
  name: string; // as the machine names itself (NetBIOS-style upper case for Windows)
  fqdn: string;
  ip: string;
  mac: string;
  os: 'windows' | 'linux';
  role: HostRole;
  criticality: Criticality;
  owner: string; // account name of the owner / primary user
  /** Numeric part of machine-local ids (Sysmon ProcessGuid prefix). */
  guidPrefix: string;
  /** Machine SID (S-1-5-21-a-b-c) for local accounts. */
  sid: string;
}

export type UserKind = 'regular' | 'admin' | 'service';

export interface User {
  name: string; // sAMAccountName
  display: string;
  upn: string; // user principal name (e-mail form)
  sid: string;
  kind: UserKind;
  groups: string[];
  /** Workstation normally used (regular users and admins). */
  workstation?: string;
  /** Entra ID object id. */
  objectId: string;
}

export interface Org {
  file: OrgFile;
  name: string;
  netbios: string;
  dnsDomain: string;
  domainSid: string;
  hosts: Host[];
  users: User[];
  hostByName: Map<string, Host>;
  userByName: Map<string, User>;
  workstations: Host[];
  servers: Host[];
  byRole(role: HostRole): Host[];
}

/**
 * The shipped organization file. Beside this module when run from source (tsx); the compiled build
 * (dist/sim/org/) does not copy YAML, so it falls back to the file in the source tree.
 */
export const DEFAULT_ORG_PATH = [new URL('./default-org.yaml', import.meta.url), new URL('../../../src/sim/org/default-org.yaml', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p)) ?? fileURLToPath(new URL('./default-org.yaml', import.meta.url));

const FIRST = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Priya', 'Karen', 'Daniel', 'Lisa', 'Matthew', 'Nancy', 'Anthony', 'Sandra', 'Mark', 'Aisha', 'Paul', 'Ashley', 'Steven', 'Emily', 'Andrew', 'Donna', 'Kenji', 'Michelle', 'Joshua', 'Carol', 'Kevin', 'Amanda', 'Brian', 'Olga', 'Tomasz', 'Fatima', 'Lukas', 'Chloe'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Novak', 'Kowalski', 'Schmidt', 'Patel', 'Singh', 'Okafor', 'Tanaka'];

/** Reads and validates an organization file; every problem is reported with file:line. */
export function loadOrgFile(path: string = DEFAULT_ORG_PATH): OrgFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GarrisonError('SIM_ORG_INVALID', `cannot read the organization file: ${(e as Error).message}`, { location: { file: path }, cause: e });
  }
  return parseOrgFile(text, path);
}

export function parseOrgFile(text: string, file: string): OrgFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const problems = new ProblemList();
  for (const err of doc.errors) {
    const pos = lc.linePos(err.pos[0]);
    problems.add(new GarrisonError('SIM_ORG_INVALID', `YAML: ${err.message.split('\n')[0]}`, { location: { file, line: pos.line, column: pos.col } }));
  }
  if (problems.ok) {
    const res = OrgFileSchema.safeParse(doc.toJS());
    if (!res.success) {
      for (const issue of res.error.issues) {
        const p = issue.path.filter((x): x is string | number => typeof x !== 'symbol');
        problems.add(new GarrisonError('SIM_ORG_INVALID', `${p.join('.') || '(root)'}: ${issue.message}`, { location: { file, line: lineOf(doc, lc, p), field: p.join('.') } }));
      }
    } else {
      semanticChecks(res.data, file, doc, lc, problems);
      if (problems.ok) return res.data;
    }
  }
  throw new GarrisonError('SIM_ORG_INVALID', `the organization file has ${problems.problems.length} problem(s):\n${problems.format()}`, {
    location: { file, line: problems.problems[0]?.location?.line },
    details: { problems: problems.problems.map((p) => p.toJSON()) },
  });
}


function semanticChecks(f: OrgFile, file: string, doc: ReturnType<typeof parseDocument>, lc: LineCounter, problems: ProblemList): void {
  const add = (path: (string | number)[], msg: string): void =>
    problems.add(new GarrisonError('SIM_ORG_INVALID', `${path.join('.')}: ${msg}`, { location: { file, line: lineOf(doc, lc, path), field: path.join('.') } }));
  const dcs = f.servers.filter((s) => s.role === 'domain_controller');
  if (dcs.length === 0) add(['servers'], 'at least one server with role domain_controller is required');
  for (const role of ['file_server', 'web_server'] as const) {
    if (!f.servers.some((s) => s.role === role)) add(['servers'], `a server with role ${role} is required by the attack campaigns`);
  }
  const names = new Set<string>();
  const ips = new Set<string>();
  const [srvNet, srvLen] = ipaddr.parseCIDR(f.network.serverPrefix);
  f.servers.forEach((s, i) => {
    const k = s.name.toLowerCase();
    if (names.has(k)) add(['servers', i, 'name'], `duplicate host name ${s.name}`);
    names.add(k);
    if (ips.has(s.ip)) add(['servers', i, 'ip'], `duplicate IP address ${s.ip}`);
    ips.add(s.ip);
    if (!ipaddr.IPv4.parse(s.ip).match(srvNet as ipaddr.IPv4, srvLen)) add(['servers', i, 'ip'], `${s.ip} is outside network.serverPrefix ${f.network.serverPrefix}`);
  });
  const accounts = new Set<string>();
  const all = [...f.admins.map((a, i) => ['admins', i, a.name] as const), ...f.serviceAccounts.map((a, i) => ['serviceAccounts', i, a.name] as const)];
  for (const [sec, i, n] of all) {
    if (accounts.has(n.toLowerCase())) add([sec, i, 'name'], `duplicate account name ${n}`);
    accounts.add(n.toLowerCase());
  }
  f.servers.forEach((s, i) => {
    if (!accounts.has(s.owner.toLowerCase())) add(['servers', i, 'owner'], `owner ${s.owner} is not a listed admin or service account`);
  });
  const [, wsLen] = ipaddr.parseCIDR(f.network.workstationPrefix);
  const capacity = 2 ** (32 - wsLen) - 2;
  if (f.workstations.count > capacity) add(['workstations', 'count'], `${f.workstations.count} workstations do not fit in ${f.network.workstationPrefix}`);
}

export interface ExpandOptions {
  /** Overrides the total number of hosts (servers are kept; workstations fill the rest). */
  hosts?: number;
}

/** Expands the file into concrete hosts and users. Deterministic for a given seed. */
export function expandOrg(f: OrgFile, seed: number, opts: ExpandOptions = {}): Org {
  const rng = new Rng(seed).fork('org');
  const wsCount = opts.hosts !== undefined ? Math.max(1, opts.hosts - f.servers.length) : f.workstations.count;
  const userCount = opts.hosts !== undefined ? Math.max(1, Math.round(wsCount * 1.1)) : f.regularUsers.count;
  const domainSid = `S-1-5-21-${rng.range(1_000_000_000, 4_000_000_000)}-${rng.range(1_000_000_000, 4_000_000_000)}-${rng.range(100_000_000, 4_000_000_000)}`;
  let rid = 1104;
  const users: User[] = [];
  const taken = new Set<string>();
  const mkUser = (nameRaw: string, display: string, kind: UserKind, groups: string[]): User => {
    let name = nameRaw;
    for (let n = 2; taken.has(name); n++) name = `${nameRaw}${n}`;
    taken.add(name);
    return { name, display, upn: `${name}@${f.emailDomain}`, sid: `${domainSid}-${rid++}`, kind, groups, objectId: guidFrom(rng), workstation: undefined };
  };
  for (const a of f.admins) users.push(mkUser(a.name, a.display, 'admin', a.groups));
  for (const s of f.serviceAccounts) users.push(mkUser(s.name, s.display, 'service', s.groups));
  for (let i = 0; i < userCount; i++) {
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    users.push(mkUser(`${first[0]}.${last}`.toLowerCase(), `${first} ${last}`, 'regular', [...f.regularUsers.groups]));
  }
  const hosts: Host[] = [];
  const mkHost = (h: Omit<Host, 'fqdn' | 'mac' | 'guidPrefix' | 'sid'>): Host => ({
    ...h,
    fqdn: `${h.name.toLowerCase()}.${f.dnsDomain}`,
    mac: ['00', '15', '5d', rng.hex(2), rng.hex(2), rng.hex(2)].join(':'),
    guidPrefix: rng.hex(8).toUpperCase(),
    sid: `S-1-5-21-${rng.range(1_000_000_000, 4_000_000_000)}-${rng.range(1_000_000_000, 4_000_000_000)}-${rng.range(100_000_000, 4_000_000_000)}`,
  });
  for (const s of f.servers) hosts.push(mkHost({ name: s.os === 'windows' ? s.name.toUpperCase() : s.name.toLowerCase(), ip: s.ip, os: s.os, role: s.role, criticality: s.criticality, owner: s.owner }));
  const [wsNet] = ipaddr.parseCIDR(f.network.workstationPrefix);
  const base = ipaddr.IPv4.parse(wsNet.toString()).toByteArray();
  const baseInt = ((base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]) >>> 0;
  const regular = users.filter((u) => u.kind === 'regular');
  const admins = users.filter((u) => u.kind === 'admin');
  const width = Math.max(3, String(wsCount).length);
  for (let i = 0; i < wsCount; i++) {
    const n = baseInt + 10 + i;
    const ip = [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    const owner = i < admins.length ? admins[i] : regular[(i - admins.length) % regular.length];
    const name = `${f.workstations.namePrefix}${String(i + 1).padStart(width, '0')}`.toUpperCase();
    hosts.push(mkHost({ name, ip, os: 'windows', role: 'workstation', criticality: 'low', owner: owner.name }));
    if (!owner.workstation) owner.workstation = name;
  }
  const hostByName = new Map(hosts.map((h) => [h.name, h] as const));
  const userByName = new Map(users.map((u) => [u.name, u] as const));
  const workstations = hosts.filter((h) => h.role === 'workstation');
  const servers = hosts.filter((h) => h.role !== 'workstation');
  return {
    file: f,
    name: f.name,
    netbios: f.netbiosDomain,
    dnsDomain: f.dnsDomain,
    domainSid,
    hosts,
    users,
    hostByName,
    userByName,
    workstations,
    servers,
    byRole: (role) => hosts.filter((h) => h.role === role),
  };
}

function guidFrom(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[rng.int(4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
export { guidFrom };
