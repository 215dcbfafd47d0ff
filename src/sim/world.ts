/**
 * The simulated world: the organization plus per-host producer state, shared by the
 * background activity and the attack campaigns, and helpers for multi-source activity
 * (a web request shows up in Zeek, the proxy and Sysmon at once).
 */
import type { Host, Org, User } from './org/model.js';
import { Rng } from './prng.js';
import type { Emit, Truth } from './record.js';
import { WinHost, type Proc } from './formats/windows.js';
import { LinuxHost } from './formats/linux.js';
import { Net, squidLine } from './formats/net.js';
import { CloudTrail, EntraSignIn } from './formats/cloud.js';

export const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Edg/119.0.2151.72';

export interface WebRequest {
  domain: string;
  ip: string;
  path: string;
  method?: string;
  bytesOut?: number; // request body
  bytesIn?: number; // response size
  mime?: string;
  status?: number;
  /** Sysmon DNS + network events for the requesting process (default: 10% of requests). */
  sysmon?: boolean;
  dns?: boolean;
  elapsedMs?: number;
}

export class World {
  readonly org: Org;
  readonly rng: Rng;
  readonly emit: Emit;
  readonly start: number;
  readonly end: number;
  readonly net: Net;
  readonly ct: CloudTrail;
  readonly entra: EntraSignIn;
  readonly proxyIp: string;
  readonly proxyPort: number;
  readonly dnsIp: string;
  private readonly win = new Map<string, WinHost>();
  private readonly lin = new Map<string, LinuxHost>();
  private readonly awsKeys = new Map<string, ReturnType<CloudTrail['iamUser']>>();
  /** Recently resolved names per client (a crude resolver cache so not every request queries DNS). */
  private readonly dnsSeen = new Map<string, number>();

  constructor(org: Org, rng: Rng, emit: Emit, start: number, end: number) {
    this.org = org;
    this.rng = rng;
    this.emit = emit;
    this.start = start;
    this.end = end;
    this.net = new Net(rng.fork('net'), 'zeek-sensor01');
    this.ct = new CloudTrail(rng.fork('cloudtrail'), org);
    this.entra = new EntraSignIn(rng.fork('entra'), org);
    this.proxyIp = org.file.network.proxy.ip;
    this.proxyPort = org.file.network.proxy.port;
    this.dnsIp = org.file.network.dnsServers[0];
    for (const h of org.hosts) {
      if (h.os === 'windows') this.win.set(h.name, new WinHost(h, org, rng.fork(`win:${h.name}`), start));
      else this.lin.set(h.name, new LinuxHost(h, rng.fork(`lin:${h.name}`)));
    }
  }

  w(name: string): WinHost {
    const h = this.win.get(name);
    if (!h) throw new Error(`no Windows host ${name}`);
    return h;
  }

  l(name: string): LinuxHost {
    const h = this.lin.get(name);
    if (!h) throw new Error(`no Linux host ${name}`);
    return h;
  }

  /** The long-lived access key of an IAM user (the same key in background and attack activity). */
  awsKey(user: string): ReturnType<CloudTrail['iamUser']> {
    let k = this.awsKeys.get(user);
    if (!k) this.awsKeys.set(user, (k = this.ct.iamUser(user)));
    return k;
  }

  host(name: string): Host {
    const h = this.org.hostByName.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  user(name: string): User {
    const u = this.org.userByName.get(name);
    if (!u) throw new Error(`no user ${name}`);
    return u;
  }

  /** One web request from a workstation process through the proxy (TLS-intercepting Squid). */
  web(t: number, host: Host, proc: Proc | null, user: User | null, r: WebRequest, truth?: Truth): void {
    const emit = this.emit;
    const method = r.method ?? 'GET';
    const bytesIn = r.bytesIn ?? 2_000 + this.rng.int(60_000);
    const bytesOut = r.bytesOut ?? 400 + this.rng.int(1_500);
    const key = `${host.ip}|${r.domain}`;
    const last = this.dnsSeen.get(key);
    if (r.dns ?? (last === undefined || t - last > 300_000)) {
      this.dnsSeen.set(key, t);
      this.net.dns(emit, t, host.ip, this.dnsIp, r.domain, r.ip, truth);
      if (proc && host.os === 'windows') this.w(host.name).dnsQuery(emit, t, proc, r.domain, r.ip, truth);
    }
    const t1 = t + 15 + this.rng.int(40);
    const elapsed = r.elapsedMs ?? 40 + this.rng.int(900);
    const sport = this.net.ephemeral();
    if (proc && host.os === 'windows' && (r.sysmon ?? this.rng.chance(0.1))) this.w(host.name).netConn(emit, t1, proc, this.proxyIp, this.proxyPort, `proxy01.${this.org.dnsDomain}`, sport, truth);
    this.net.conn(emit, t1, { src: host.ip, sport, dst: this.proxyIp, dport: this.proxyPort, service: 'http', duration: elapsed / 1000, origBytes: bytesOut + 600, respBytes: bytesIn + 400 }, truth);
    this.net.conn(emit, t1 + 3, { src: this.proxyIp, dst: r.ip, dport: 443, service: 'ssl', duration: elapsed / 1000, origBytes: bytesOut + 500, respBytes: bytesIn + 300, localResp: false }, truth);
    const status = r.status ?? 200;
    const url = `https://${r.domain}${r.path}`;
    const line = squidLine(t1 + elapsed, elapsed, host.ip, status === 304 ? 'TCP_REFRESH_UNMODIFIED' : 'TCP_MISS', status, bytesIn, method, url, user ? user.name : '-', `HIER_DIRECT/${r.ip}`, r.mime ?? 'text/html');
    emit({ time: t1 + elapsed, source: 'proxy', host: 'proxy01', event: line, truth });
  }

  /** An SMB session from a Windows client to a server: Zeek conn + network logon on the server. */
  smb(t: number, client: Host, server: Host, user: User, bytes: { out: number; in: number }, truth?: Truth, auth: 'Kerberos' | 'NTLM' = 'Kerberos'): string {
    this.net.conn(this.emit, t, { src: client.ip, dst: server.ip, dport: 445, service: 'smb', duration: Math.max(0.05, (bytes.out + bytes.in) / 40_000_000), origBytes: bytes.out, respBytes: bytes.in }, truth);
    return this.w(server.name).logon(this.emit, t + 5, user, 3, client.ip, client.name, { truth, auth });
  }
}
