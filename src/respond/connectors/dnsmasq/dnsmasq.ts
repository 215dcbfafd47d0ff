/**
 * DNS sinkhole through dnsmasq. Garrison owns two files that dnsmasq re-reads on SIGHUP:
 *
 *   hostsFile   (dnsmasq --addn-hosts=FILE): `0.0.0.0 evil.example` and `:: evil.example` — the
 *               blocked name answers the sinkhole address;
 *   serversFile (dnsmasq --servers-file=FILE, optional): `server=/evil.example/` — every name
 *               under the blocked domain is answered locally only (NXDOMAIN), not forwarded.
 *
 * After writing (atomically: temp file + rename) it sends SIGHUP to the pid in pidFile. When
 * `verify` names the server, observe() also asks it for real (node's resolver) and only reports
 * the domain blocked when the server answers the sinkhole — a read-back of the running server,
 * not just of the file. Domain names are validated strictly (actions/targets.ts) and again here
 * before any line is written.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { promises as dnsp } from 'node:dns';
import { dirname } from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { GarrisonError } from '../../../core/errors.js';
import { parseBlockDomain } from '../../actions/targets.js';
import type { ActionTarget, ForwardKind } from '../../types.js';
import { permanent, transient, type Connector, type ConnectorCall, type ConnectorHealth } from '../port.js';

const ip = (fam: 4 | 6) => z.string().refine((s) => ipaddr.isValid(s) && ipaddr.parse(s).kind() === (fam === 4 ? 'ipv4' : 'ipv6'), { message: `expected an IPv${fam} address` });

export const DnsmasqConfigSchema = z.strictObject({
  hostsFile: z.string().min(1),
  serversFile: z.string().min(1).optional(),
  pidFile: z.string().min(1),
  sinkholeV4: ip(4).default('0.0.0.0'),
  sinkholeV6: ip(6).default('::'),
  /** Query this server after each change (read-back through DNS). */
  verify: z.strictObject({ server: z.string().refine((s) => ipaddr.isValid(s), { message: 'expected an IP address' }), port: z.number().int().min(1).max(65535).default(53), timeoutMs: z.number().int().min(50).max(30_000).default(2000) }).optional(),
});
export type DnsmasqConfig = z.input<typeof DnsmasqConfigSchema>;

const STRICT = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const HEADER = '# Managed by Garrison (docs/response.md): blocked domains. Do not edit by hand.\n';

export class DnsmasqConnector implements Connector {
  readonly type = 'dnsmasq';
  readonly kinds: readonly ForwardKind[] = ['block_domain'];
  private readonly cfg: z.output<typeof DnsmasqConfigSchema>;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    config: DnsmasqConfig,
  ) {
    this.cfg = DnsmasqConfigSchema.parse(config);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.lock.then(fn, fn);
    this.lock = p.catch(() => undefined);
    return p;
  }

  /** Blocked domains, read from the hosts file. */
  blocked(): string[] {
    if (!existsSync(this.cfg.hostsFile)) return [];
    let text: string;
    try {
      text = readFileSync(this.cfg.hostsFile, 'utf8');
    } catch (e) {
      throw transient(`${this.name}: cannot read ${this.cfg.hostsFile}: ${(e as Error).message}`, e);
    }
    const out = new Set<string>();
    for (const line of text.split('\n')) {
      const m = /^\s*(\S+)\s+(\S+)/.exec(line);
      if (!m || line.trimStart().startsWith('#')) continue;
      if (STRICT.test(m[2]!)) out.add(m[2]!);
    }
    return [...out].sort();
  }

  private write(domains: string[]): void {
    for (const d of domains) if (!STRICT.test(d)) throw new GarrisonError('RESPOND_TARGET_INVALID', `refusing to write '${d}' to the blocklist`);
    const hosts = HEADER + domains.map((d) => `${this.cfg.sinkholeV4} ${d}\n${this.cfg.sinkholeV6} ${d}\n`).join('');
    atomicWrite(this.cfg.hostsFile, hosts);
    if (this.cfg.serversFile) atomicWrite(this.cfg.serversFile, HEADER + domains.map((d) => `server=/${d}/\n`).join(''));
  }

  private reload(): void {
    let pid: number;
    try {
      pid = Number(readFileSync(this.cfg.pidFile, 'utf8').trim());
    } catch (e) {
      throw transient(`${this.name}: cannot read dnsmasq pid file ${this.cfg.pidFile}: ${(e as Error).message}`, e);
    }
    if (!Number.isInteger(pid) || pid <= 1) throw permanent(`${this.name}: ${this.cfg.pidFile} does not hold a process id`);
    try {
      process.kill(pid, 'SIGHUP');
    } catch (e) {
      throw transient(`${this.name}: cannot signal dnsmasq (pid ${pid}): ${(e as Error).message}`, e);
    }
  }

  /** What the DNS server answers for the name: 'sinkhole', 'nxdomain', or 'other'. */
  async query(domain: string): Promise<'sinkhole' | 'nxdomain' | 'other'> {
    const v = this.cfg.verify!;
    const r = new dnsp.Resolver({ timeout: v.timeoutMs, tries: 1 });
    r.setServers([ipaddr.parse(v.server).kind() === 'ipv6' ? `[${v.server}]:${v.port}` : `${v.server}:${v.port}`]);
    try {
      const a = await r.resolve4(domain);
      return a.includes(this.cfg.sinkholeV4) ? 'sinkhole' : 'other';
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return 'nxdomain';
      throw transient(`${this.name}: DNS query for ${domain} to ${v.server}:${v.port} failed: ${code ?? (e as Error).message}`, e);
    }
  }

  private domainOf(kind: ForwardKind, t: ActionTarget): string {
    if (kind !== 'block_domain' || t.type !== 'domain') throw new GarrisonError('RESPOND_PRECONDITION_FAILED', `${this.name} only blocks domains`);
    return parseBlockDomain(t.domain);
  }

  check(kind: ForwardKind, t: ActionTarget): string | undefined {
    return kind === 'block_domain' && t.type === 'domain' ? undefined : `${this.name} only blocks domains`;
  }

  async health(): Promise<ConnectorHealth> {
    try {
      const pid = Number(readFileSync(this.cfg.pidFile, 'utf8').trim());
      process.kill(pid, 0);
      return { ok: true, detail: `dnsmasq pid ${pid}; ${this.blocked().length} domain(s) blocked in ${this.cfg.hostsFile}` };
    } catch (e) {
      return { ok: false, detail: `dnsmasq not running or pid file unreadable (${this.cfg.pidFile}): ${(e as Error).message}` };
    }
  }

  async observe(kind: ForwardKind, t: ActionTarget): Promise<boolean> {
    const d = this.domainOf(kind, t);
    const inFile = this.blocked().includes(d);
    if (!this.cfg.verify) return inFile;
    const ans = await this.query(d);
    const sink = ans === 'sinkhole';
    if (sink !== inFile) throw transient(`${this.name}: the DNS server answers ${ans} for ${d} but the blocklist says ${inFile ? 'blocked' : 'not blocked'} (reload pending?)`);
    return inFile;
  }

  async apply(kind: ForwardKind, t: ActionTarget, _call: ConnectorCall): Promise<void> {
    const d = this.domainOf(kind, t);
    await this.serial(async () => {
      const cur = this.blocked();
      if (!cur.includes(d)) this.write([...cur, d].sort());
      this.reload();
    });
  }

  async revert(kind: ForwardKind, t: ActionTarget, _call: ConnectorCall): Promise<void> {
    const d = this.domainOf(kind, t);
    await this.serial(async () => {
      const cur = this.blocked();
      if (cur.includes(d)) this.write(cur.filter((x) => x !== d));
      this.reload();
    });
  }
}

function atomicWrite(file: string, text: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.garrison-tmp`;
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, file);
  } catch (e) {
    throw transient(`cannot write ${file}: ${(e as Error).message}`, e);
  }
}
