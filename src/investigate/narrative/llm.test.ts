/** LLM narrative contract tests against a local stub server (OpenAI-compatible and Anthropic shapes). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../core/incident.js';
import type { Ledger, Narrative } from '../types.js';
import type { ScoredVerdict } from '../verdict/model.js';
import { llmNarrative } from './llm.js';

const E1 = '019ab1c2d3e4f5a6b7c8d9e0f1a2b3c4';
const E2 = '019ab1c2d3e4f5a6b7c8d9e0f1a2b3c5';
const INVENTED = 'ffffffffffffffffffffffffffffffff';
const ledger: Ledger = {
  incidentId: 'inc-1',
  plan: { name: 'default', version: 1 },
  window: { from: 0, to: 10 },
  steps: [
    {
      id: 'detections',
      type: 'incident_signals',
      title: 'x',
      status: 'ok',
      queries: 0,
      results: 0,
      evidence: [{ id: 'ev-1', step: 'detections', title: 'PowerShell download cradle on nw-ws-017 contacting 203.0.113.7', query: { lookup: 'signals' }, eventIds: [E1, E2], facts: { kind: 'detection' } }],
    },
  ],
};
const incident = { id: 'inc-1', title: 'Phish', firstSeen: 0, lastSeen: 10, entities: [] } as unknown as Incident;
const verdict = { verdict: 'malicious', confidence: 0.9, score: 9, factors: [], wouldChange: [], by: 'garrison', decidedAt: 10, summary: 's' } as ScoredVerdict;
const fallback: Narrative = { source: 'template', summary: 'template summary', claims: [{ text: 't', cites: [E1] }] };

let server: Server;
let base = '';
let mode = 'good';
const seen: { path: string; auth?: string; body: any }[] = [];

function reply(content: string, anthropic: boolean): string {
  return anthropic ? JSON.stringify({ content: [{ type: 'text', text: content }] }) : JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization ?? (req.headers['x-api-key'] as string | undefined), body: JSON.parse(body || '{}') });
      const anth = req.url === '/v1/messages';
      res.setHeader('content-type', 'application/json');
      if (mode === 'timeout') return; // never answers
      if (mode === 'garbage') return res.end('<html>not json at all');
      if (mode === 'garbage-content') return res.end(reply('Sure! Here is the narrative: the attacker did things.', anth));
      if (mode === 'http500') {
        res.statusCode = 500;
        return res.end('{"error":"boom"}');
      }
      const claims =
        mode === 'invented'
          ? [
              { text: 'PowerShell ran a download cradle on nw-ws-017.', cites: [E1] },
              { text: 'It then beaconed every 15 minutes.', cites: [INVENTED] },
              { text: `The implant talked to 198.18.0.99 (event ${E2}).`, cites: [E2] },
              { text: 'Evil.example.net served the payload.', cites: [] },
            ]
          : [{ text: 'PowerShell on nw-ws-017 contacted 203.0.113.7.', cites: [E1, E2] }];
      const content = '```json\n' + JSON.stringify({ summary: 'A phishing document led to PowerShell contacting 203.0.113.7.', claims, hypotheses: ['Check other hosts for 203.0.113.7', 'Look for 10.99.99.99 too'] }) + '\n```';
      res.end(reply(content, anth));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('LLM narrative (stub server)', () => {
  it('accepts a narrative whose every claim checks out (OpenAI-compatible)', async () => {
    mode = 'good';
    const n = await llmNarrative({ enabled: true, baseUrl: `${base}/v1`, model: 'stub', apiKey: 'k1' }, incident, ledger, verdict, fallback);
    expect(n.source).toBe('llm');
    expect(n.claims).toEqual([{ text: 'PowerShell on nw-ws-017 contacted 203.0.113.7.', cites: [E1, E2] }]);
    expect(n.rejected?.map((r) => r.reason)).toEqual(['hypothesis: mentions address 10.99.99.99 which is not in the evidence']);
    expect(n.hypotheses).toEqual(['Check other hosts for 203.0.113.7']);
    const req = seen[seen.length - 1];
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.auth).toBe('Bearer k1');
    expect(req.body.messages[1].content).toContain(E1);
  });

  it('removes and records claims citing invented event ids or unknown indicators', async () => {
    mode = 'invented';
    const n = await llmNarrative({ enabled: true, baseUrl: `${base}/v1`, model: 'stub' }, incident, ledger, verdict, fallback);
    expect(n.claims.map((c) => c.text)).toEqual(['PowerShell ran a download cradle on nw-ws-017.']);
    expect(n.rejected!.map((r) => r.reason)).toEqual([
      `cites event id ${INVENTED} which is not in the evidence`,
      'mentions address 198.18.0.99 which is not in the evidence',
      'mentions Evil.example.net which is not in the evidence',
      'hypothesis: mentions address 10.99.99.99 which is not in the evidence',
    ]);
  });

  it('works with the Anthropic Messages API shape', async () => {
    mode = 'good';
    const n = await llmNarrative({ enabled: true, provider: 'anthropic', baseUrl: base, model: 'stub', apiKey: 'ak' }, incident, ledger, verdict, fallback);
    expect(n.source).toBe('llm');
    expect(seen[seen.length - 1].path).toBe('/v1/messages');
    expect(seen[seen.length - 1].auth).toBe('ak');
  });

  it('falls back to the template on a timeout', async () => {
    mode = 'timeout';
    const t0 = Date.now();
    const n = await llmNarrative({ enabled: true, baseUrl: `${base}/v1`, model: 'stub', timeoutMs: 300 }, incident, ledger, verdict, fallback);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(n.source).toBe('template');
    expect(n.summary).toBe('template summary');
    expect(n.llmError).toMatch(/INVESTIGATE_LLM_FAILED: no answer within 300 ms/);
  });

  it.each([
    ['garbage', /not JSON/],
    ['garbage-content', /did not answer with JSON/],
    ['http500', /HTTP 500/],
  ])('falls back to the template on %s', async (m, re) => {
    mode = m;
    const n = await llmNarrative({ enabled: true, baseUrl: `${base}/v1`, model: 'stub' }, incident, ledger, verdict, fallback);
    expect(n.source).toBe('template');
    expect(n.claims).toEqual(fallback.claims);
    expect(n.llmError).toMatch(re);
  });
});
