/** Streaming through HEC against a real HTTP server on a local socket. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { streamToHec, hecUrl } from './hec.js';
import { Simulation } from './simulation.js';
import { isGarrisonError } from '../core/errors.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
  server = undefined;
});

function body(req: IncomingMessage): Promise<string> {
  return new Promise((res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => res(Buffer.concat(chunks).toString('utf8')));
  });
}

async function listen(handler: (req: IncomingMessage, text: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<string> {
  server = createServer(async (req, res) => {
    const text = await body(req);
    const r = handler(req, text);
    res.writeHead(r.status, { 'Content-Type': 'application/json', ...(r.headers ?? {}) });
    res.end(r.body ?? '{"text":"Success","code":0}');
  });
  await new Promise<void>((res) => server!.listen(0, '127.0.0.1', () => res()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

describe('streamToHec', () => {
  it('sends every record with its sourcetype, honours 503 Retry-After and the token', async () => {
    let calls = 0;
    const received: any[] = [];
    const paths = new Set<string>();
    const url = await listen((req, text) => {
      calls++;
      paths.add(req.url ?? '');
      expect(req.headers.authorization).toBe('Splunk tok-123');
      if (calls === 2) return { status: 503, headers: { 'Retry-After': '1' }, body: '{"text":"Server is busy","code":9}' };
      for (const part of text.split('\n')) received.push(JSON.parse(part));
      return { status: 200 };
    });
    const sim = new Simulation({ seed: 4, hours: 1, start: Date.UTC(2026, 10, 23, 9), scenario: 'quiet' });
    const expected = [...sim.records()].length;
    const sleeps: number[] = [];
    const r = await streamToHec(sim.records(), { url, token: 'tok-123', speed: 'max', batchSize: 50, sleep: async (ms) => void sleeps.push(ms) });
    expect(r.sent).toBe(expected);
    expect(received.length).toBe(expected);
    expect(r.retries).toBe(1);
    expect(sleeps).toEqual([1000]);
    expect(paths).toEqual(new Set(['/services/collector/event']));
    const types = new Set(received.map((e) => e.sourcetype));
    expect(types).toEqual(new Set(['winlog', 'zeek', 'proxy', 'cloudtrail', 'signin', 'syslog', 'auditd']));
    for (const e of received.slice(0, 200)) {
      expect(typeof e.time).toBe('number');
      expect(typeof e.host).toBe('string');
      expect(e.event).toBeDefined();
    }
  });

  it('paces by simulated time with --speed N', async () => {
    const url = await listen(() => ({ status: 200 }));
    let clock = 0;
    const sleeps: number[] = [];
    const sim = new Simulation({ seed: 4, hours: 1, scenario: 'quiet' });
    await streamToHec(sim.records(), { url, token: 't', speed: 3600, now: () => clock, sleep: async (ms) => { sleeps.push(ms); clock += ms; } });
    // One simulated hour at 3600x takes about one (fake) second of waiting.
    const total = sleeps.reduce((s, x) => s + x, 0);
    expect(total).toBeGreaterThan(900);
    expect(total).toBeLessThanOrEqual(1000);
  });

  it('fails clearly on a refused token or an unreachable server', async () => {
    const url = await listen(() => ({ status: 401, body: '{"text":"Invalid token","code":4}' }));
    const sim = new Simulation({ seed: 4, hours: 1, scenario: 'quiet' });
    await expect(streamToHec(sim.records(), { url, token: 'bad', speed: 'max' })).rejects.toSatisfy((e: unknown) => isGarrisonError(e, 'SIM_STREAM_FAILED') && /token/.test((e as Error).message));
    await expect(streamToHec(sim.records(), { url: 'http://127.0.0.1:1', token: 'x', speed: 'max' })).rejects.toSatisfy((e: unknown) => isGarrisonError(e, 'SIM_STREAM_FAILED'));
    expect(() => hecUrl('not a url')).toThrow(/not a URL/);
    expect(() => hecUrl('ftp://x')).toThrow(/http/);
    expect(hecUrl('http://h:8088')).toBe('http://h:8088/services/collector/event');
  });

  it('gives up after too many busy answers', async () => {
    const url = await listen(() => ({ status: 503, headers: { 'Retry-After': '2' } }));
    const sim = new Simulation({ seed: 4, hours: 1, scenario: 'quiet' });
    await expect(streamToHec(sim.records(), { url, token: 't', speed: 'max', maxRetries: 3, sleep: async () => {} })).rejects.toSatisfy((e: unknown) => isGarrisonError(e, 'SIM_STREAM_FAILED') && /busy/.test((e as Error).message));
  });
});
