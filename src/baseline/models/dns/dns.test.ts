import { describe, expect, it } from 'vitest';
import { BaselineStage } from '../../stage.js';
import { DAY, T0, dnsq, rng } from '../../fixtures/events.js';
import type { GarrisonEvent } from '../../../core/event.js';
import { dgaScore } from './ngram.js';

const only = (extra: Record<string, unknown> = {}) => ({
  models: {
    dns: { learningMs: DAY, ...extra },
    rarity: { enabled: false }, peer: { enabled: false }, time: { enabled: false }, volume: { enabled: false }, beaconing: { enabled: false }, auth: { enabled: false },
  },
});

const NORMAL = ['www.google.com', 'outlook.office365.com', 'login.microsoftonline.com', 'github.com', 'api.slack.com', 'news.bbc.co.uk', 'cdn.jsdelivr.net'];

function learn(): GarrisonEvent[] {
  const out = [];
  for (let i = 0; i < 50; i++) for (const n of NORMAL) out.push(dnsq(T0 + i * 60_000, `ws-${i % 5}`, n));
  return out;
}

function randomLabel(r: () => number, n: number): string {
  const a = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += a[Math.floor(r() * (i % 4 === 3 ? a.length : 26))];
  return s;
}

describe('dns model', () => {
  it('scores generated-looking labels above ordinary ones', () => {
    for (const w of ['wikipedia', 'salesforce', 'kubernetes', 'letsencrypt', 'stackoverflow', 'microsoftonline']) expect(dgaScore(w).score).toBeLessThan(0.6);
    for (const w of ['xjwqpzkvbm', 'a8f3k2j9xq', 'lhfvbrmtkq', 'qmzx7tk2vbw9']) expect(dgaScore(w).score).toBeGreaterThanOrEqual(0.6);
  });

  it('flags generated-looking new domains and a burst of them from one host; ordinary new domains stay below threshold', () => {
    const s = new BaselineStage(only());
    expect(s.observe(learn())).toEqual([]);
    const r = rng(9);
    const t = T0 + 2 * DAY;
    const evs = [dnsq(t, 'ws-3', 'www.bakeryexpress.com')];
    for (let i = 0; i < 6; i++) evs.push(dnsq(t + 1000 * (i + 1), 'ws-3', `${randomLabel(r, 12)}.net`));
    const sig = s.observe(evs);
    const kinds = sig.map((x) => x.details.kind);
    expect(kinds.filter((k) => k === 'dga_domain').length).toBeGreaterThanOrEqual(5);
    expect(kinds).toContain('dga_burst');
    expect(kinds).not.toContain('rare_domain');
    expect(s.stats.dropped.belowThreshold).toBeGreaterThanOrEqual(1); // the bakery
    const burst = sig.find((x) => x.details.kind === 'dga_burst')!;
    expect(burst.attack.techniques).toEqual(['T1568.002']);
  });

  it('extracts registered domains with the public suffix list', () => {
    const s = new BaselineStage(only({ rareDomainScore: 60 }));
    s.observe(learn());
    const sig = s.observe([dnsq(T0 + 2 * DAY, 'ws-1', 'a.b.c.evil-shop.co.uk'), dnsq(T0 + 2 * DAY + 1, 'ws-2', 'x.y.evil-shop.co.uk'), dnsq(T0 + 2 * DAY + 2, 'ws-2', 'static.bbc.co.uk')]);
    expect(sig.map((x) => x.details.entity)).toEqual([{ type: 'domain', id: 'evil-shop.co.uk' }]);
  });

  it('flags tunnelling: many long high-entropy subdomains under one domain; and TXT volume', () => {
    const s = new BaselineStage(only());
    s.observe(learn());
    const r = rng(10);
    const t = T0 + 2 * DAY;
    const evs = [];
    for (let i = 0; i < 40; i++) evs.push(dnsq(t + i * 2000, 'ws-4', `${randomLabel(r, 50)}.${randomLabel(r, 12)}.t.tunnel-example.com`));
    for (let i = 0; i < 50; i++) evs.push(dnsq(t + i * 2000, 'ws-2', `q${i}.txtexfil.org`, 'TXT'));
    const sig = s.observe(evs).filter((x) => x.details.kind === 'tunnelling');
    expect(sig.map((x) => x.details.pattern)).toEqual(['dns.tunnelling host=ws-4 domain=tunnel-example.com', 'dns.tunnelling host=ws-2 domain=txtexfil.org']);
    expect(sig[0].attack.techniques).toContain('T1071.004');
    expect((sig[0].details.seen as { longOrHighEntropyQueries: number }).longOrHighEntropyQueries).toBe(25);
  });

  it('ignores IP literals, hostile lengths and non-DNS events without throwing', () => {
    const s = new BaselineStage(only({ learningMs: 0 }));
    expect(() => s.observe([dnsq(T0, 'ws-1', '10.0.0.1'), dnsq(T0, 'ws-1', 'a'.repeat(100_000) + '.com'), dnsq(T0, 'ws-1', '..'), dnsq(T0, 'ws-1', '')])).not.toThrow();
  });
});
