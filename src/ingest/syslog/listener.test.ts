import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SyslogListener } from './listener.js';
import { SyslogFramer } from './framing.js';
import { createPipeline, type Pipeline } from '../pipeline.js';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/store.js';
import { GarrisonError } from '../../core/errors.js';
import type { IngestOutcome, IngestSink } from '../sink.js';
import type { RawRecord } from '../../normalize/types.js';
import { createConfiguredSources } from '../sources.js';

let dir: string;
let store: SqliteStore;
let pipeline: Pipeline;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'garrison-syslog-'));
  store = openSqliteStore({ file: path.join(dir, 'garrison.db'), fts: 'off' });
  await store.init();
  pipeline = createPipeline({ store });
});
afterAll(async () => {
  await pipeline.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timeout waiting for condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function search(q: string) {
  return (await store.search(q, { limit: 1000 })).events;
}

describe('framing (RFC 6587)', () => {
  const collect = () => {
    const frames: string[] = [];
    const errs: string[] = [];
    let big = 0;
    return { frames, errs, big: () => big, sink: { frame: (b: Buffer) => frames.push(b.toString()), tooLarge: () => big++, invalid: (r: string) => errs.push(r) } };
  };
  it('splits octet-counted frames across arbitrary chunk boundaries', () => {
    const f = new SyslogFramer(1000);
    const c = collect();
    const data = Buffer.from('11 <13>1 - - -12 <13>hello\nyo5 <1>ab');
    for (let i = 0; i < data.length; i += 3) f.push(data.subarray(i, i + 3), c.sink);
    expect(c.frames).toEqual(['<13>1 - - -', '<13>hello\nyo', '<1>ab']);
    expect(f.framing).toBe('octet');
  });
  it('splits newline frames, keeps multi-byte UTF-8 split across chunks intact', () => {
    const f = new SyslogFramer(1000);
    const c = collect();
    const data = Buffer.from('<13>héllo wörld\r\n<13>second\n<13>tail');
    for (let i = 0; i < data.length; i++) f.push(data.subarray(i, i + 1), c.sink);
    f.end(c.sink);
    expect(c.frames).toEqual(['<13>héllo wörld', '<13>second', '<13>tail']);
  });
  it('discards oversized frames without buffering them and goes on', () => {
    const f = new SyslogFramer(10);
    const c = collect();
    f.push(Buffer.from('<13>' + 'x'.repeat(50)), c.sink);
    expect(f.buffered).toBe(0);
    f.push(Buffer.from('y'.repeat(50) + '\n<13>ok\n'), c.sink);
    expect(c.big()).toBe(1);
    expect(c.frames).toEqual(['<13>ok']);
    const g = new SyslogFramer(10);
    const d = collect();
    g.push(Buffer.from('30 ' + 'z'.repeat(30) + '4 <1>a'), d.sink);
    expect(d.big()).toBe(1);
    expect(d.frames).toEqual(['<1>a']);
  });
  it('closes on a bad octet count', () => {
    const f = new SyslogFramer(100);
    const c = collect();
    f.push(Buffer.from('12x <13>x'), c.sink);
    expect(c.errs[0]).toMatch(/not followed by a space/);
    expect(f.closed).toBe(true);
  });
});

describe('listeners with a real pipeline and SQLite store', () => {
  it('UDP: stores datagrams, rejects garbage with a precise error, counts oversized', async () => {
    const l = new SyslogListener({ protocol: 'udp', host: '127.0.0.1', port: 0, flushMs: 5, maxMessageBytes: 1024 });
    await l.start(pipeline);
    const { port } = l.address();
    const c = dgram.createSocket('udp4');
    const send = (m: string | Buffer) => new Promise<void>((r) => c.send(m, port, '127.0.0.1', () => r()));
    await send('<38>Mar  9 22:14:15 udphost sshd[1]: Failed password for root from 203.0.113.77 port 4000 ssh2');
    await send('<34>1 2024-01-01T00:00:00Z udphost app - - [broken');
    await send('<13>' + 'x'.repeat(2000));
    await send(Buffer.from([0x3c, 0x31, 0x33, 0x3e, 0x68, 0xe9, 0x6c, 0x6c, 0x6f])); // Latin-1 "héllo"
    await until(() => l.stats().received >= 3 && l.stats().pending === 0 && l.stats().stored + l.stats().rejected >= 3);
    c.close();
    await l.stop();
    const s = l.stats();
    expect(s).toMatchObject({ received: 3, stored: 2, rejected: 1, tooLarge: 1, nonUtf8: 1 });
    expect(s.rejectedByCode).toEqual({ PARSE_SYSLOG_INVALID: 1 });
    const evs = await search('host:udphost');
    expect(evs.length).toBe(1);
    expect(evs[0].entities).toMatchObject({ srcIp: '203.0.113.77', user: 'root', outcome: 'failure' });
    expect(evs[0].source.input).toBe('syslog:udp');
  });

  it('TCP: octet counting and newline framing detected per connection; a bad frame closes only its connection', async () => {
    const l = new SyslogListener({ protocol: 'tcp', host: '127.0.0.1', port: 0, flushMs: 5 });
    await l.start(pipeline);
    const { port } = l.address();
    const send = (data: string) =>
      new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.end(data));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
    const m1 = '<134>1 2024-01-01T00:00:00Z tcpoctet app 1 ID1 [meta k="v"] first one';
    const m2 = '<134>1 2024-01-01T00:00:01Z tcpoctet app 1 ID1 - second\nwith newline';
    await send(`${Buffer.byteLength(m1)} ${m1}${Buffer.byteLength(m2)} ${m2}`);
    await send('<13>Jan  2 03:04:05 tcpnl prog[7]: line one\n<13>Jan  2 03:04:06 tcpnl prog[7]: line two\n');
    await send('5x garbage');
    await until(() => l.stats().stored >= 4);
    await l.stop();
    const octet = await search('host:tcpoctet');
    expect(octet.map((e) => e.fields.message).sort()).toEqual(['first one', 'second\nwith newline']);
    expect(octet.find((e) => e.fields.message === 'first one')?.fields.structured_data).toEqual({ meta: { k: 'v' } });
    expect((await search('host:tcpnl')).length).toBe(2);
    expect(l.stats().framingErrors).toBe(1);
  });

  it('TLS: receives over a self-signed certificate made with openssl at test time', async () => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const l = new SyslogListener({ protocol: 'tls', host: '127.0.0.1', port: 0, flushMs: 5, tls: { cert, key } });
    await l.start(pipeline);
    const { port } = l.address();
    await new Promise<void>((resolve, reject) => {
      const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        const m = '<134>Mar 10 10:00:00 tlshost CEF:0|Acme|Gate|1|42|login failed|7|src=192.0.2.1 suser=eve';
        s.end(`${Buffer.byteLength(m)} ${m}`);
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    await until(() => l.stats().stored >= 1);
    await l.stop();
    const evs = await search('host:tlshost');
    expect(evs.length).toBe(1);
    expect(evs[0].source).toMatchObject({ format: 'cef', provider: 'Acme', input: 'syslog:tls' });
    expect(evs[0].entities).toMatchObject({ srcIp: '192.0.2.1', user: 'eve' });
  });

  it('mutual TLS: a client without a certificate signed by the CA is refused and counted', async () => {
    const ca = path.join(dir, 'ca.pem');
    const caKey = path.join(dir, 'ca.key');
    const key = path.join(dir, 'srv.key');
    const cert = path.join(dir, 'srv.pem');
    const ckey = path.join(dir, 'cli.key');
    const ccsr = path.join(dir, 'cli.csr');
    const ccert = path.join(dir, 'cli.pem');
    const ossl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'ignore' });
    ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '1', '-subj', '/CN=test-ca');
    ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost');
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', ckey, '-out', ccsr, '-subj', '/CN=client');
    ossl('x509', '-req', '-in', ccsr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', ccert, '-days', '1');
    const l = new SyslogListener({ protocol: 'tls', host: '127.0.0.1', port: 0, flushMs: 5, tls: { cert, key, ca, requestCert: true } });
    await l.start(pipeline);
    const { port } = l.address();
    const send = (opts: tls.ConnectionOptions) =>
      new Promise<boolean>((resolve) => {
        const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...opts }, () => s.end('<13>Jan  2 03:04:05 mtlshost p: hello\n'));
        s.on('close', () => resolve(true));
        s.on('error', () => resolve(false));
      });
    await send({});
    await send({ key: readFileSync(ckey), cert: readFileSync(ccert) });
    await until(() => l.stats().stored >= 1);
    await l.stop();
    expect((await search('host:mtlshost')).length).toBe(1);
    expect(l.stats().connectionErrors).toBeGreaterThanOrEqual(1);
  });

  it('TCP back-pressure: BUSY pauses the sockets and keeps the messages; none are lost', async () => {
    let open = false;
    let busy = 0;
    const gated: IngestSink = {
      submit(records: RawRecord[]): Promise<IngestOutcome> {
        if (!open) {
          busy++;
          return Promise.reject(new GarrisonError('BUSY', 'test gate closed'));
        }
        return pipeline.submit(records);
      },
    };
    const l = new SyslogListener({ protocol: 'tcp', host: '127.0.0.1', port: 0, flushMs: 1, busyRetryMs: 20, maxPendingRecords: 50, batchSize: 10 });
    await l.start(gated);
    const { port } = l.address();
    const lines = Array.from({ length: 500 }, (_, i) => `<13>Jan  2 03:04:05 bphost prog: n=${i}\n`).join('');
    const s = net.connect(port, '127.0.0.1', () => s.write(lines));
    await until(() => l.stats().paused && busy > 0);
    expect(l.stats().pending).toBeLessThanOrEqual(50 + 500);
    open = true;
    await until(() => l.stats().stored >= 500, 10_000);
    s.end();
    await l.stop();
    expect(l.stats()).toMatchObject({ received: 500, stored: 500, dropped: 0 });
    expect(l.stats().busy).toBeGreaterThan(0);
    expect((await store.search('host:bphost', { limit: 1000 })).events.length).toBe(500);
  });

  it('UDP under BUSY counts drops instead of buffering', async () => {
    const refusing: IngestSink = { submit: () => Promise.reject(new GarrisonError('BUSY', 'full')) };
    const l = new SyslogListener({ protocol: 'udp', host: '127.0.0.1', port: 0, flushMs: 1, batchSize: 5, maxPendingRecords: 10 });
    await l.start(refusing);
    const c = dgram.createSocket('udp4');
    for (let i = 0; i < 40; i++) await new Promise<void>((r) => c.send(`<13>Jan  2 03:04:05 h p: ${i}`, l.address().port, '127.0.0.1', () => r()));
    await until(() => l.stats().received + l.stats().dropped >= 40 || l.stats().dropped > 0);
    await until(() => l.stats().pending === 0);
    c.close();
    await l.stop();
    const st = l.stats();
    expect(st.dropped).toBeGreaterThan(0);
    expect(st.stored).toBe(0);
    expect(st.pending).toBe(0);
  });
});

describe('sources map', () => {
  it('validates every configured source and lists all problems with their place', () => {
    expect(() => createConfiguredSources([{ kind: 'syslog', protocol: 'tls', port: 99999 }, { kind: 'syslog', protocol: 'carrier-pigeon' }])).toThrow(
      /sources\[0\]\.port[\s\S]*sources\[0\]\.tls[\s\S]*sources\[1\]\.protocol/,
    );
    const ok = createConfiguredSources([{ kind: 'syslog', protocol: 'udp', port: 5514 }, { kind: 'syslog', protocol: 'tcp', port: 5514 }]);
    expect(ok.map((s) => s.name)).toEqual(['syslog-udp-5514', 'syslog-tcp-5514']);
  });
});
