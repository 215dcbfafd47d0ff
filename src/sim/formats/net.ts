/**
 * Network telemetry: Zeek conn/dns/http logs as Zeek's JSON writer emits them (epoch `ts`,
 * dotted `id.orig_h` keys) and the Squid proxy's native access.log line (`logformat squid`).
 */
import type { Rng } from '../prng.js';
import type { Emit, Truth } from '../record.js';

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class Net {
  constructor(
    private readonly rng: Rng,
    readonly sensor: string,
  ) {}

  /** A Zeek connection uid: `C` + 17 base-62 characters. */
  uid(): string {
    let s = 'C';
    for (let i = 0; i < 17; i++) s += B62[this.rng.int(62)];
    return s;
  }

  ephemeral(): number {
    return 49152 + this.rng.int(16383);
  }

  conn(
    emit: Emit,
    t: number,
    c: { src: string; sport?: number; dst: string; dport: number; proto?: 'tcp' | 'udp'; service?: string; duration: number; origBytes: number; respBytes: number; state?: string; localResp?: boolean; uid?: string },
    truth?: Truth,
  ): string {
    const uid = c.uid ?? this.uid();
    const proto = c.proto ?? 'tcp';
    const state = c.state ?? 'SF';
    const origPkts = Math.max(1, Math.ceil(c.origBytes / 1200) + (proto === 'tcp' ? 3 : 0));
    const respPkts = state === 'REJ' || state === 'S0' ? (state === 'REJ' ? 1 : 0) : Math.max(1, Math.ceil(c.respBytes / 1400) + (proto === 'tcp' ? 2 : 0));
    const rec: Record<string, unknown> = {
      ts: t / 1000,
      uid,
      'id.orig_h': c.src,
      'id.orig_p': c.sport ?? this.ephemeral(),
      'id.resp_h': c.dst,
      'id.resp_p': c.dport,
      proto,
    };
    if (c.service) rec.service = c.service;
    if (state === 'SF' || state === 'S1' || state === 'RSTO') {
      rec.duration = Math.round(c.duration * 1e6) / 1e6;
      rec.orig_bytes = c.origBytes;
      rec.resp_bytes = c.respBytes;
    }
    rec.conn_state = state;
    rec.local_orig = c.src.startsWith('10.');
    rec.local_resp = c.localResp ?? c.dst.startsWith('10.');
    rec.missed_bytes = 0;
    rec.history = state === 'REJ' ? 'Sr' : state === 'S0' ? 'S' : proto === 'udp' ? 'Dd' : 'ShADadFf';
    rec.orig_pkts = origPkts;
    rec.orig_ip_bytes = c.origBytes + origPkts * (proto === 'tcp' ? 52 : 28);
    rec.resp_pkts = respPkts;
    rec.resp_ip_bytes = c.respBytes + respPkts * (proto === 'tcp' ? 52 : 28);
    emit({ time: t, source: 'zeek.conn', host: this.sensor, event: rec, truth });
    return uid;
  }

  dns(emit: Emit, t: number, src: string, server: string, query: string, answer: string | null, truth?: Truth, qtype: 'A' | 'TXT' | 'AAAA' = 'A'): void {
    const uid = this.uid();
    const rec: Record<string, unknown> = {
      ts: t / 1000,
      uid,
      'id.orig_h': src,
      'id.orig_p': this.ephemeral(),
      'id.resp_h': server,
      'id.resp_p': 53,
      proto: 'udp',
      trans_id: this.rng.int(65536),
      rtt: Math.round((0.0004 + this.rng.next() * 0.03) * 1e6) / 1e6,
      query,
      qclass: 1,
      qclass_name: 'C_INTERNET',
      qtype: qtype === 'A' ? 1 : qtype === 'TXT' ? 16 : 28,
      qtype_name: qtype,
      rcode: answer === null ? 3 : 0,
      rcode_name: answer === null ? 'NXDOMAIN' : 'NOERROR',
      AA: false,
      TC: false,
      RD: true,
      RA: true,
      Z: 0,
    };
    if (answer !== null) {
      rec.answers = [answer];
      rec.TTLs = [60 + this.rng.int(3540)];
    }
    rec.rejected = false;
    emit({ time: t, source: 'zeek.dns', host: this.sensor, event: rec, truth });
  }

  http(emit: Emit, t: number, c: { src: string; dst: string; host: string; method: string; uri: string; ua: string; reqLen: number; respLen: number; status: number; mime?: string; uid?: string }, truth?: Truth): void {
    const rec: Record<string, unknown> = {
      ts: t / 1000,
      uid: c.uid ?? this.uid(),
      'id.orig_h': c.src,
      'id.orig_p': this.ephemeral(),
      'id.resp_h': c.dst,
      'id.resp_p': 80,
      trans_depth: 1,
      method: c.method,
      host: c.host,
      uri: c.uri,
      version: '1.1',
      user_agent: c.ua,
      request_body_len: c.reqLen,
      response_body_len: c.respLen,
      status_code: c.status,
      status_msg: STATUS_MSG[c.status] ?? 'OK',
      tags: [],
    };
    if (c.respLen > 0) {
      rec.resp_fuids = ['F' + this.uid().slice(1)];
      if (c.mime) rec.resp_mime_types = [c.mime];
    }
    emit({ time: t, source: 'zeek.http', host: this.sensor, event: rec, truth });
  }
}

const STATUS_MSG: Record<number, string> = { 200: 'OK', 204: 'No Content', 206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 404: 'Not Found', 407: 'Proxy Authentication Required' };

/**
 * One Squid access.log line in the default `squid` logformat:
 * `%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt`
 */
export function squidLine(t: number, elapsedMs: number, client: string, code: string, status: number, bytes: number, method: string, url: string, user: string, hier: string, mime: string): string {
  const secs = Math.floor(t / 1000);
  const ms = String(t % 1000).padStart(3, '0');
  return `${secs}.${ms} ${String(elapsedMs).padStart(6, ' ')} ${client} ${code}/${String(status).padStart(3, '0')} ${bytes} ${method} ${url} ${user || '-'} ${hier} ${mime || '-'}`;
}
