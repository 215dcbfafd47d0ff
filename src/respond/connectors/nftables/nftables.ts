/**
 * nftables connector: IP / CIDR blocking and host isolation by managing one dedicated table
 * (default `inet garrison`) with sets; Garrison never touches any other table.
 *
 *   blocked4 / blocked6   interval sets: traffic from or to these addresses is dropped
 *   isolated4 / isolated6 isolated hosts: all their traffic is dropped except with the
 *                         management networks (mgmt4 / mgmt6, from the configuration)
 *
 * Chains hook input, output and forward at priority -10, so the same table works on a gateway
 * (forwarded traffic of isolated hosts) and on the host itself (its own traffic). A drop in this
 * table is final whatever other tables accept. Loopback is always allowed.
 *
 * `nft` runs through execFile with an argument array (optionally inside `ip netns exec NS`);
 * element values are canonical addresses from ipaddr.js (actions/targets.ts), never raw event text.
 * The table itself is created from a script built only from validated configuration.
 */
import { execFile, spawn } from 'node:child_process';
import { z } from 'zod';
import { GarrisonError } from '../../../core/errors.js';
import { parseCidr } from '../../actions/targets.js';
import type { ActionTarget, ForwardKind } from '../../types.js';
import { permanent, transient, type Connector, type ConnectorCall, type ConnectorHealth } from '../port.js';

const cidr = z.string().refine(
  (s) => {
    try {
      parseCidr(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IP address or CIDR' },
);

export const NftablesConfigSchema = z.strictObject({
  /** Name of the table Garrison owns (family inet). */
  table: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'table names are lower-case letters, digits and _').default('garrison'),
  /** Networks an isolated host may still talk to (and that are never blocked). */
  managementNetworks: z.array(cidr).default([]),
  /** Run nft inside this network namespace (`ip netns exec NAME`): the host's own firewall in tests and labs. */
  netns: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  nftPath: z.string().min(1).default('/usr/sbin/nft'),
  ipPath: z.string().min(1).default('/usr/sbin/ip'),
  /** Chain priority (lower runs earlier). */
  priority: z.number().int().min(-400).max(400).default(-10),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /**
   * Give every element a kernel timeout of TTL + timeoutGraceMs: if Garrison is down when an action
   * expires, the kernel still lifts the block / isolation. Garrison's own expiry (audited) normally
   * comes first. Needs a table created with timeout sets (a new table is).
   */
  kernelTimeouts: z.boolean().default(true),
  timeoutGraceMs: z.number().int().min(0).max(7 * 86_400_000).default(15 * 60_000),
});
export type NftablesConfig = z.input<typeof NftablesConfigSchema>;

type Fam = 'ipv4' | 'ipv6';
const setName = (kind: 'blocked' | 'isolated' | 'mgmt', fam: Fam) => `${kind}${fam === 'ipv4' ? 4 : 6}`;

export class NftablesConnector implements Connector {
  readonly type = 'nftables';
  readonly kinds: readonly ForwardKind[] = ['block_ip', 'isolate_host'];
  private readonly cfg: z.output<typeof NftablesConfigSchema>;
  private ensured = false;

  constructor(
    readonly name: string,
    config: NftablesConfig,
    kinds?: readonly ForwardKind[],
  ) {
    this.cfg = NftablesConfigSchema.parse(config);
    if (kinds) this.kinds = kinds.filter((k) => k === 'block_ip' || k === 'isolate_host');
  }

  /** Runs nft with an argument array; stdin text optional (for `-f -`). */
  private run(args: string[], stdin?: string): Promise<string> {
    const cmd = this.cfg.netns ? this.cfg.ipPath : this.cfg.nftPath;
    const argv = this.cfg.netns ? ['netns', 'exec', this.cfg.netns, this.cfg.nftPath, ...args] : args;
    return new Promise((resolve, reject) => {
      if (stdin !== undefined) {
        const p = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], timeout: this.cfg.timeoutMs });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('error', (e) => reject(transient(`${this.name}: cannot run ${cmd}: ${e.message}`, e)));
        p.on('close', (code) => (code === 0 ? resolve(out) : reject(this.classify(err || `exit ${code}`))));
        // A child that exits without reading stdin must not crash us (EPIPE): its exit code decides.
        p.stdin.on('error', () => undefined);
        p.stdin.end(stdin);
        return;
      }
      execFile(cmd, argv, { timeout: this.cfg.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (e, stdout, stderr) => {
        if (!e) return resolve(stdout);
        const ee = e as NodeJS.ErrnoException & { killed?: boolean };
        if (ee.code === 'ENOENT') return reject(permanent(`${this.name}: ${cmd} is not installed`, e));
        if (ee.killed) return reject(transient(`${this.name}: nft timed out after ${this.cfg.timeoutMs} ms`, e));
        reject(this.classify(String(stderr || e.message)));
      });
    });
  }

  private classify(stderr: string): GarrisonError {
    const first = stderr.split('\n').find((l) => l.trim().length > 0) ?? stderr;
    // Resource contention is worth a retry; syntax / conflict errors are not.
    if (/resource busy|try again|interrupted/i.test(stderr)) return transient(`${this.name}: nft: ${first}`);
    return permanent(`${this.name}: nft: ${first.slice(0, 500)}`);
  }

  /** The whole table, from validated configuration only. */
  tableScript(): string {
    const t = this.cfg.table;
    const pr = this.cfg.priority;
    const mg = this.mgmtElements();
    const kt = this.cfg.kernelTimeouts;
    const set = (n: string, type: string, interval: boolean, elems: string[], timeout = false) => {
      const flags = [...(interval ? ['interval'] : []), ...(timeout && kt ? ['timeout'] : [])];
      return `  set ${n} { type ${type};${flags.length ? ` flags ${flags.join(', ')};` : ''}${elems.length ? ` elements = { ${elems.join(', ')} };` : ''} }`;
    };
    return [
      `table inet ${t} {`,
      set('blocked4', 'ipv4_addr', true, [], true),
      set('blocked6', 'ipv6_addr', true, [], true),
      set('isolated4', 'ipv4_addr', false, [], true),
      set('isolated6', 'ipv6_addr', false, [], true),
      set('mgmt4', 'ipv4_addr', true, mg.ipv4),
      set('mgmt6', 'ipv6_addr', true, mg.ipv6),
      `  chain input { type filter hook input priority ${pr}; policy accept;`,
      '    iif "lo" accept',
      '    ip saddr @mgmt4 accept',
      '    ip6 saddr @mgmt6 accept',
      '    ip saddr @blocked4 drop',
      '    ip6 saddr @blocked6 drop',
      '    ip saddr @isolated4 drop',
      '    ip6 saddr @isolated6 drop',
      '    ip daddr @isolated4 drop',
      '    ip6 daddr @isolated6 drop',
      '  }',
      `  chain output { type filter hook output priority ${pr}; policy accept;`,
      '    oif "lo" accept',
      '    ip daddr @mgmt4 accept',
      '    ip6 daddr @mgmt6 accept',
      '    ip daddr @blocked4 drop',
      '    ip6 daddr @blocked6 drop',
      '    ip saddr @isolated4 drop',
      '    ip6 saddr @isolated6 drop',
      '    ip daddr @isolated4 drop',
      '    ip6 daddr @isolated6 drop',
      '  }',
      `  chain forward { type filter hook forward priority ${pr}; policy accept;`,
      '    ip saddr @mgmt4 accept',
      '    ip daddr @mgmt4 accept',
      '    ip6 saddr @mgmt6 accept',
      '    ip6 daddr @mgmt6 accept',
      '    ip saddr @blocked4 drop',
      '    ip daddr @blocked4 drop',
      '    ip6 saddr @blocked6 drop',
      '    ip6 daddr @blocked6 drop',
      '    ip saddr @isolated4 drop',
      '    ip daddr @isolated4 drop',
      '    ip6 saddr @isolated6 drop',
      '    ip6 daddr @isolated6 drop',
      '  }',
      '}',
      '',
    ].join('\n');
  }

  private mgmtElements(): Record<Fam, string[]> {
    const out: Record<Fam, string[]> = { ipv4: [], ipv6: [] };
    for (const m of this.cfg.managementNetworks) {
      const c = parseCidr(m, 'managementNetworks');
      out[c.family].push(c.text);
    }
    return out;
  }

  /** Creates the table when missing, and brings the management sets in line with the configuration. */
  async ensure(): Promise<void> {
    if (this.ensured) return;
    let exists = true;
    try {
      await this.run(['list', 'table', 'inet', this.cfg.table]);
    } catch {
      exists = false;
    }
    if (!exists) {
      await this.run(['-f', '-'], this.tableScript());
    } else {
      const mg = this.mgmtElements();
      const lines = [`flush set inet ${this.cfg.table} mgmt4`, `flush set inet ${this.cfg.table} mgmt6`];
      if (mg.ipv4.length) lines.push(`add element inet ${this.cfg.table} mgmt4 { ${mg.ipv4.join(', ')} }`);
      if (mg.ipv6.length) lines.push(`add element inet ${this.cfg.table} mgmt6 { ${mg.ipv6.join(', ')} }`);
      await this.run(['-f', '-'], lines.join('\n') + '\n');
      if (this.cfg.kernelTimeouts) {
        const flags = await this.setFlags('blocked4');
        if (!flags.includes('timeout')) {
          throw permanent(`${this.name}: table inet ${this.cfg.table} was created without element timeouts; delete it (nft delete table inet ${this.cfg.table}) to let Garrison recreate it, or set kernelTimeouts: false`);
        }
      }
    }
    this.ensured = true;
  }

  /** Removes Garrison's table entirely (tests, decommissioning). */
  async removeTable(): Promise<void> {
    await this.run(['delete', 'table', 'inet', this.cfg.table]).catch(() => undefined);
    this.ensured = false;
  }

  /** Element of the set and its family for a target, or a reason why there is none. */
  private element(kind: ForwardKind, t: ActionTarget): { set: string; value: string } | string {
    if (kind === 'block_ip' && t.type === 'ip') {
      const c = parseCidr(t.cidr);
      return { set: setName('blocked', c.family), value: c.text };
    }
    if (kind === 'isolate_host' && t.type === 'host') {
      if (!t.ip) return `host ${t.host} has no known address: nftables isolation needs one (asset context ip)`;
      const c = parseCidr(t.ip);
      return { set: setName('isolated', c.family), value: c.text };
    }
    return `${this.name} does not do ${kind} on ${t.type} targets`;
  }

  check(kind: ForwardKind, t: ActionTarget): string | undefined {
    const e = this.element(kind, t);
    return typeof e === 'string' ? e : undefined;
  }

  private elem(kind: ForwardKind, t: ActionTarget): { set: string; value: string } {
    const e = this.element(kind, t);
    if (typeof e === 'string') throw new GarrisonError('RESPOND_PRECONDITION_FAILED', e);
    return e;
  }

  private async setFlags(set: string): Promise<string[]> {
    const out = await this.run(['-j', 'list', 'set', 'inet', this.cfg.table, set]);
    try {
      const j = JSON.parse(out) as { nftables?: { set?: { flags?: string[] } }[] };
      return j.nftables?.find((x) => x.set)?.set?.flags ?? [];
    } catch {
      return [];
    }
  }

  /** The kernel timeout argument for an element, from the call's TTL. */
  private timeoutArgs(call: ConnectorCall): string[] {
    if (!this.cfg.kernelTimeouts || call.ttlMs === undefined) return [];
    return ['timeout', `${Math.max(1, Math.ceil((call.ttlMs + this.cfg.timeoutGraceMs) / 1000))}s`];
  }

  /** Seconds until the kernel removes the element (undefined: no timeout or absent). */
  async expiresIn(kind: ForwardKind, t: ActionTarget): Promise<number | undefined> {
    const { set, value } = this.elem(kind, t);
    const out = await this.run(['-j', 'list', 'set', 'inet', this.cfg.table, set]);
    const j = JSON.parse(out) as { nftables?: { set?: { elem?: unknown[] } }[] };
    for (const el of j.nftables?.find((x) => x.set)?.set?.elem ?? []) {
      const e = (el as { elem?: { val?: unknown; expires?: number } }).elem;
      if (!e) continue;
      const v = e.val;
      const text = typeof v === 'string' ? parseCidr(v).text : v && typeof v === 'object' && 'prefix' in v ? parseCidr(`${(v as { prefix: { addr: string; len: number } }).prefix.addr}/${(v as { prefix: { len: number } }).prefix.len}`).text : undefined;
      if (text === value) return e.expires;
    }
    return undefined;
  }

  /** Elements of one set, canonical. */
  async listSet(set: string): Promise<string[]> {
    await this.ensure();
    const out = await this.run(['-j', 'list', 'set', 'inet', this.cfg.table, set]);
    let j: { nftables?: { set?: { elem?: unknown[] } }[] };
    try {
      j = JSON.parse(out) as typeof j;
    } catch (e) {
      throw permanent(`${this.name}: nft -j returned unreadable JSON`, e);
    }
    const elems = j.nftables?.find((x) => x.set)?.set?.elem ?? [];
    const vals: string[] = [];
    for (const el of elems) {
      const v = (el as { elem?: { val?: unknown } }).elem?.val ?? el;
      if (typeof v === 'string') vals.push(parseCidr(v).text);
      else if (v && typeof v === 'object' && 'prefix' in v) {
        const p = (v as { prefix: { addr: string; len: number } }).prefix;
        vals.push(parseCidr(`${p.addr}/${p.len}`).text);
      } else if (v && typeof v === 'object' && 'range' in v) {
        const r = (v as { range: [string, string] }).range;
        vals.push(`${r[0]}-${r[1]}`);
      }
    }
    return vals;
  }

  async health(): Promise<ConnectorHealth> {
    try {
      const v = (await this.run(['--version'])).trim();
      await this.ensure();
      const [b4, i4] = await Promise.all([this.listSet('blocked4'), this.listSet('isolated4')]);
      return { ok: true, detail: `${v}; table inet ${this.cfg.table}: ${b4.length} blocked, ${i4.length} isolated (IPv4)${this.cfg.netns ? ` in netns ${this.cfg.netns}` : ''}` };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  }

  async observe(kind: ForwardKind, t: ActionTarget): Promise<boolean> {
    const { set, value } = this.elem(kind, t);
    return (await this.listSet(set)).includes(value);
  }

  async apply(kind: ForwardKind, t: ActionTarget, call: ConnectorCall): Promise<void> {
    const { set, value } = this.elem(kind, t);
    await this.ensure();
    if ((await this.listSet(set)).includes(value)) return;
    await this.run(['add', 'element', 'inet', this.cfg.table, set, '{', value, ...this.timeoutArgs(call), '}']);
  }

  /** New kernel timeout: delete and re-add in one atomic nft transaction (no gap in the block). */
  async renew(kind: ForwardKind, t: ActionTarget, call: ConnectorCall): Promise<void> {
    const { set, value } = this.elem(kind, t);
    const to = this.timeoutArgs(call);
    if (to.length === 0) return;
    await this.ensure();
    if (!(await this.listSet(set)).includes(value)) throw permanent(`${this.name}: ${value} is not in ${set} any more (expired in the kernel?)`);
    // Values are canonical addresses (parseCidr), the table name is validated: safe in a script.
    await this.run(['-f', '-'], `delete element inet ${this.cfg.table} ${set} { ${value} }\nadd element inet ${this.cfg.table} ${set} { ${value} ${to.join(' ')} }\n`);
  }

  async revert(kind: ForwardKind, t: ActionTarget, _call: ConnectorCall): Promise<void> {
    const { set, value } = this.elem(kind, t);
    await this.ensure();
    if (!(await this.listSet(set)).includes(value)) return;
    await this.run(['delete', 'element', 'inet', this.cfg.table, set, '{', value, '}']);
  }

  protectedNetworks(): string[] {
    return this.cfg.managementNetworks;
  }
}
