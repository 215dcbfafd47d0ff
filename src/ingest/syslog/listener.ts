/**
 * Syslog listeners as Sources: UDP (one message per datagram), TCP and TLS (RFC 6587 octet
 * counting or newline framing, detected per connection).
 *
 * Records are batched (batchSize or flushMs, whichever first) and submitted to the pipeline one
 * batch at a time. Memory is bounded: at most maxPendingRecords wait for the sink. When the sink
 * answers BUSY, or the pending bound is reached, TCP/TLS sockets are paused (the kernel's
 * window pushes back on senders) and resumed once the backlog drains; UDP cannot push back, so
 * datagrams arriving over the bound are dropped and counted (stats().dropped).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { z } from 'zod';
import { GarrisonError, isGarrisonError } from '../../core/errors.js';
import type { RawRecord } from '../../normalize/types.js';
import type { IngestSink, Source } from '../sink.js';
import { SyslogFramer } from './framing.js';

export const SyslogTlsSchema = z
  .object({
    /** PEM certificate (chain) file. */
    cert: z.string().min(1),
    /** PEM private key file. */
    key: z.string().min(1),
    /** PEM CA file for client certificates (with requestCert). */
    ca: z.string().min(1).optional(),
    /** Require and verify client certificates (mutual TLS). */
    requestCert: z.boolean().default(false),
  })
  .strict();

export const SyslogListenerConfigSchema = z
  .object({
    protocol: z.enum(['udp', 'tcp', 'tls']),
    host: z.string().min(1).default('0.0.0.0'),
    /** 0 picks a free port (tests); see address(). */
    port: z.number().int().min(0).max(65535).default(514),
    tenant: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('default'),
    /** Parser for the messages: syslog (RFC 5424/3164, CEF inside), cef, auto. */
    format: z.enum(['syslog', 'cef', 'auto']).default('syslog'),
    /** Largest message (frame / datagram) in bytes; larger ones are discarded and counted. */
    maxMessageBytes: z.number().int().min(480).max(16 * 1024 * 1024).default(64 * 1024),
    maxConnections: z.number().int().min(1).max(100_000).default(1_000),
    /** Idle TCP/TLS connections are closed after this long. */
    idleTimeoutMs: z.number().int().min(1_000).max(86_400_000).default(600_000),
    batchSize: z.number().int().min(1).max(100_000).default(2_000),
    flushMs: z.number().int().min(1).max(60_000).default(50),
    /** Most records held for the sink; over it TCP pauses, UDP drops. */
    maxPendingRecords: z.number().int().min(1).max(1_000_000).default(20_000),
    /** Wait before re-submitting after BUSY. */
    busyRetryMs: z.number().int().min(1).max(60_000).default(200),
    tls: SyslogTlsSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.protocol === 'tls' && !c.tls) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'protocol tls needs tls.cert and tls.key' });
  });
export type SyslogListenerConfig = z.input<typeof SyslogListenerConfigSchema>;

export interface SyslogStats {
  received: number;
  rejected: number;
  lastSeen?: number;
  stored: number;
  duplicates: number;
  /** UDP datagrams dropped because the backlog was full or the sink refused them. */
  dropped: number;
  /** Frames / datagrams over maxMessageBytes. */
  tooLarge: number;
  /** Connections closed for a bad octet count. */
  framingErrors: number;
  /** Socket / TLS handshake errors and refused connections. */
  connectionErrors: number;
  /** Messages that were not valid UTF-8 (decoded as Latin-1). */
  nonUtf8: number;
  /** Times the sink answered BUSY. */
  busy: number;
  connections: number;
  pending: number;
  paused: boolean;
  rejectedByCode: Record<string, number>;
}

export class SyslogListener implements Source {
  readonly name: string;
  readonly config: z.output<typeof SyslogListenerConfigSchema>;
  private sink: IngestSink | undefined;
  private udp: dgram.Socket | undefined;
  private server: net.Server | tls.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private pending: RawRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private submitting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private stopping = false;
  private seq = 0;
  private readonly runId = Date.now().toString(36);
  private readonly st: SyslogStats = {
    received: 0, rejected: 0, stored: 0, duplicates: 0, dropped: 0, tooLarge: 0, framingErrors: 0, connectionErrors: 0, nonUtf8: 0, busy: 0, connections: 0, pending: 0, paused: false, rejectedByCode: {},
  };

  constructor(config: SyslogListenerConfig, name?: string) {
    this.config = SyslogListenerConfigSchema.parse(config);
    this.name = name ?? `syslog-${this.config.protocol}`;
  }

  /** The bound address (after start). */
  address(): { address: string; port: number } {
    const a = this.udp ? this.udp.address() : (this.server?.address() as net.AddressInfo | null);
    if (!a) throw new GarrisonError('SYSLOG_LISTEN_FAILED', `${this.name} is not listening`);
    return { address: a.address, port: a.port };
  }

  async start(sink: IngestSink): Promise<void> {
    this.sink = sink;
    const c = this.config;
    const fail = (e: unknown): GarrisonError =>
      new GarrisonError('SYSLOG_LISTEN_FAILED', `${this.name}: cannot listen on ${c.host}:${c.port}: ${(e as Error).message}`, { location: { field: `${this.name}.port` }, cause: e });
    if (c.protocol === 'udp') {
      const sock = dgram.createSocket({ type: c.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 * 1024 * 1024 });
      this.udp = sock;
      sock.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
      sock.on('error', () => this.st.connectionErrors++);
      await new Promise<void>((resolve, reject) => {
        sock.once('error', (e) => reject(fail(e)));
        sock.bind(c.port, c.host, () => resolve());
      });
      return;
    }
    let server: net.Server | tls.Server;
    if (c.protocol === 'tls') {
      const t = c.tls!;
      let opts: tls.TlsOptions;
      try {
        opts = { cert: readFileSync(t.cert), key: readFileSync(t.key), ca: t.ca ? readFileSync(t.ca) : undefined, requestCert: t.requestCert, rejectUnauthorized: t.requestCert };
      } catch (e) {
        throw new GarrisonError('SYSLOG_LISTEN_FAILED', `${this.name}: cannot read the TLS certificate or key: ${(e as Error).message}`, { location: { field: `${this.name}.tls` }, cause: e });
      }
      try {
        server = tls.createServer(opts, (s) => this.onConnection(s));
      } catch (e) {
        throw new GarrisonError('SYSLOG_LISTEN_FAILED', `${this.name}: bad TLS certificate or key: ${(e as Error).message}`, { location: { field: `${this.name}.tls` }, cause: e });
      }
      server.on('tlsClientError', () => this.st.connectionErrors++);
    } else {
      server = net.createServer((s) => this.onConnection(s));
    }
    server.maxConnections = c.maxConnections;
    server.on('drop', () => this.st.connectionErrors++);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(fail(e)));
      server.listen(c.port, c.host, () => resolve());
    });
    server.on('error', () => this.st.connectionErrors++);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.udp) {
      const u = this.udp;
      this.udp = undefined;
      await new Promise<void>((r) => u.close(() => r()));
    }
    if (this.server) {
      const s = this.server;
      for (const sock of this.sockets) sock.end();
      const closed = new Promise<void>((r) => s.close(() => r()));
      setTimeout(() => {
        for (const sock of this.sockets) sock.destroy();
      }, 2_000).unref();
      await closed;
      this.server = undefined;
    }
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = undefined;
    // Flush what was accepted (one last attempt each; BUSY at shutdown counts as dropped).
    while (this.submitting) await this.submitting;
    if (this.pending.length) await this.flush(true);
    while (this.submitting) await this.submitting;
  }

  stats(): SyslogStats {
    return { ...this.st, pending: this.pending.length, paused: this.paused, connections: this.sockets.size, rejectedByCode: { ...this.st.rejectedByCode } };
  }

  // --- input ---

  private decode(b: Buffer): string {
    if (isUtf8(b)) return b.toString('utf8');
    this.st.nonUtf8++;
    return b.toString('latin1');
  }

  private record(text: string, peer: string, proto: string): RawRecord {
    this.st.received++;
    this.st.lastSeen = Date.now();
    return {
      data: text,
      origin: `syslog:${proto}:${this.runId}:${++this.seq}`,
      input: `syslog:${proto}`,
      tenant: this.config.tenant,
      receivedAt: Date.now(),
      format: this.config.format,
      meta: { peer },
    };
  }

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.stopping) return;
    if (msg.length > this.config.maxMessageBytes) {
      this.st.tooLarge++;
      return;
    }
    if (this.pending.length >= this.config.maxPendingRecords) {
      this.st.dropped++;
      return;
    }
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 10 || msg[end - 1] === 13 || msg[end - 1] === 0)) end--;
    if (end === 0) return;
    this.pending.push(this.record(this.decode(msg.subarray(0, end)), `${rinfo.address}:${rinfo.port}`, 'udp'));
    this.schedule();
  }

  private onConnection(sock: net.Socket): void {
    if (this.stopping) {
      sock.destroy();
      return;
    }
    const proto = this.config.protocol;
    const peer = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? 0}`;
    this.sockets.add(sock);
    if (this.paused) sock.pause();
    sock.setTimeout(this.config.idleTimeoutMs, () => sock.destroy());
    const framer = new SyslogFramer(this.config.maxMessageBytes);
    const out = {
      frame: (b: Buffer) => {
        this.pending.push(this.record(this.decode(b), peer, proto));
      },
      tooLarge: () => {
        this.st.tooLarge++;
      },
      invalid: () => {
        this.st.framingErrors++;
        sock.destroy();
      },
    };
    sock.on('data', (chunk: Buffer) => {
      framer.push(chunk, out);
      if (this.pending.length > 0) this.schedule();
      if (this.pending.length >= this.config.maxPendingRecords) this.pauseAll();
    });
    sock.on('end', () => {
      framer.end(out);
      if (this.pending.length > 0) this.schedule();
    });
    sock.on('error', () => this.st.connectionErrors++);
    sock.on('close', () => this.sockets.delete(sock));
  }

  // --- back-pressure ---

  private pauseAll(): void {
    if (this.paused || !this.server) return;
    this.paused = true;
    for (const s of this.sockets) s.pause();
  }

  private resumeAll(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const s of this.sockets) s.resume();
  }

  // --- batching and submission ---

  private schedule(): void {
    if (this.pending.length >= this.config.batchSize) {
      void this.flush();
      return;
    }
    if (!this.timer) this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.config.flushMs);
  }

  private flush(final = false): Promise<void> {
    if (this.submitting || this.retryTimer || !this.sink || this.pending.length === 0) return this.submitting ?? Promise.resolve();
    const batch = this.pending.splice(0, this.config.batchSize);
    const sink = this.sink;
    this.submitting = (async () => {
      try {
        const o = await sink.submit(batch);
        this.st.stored += o.stored;
        this.st.duplicates += o.duplicates;
        for (const r of o.rejected) {
          this.st.rejected++;
          this.st.rejectedByCode[r.error.code] = (this.st.rejectedByCode[r.error.code] ?? 0) + 1;
        }
      } catch (e) {
        if (isGarrisonError(e, 'BUSY') && !final && this.config.protocol !== 'udp') {
          // Keep the batch, stop reading, retry later.
          this.st.busy++;
          this.pending.unshift(...batch);
          this.pauseAll();
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            void this.flush();
          }, this.config.busyRetryMs);
          return;
        }
        if (isGarrisonError(e, 'BUSY')) this.st.busy++;
        this.st.dropped += batch.length;
      }
    })().finally(() => {
      this.submitting = undefined;
      if (this.pending.length < this.config.maxPendingRecords / 2 && !this.retryTimer) this.resumeAll();
      if (this.pending.length >= this.config.batchSize) void this.flush(final);
      else if (this.pending.length > 0 && !this.stopping) this.schedule();
      else if (this.pending.length > 0 && final) void this.flush(true);
    });
    return this.submitting;
  }
}

export function createSyslogListener(config: SyslogListenerConfig, name?: string): SyslogListener {
  return new SyslogListener(config, name);
}
