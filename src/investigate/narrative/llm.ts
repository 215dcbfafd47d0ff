/**
 * Optional LLM narrative (off by default). Sends the ledger (titles, evidence ids, cited event
 * ids, verdict factors) to an OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM,
 * llama.cpp) or Anthropic's Messages API, asks for JSON {summary, claims[{text, cites}],
 * hypotheses[]}, and checks every claim: each cited event id must be in the ledger, and every
 * event id, IP address, domain or hash mentioned in the text must appear in the evidence. A claim
 * that does not check out is removed and recorded in `rejected`. The LLM never decides: the
 * verdict is computed before and independently. Any failure (timeout, HTTP error, garbage) keeps
 * the template narrative and records `llmError`.
 */
import { z } from 'zod';
import type { Incident } from '../../core/incident.js';
import type { Ledger, Narrative, NarrativeClaim } from '../types.js';
import type { ScoredVerdict } from '../verdict/model.js';

export const LlmConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    provider: z.enum(['openai', 'anthropic']).default('openai'),
    /** OpenAI-compatible: base URL including /v1 (e.g. http://127.0.0.1:11434/v1); Anthropic: https://api.anthropic.com */
    baseUrl: z.string().url(),
    model: z.string().min(1).max(200),
    apiKey: z.string().max(4096).optional(),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    maxTokens: z.number().int().min(64).max(32_000).default(1500),
    maxResponseBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
    /** Most evidence items sent (strongest first). */
    maxEvidence: z.number().int().min(1).max(2000).default(80),
  })
  .strict();
export type LlmConfig = z.input<typeof LlmConfigSchema>;

const SYSTEM = `You are assisting a security analyst. You receive the evidence ledger of an automatic investigation.
Write a short factual narrative of what happened. Answer with JSON only, no prose around it:
{"summary": "2-4 sentences", "claims": [{"text": "one sentence", "cites": ["<event id>", ...]}], "hypotheses": ["an extra hypothesis worth testing", ...]}
Rules: every claim cites the event ids (from "eventIds" in the ledger) it rests on; mention only hosts, users, addresses,
domains and hashes that appear in the ledger; never invent event ids; do not change the verdict.`;

export function ledgerPrompt(incident: Incident, ledger: Ledger, verdict: ScoredVerdict, maxEvidence: number): string {
  const ev = ledger.steps.flatMap((s) => s.evidence.map((e) => ({ step: s.id, id: e.id, title: e.title, eventIds: e.eventIds.slice(0, 8) })));
  return JSON.stringify({
    incident: { id: incident.id, title: incident.title, firstSeen: new Date(incident.firstSeen).toISOString(), lastSeen: new Date(incident.lastSeen).toISOString() },
    verdict: { verdict: verdict.verdict, confidence: verdict.confidence, factors: verdict.factors.map((f) => ({ factor: f.factor, weight: f.weight, detail: f.detail })) },
    evidence: ev.slice(0, maxEvidence),
  });
}

const HEX32 = /\b[0-9a-f]{32}\b/gi;
const HASH = /\b(?:[0-9a-f]{40}|[0-9a-f]{64})\b/gi;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const DOMAIN = /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24})\b/gi;
const FILE_EXT = new Set(['exe', 'dll', 'ps1', 'bat', 'cmd', 'vbs', 'js', 'txt', 'log', 'zip', 'docm', 'doc', 'docx', 'xlsm', 'xls', 'xlsx', 'msi', 'sys', 'lnk', 'json', 'yaml', 'yml', 'csv', 'nwlock', 'hta', 'ini', 'dat', 'tmp', 'png', 'jpg']);

/** Checks one piece of LLM text against the ledger; returns the reason it fails, or undefined. */
export function checkText(text: string, cites: string[], known: { eventIds: Set<string>; corpus: string }): string | undefined {
  for (const c of cites) if (!known.eventIds.has(c)) return `cites event id ${c.slice(0, 40)} which is not in the evidence`;
  for (const m of text.match(HEX32) ?? []) if (!known.eventIds.has(m.toLowerCase()) && !known.corpus.includes(m.toLowerCase())) return `mentions id ${m} which is not in the evidence`;
  for (const m of text.match(HASH) ?? []) if (!known.corpus.includes(m.toLowerCase())) return `mentions hash ${m.slice(0, 16)}… which is not in the evidence`;
  for (const m of text.match(IPV4) ?? []) if (!known.corpus.includes(m)) return `mentions address ${m} which is not in the evidence`;
  for (const m of text.match(DOMAIN) ?? []) {
    const l = m.toLowerCase();
    const tld = l.slice(l.lastIndexOf('.') + 1);
    if (FILE_EXT.has(tld)) continue;
    if (!known.corpus.includes(l)) return `mentions ${m} which is not in the evidence`;
  }
  return undefined;
}

function extractJson(content: string): unknown {
  let s = content.trim();
  const fence = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(s);
  if (fence) s = fence[1];
  return JSON.parse(s);
}

const ReplySchema = z.object({
  summary: z.string().max(4000),
  claims: z.array(z.object({ text: z.string().min(1).max(2000), cites: z.array(z.string().max(200)).max(100).default([]) })).max(100),
  hypotheses: z.array(z.string().max(1000)).max(20).default([]),
});

async function call(cfg: z.output<typeof LlmConfigSchema>, prompt: string): Promise<string> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), cfg.timeoutMs);
  try {
    const base = cfg.baseUrl.replace(/\/+$/, '');
    let res: Response;
    if (cfg.provider === 'anthropic') {
      res = await fetch(`${base}/v1/messages`, {
        method: 'POST',
        signal: ctl.signal,
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...(cfg.apiKey ? { 'x-api-key': cfg.apiKey } : {}) },
        body: JSON.stringify({ model: cfg.model, max_tokens: cfg.maxTokens, system: SYSTEM, messages: [{ role: 'user', content: prompt }] }),
      });
    } else {
      res = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        signal: ctl.signal,
        headers: { 'content-type': 'application/json', ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}) },
        body: JSON.stringify({ model: cfg.model, temperature: 0, max_tokens: cfg.maxTokens, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: prompt }] }),
      });
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > cfg.maxResponseBytes) throw new Error(`response larger than ${cfg.maxResponseBytes} bytes`);
    const text = await res.text();
    if (text.length > cfg.maxResponseBytes) throw new Error(`response larger than ${cfg.maxResponseBytes} bytes`);
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('the response is not JSON');
    }
    const content =
      cfg.provider === 'anthropic'
        ? (body as { content?: { type?: string; text?: string }[] }).content?.find((c) => c.type === 'text')?.text
        : (body as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new Error('the response has no message content');
    return content;
  } catch (e) {
    if (ctl.signal.aborted) throw new Error(`no answer within ${cfg.timeoutMs} ms`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Asks the LLM for a narrative and validates it; falls back to `fallback` on any failure. */
export async function llmNarrative(config: LlmConfig, incident: Incident, ledger: Ledger, verdict: ScoredVerdict, fallback: Narrative): Promise<Narrative> {
  const parsed = LlmConfigSchema.safeParse(config);
  if (!parsed.success) return { ...fallback, llmError: `INVESTIGATE_LLM_FAILED: configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  const cfg = parsed.data;
  let reply: z.output<typeof ReplySchema>;
  try {
    const content = await call(cfg, ledgerPrompt(incident, ledger, verdict, cfg.maxEvidence));
    let json: unknown;
    try {
      json = extractJson(content);
    } catch {
      throw new Error('the model did not answer with JSON');
    }
    const r = ReplySchema.safeParse(json);
    if (!r.success) throw new Error(`the model's JSON has the wrong shape: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    reply = r.data;
  } catch (e) {
    return { ...fallback, llmError: `INVESTIGATE_LLM_FAILED: ${(e as Error).message}`.slice(0, 500) };
  }
  const eventIds = new Set(ledger.steps.flatMap((s) => s.evidence.flatMap((e) => e.eventIds)));
  const corpus = JSON.stringify({ ledger, incident: { title: incident.title, entities: incident.entities } }).toLowerCase().replace(/\\\\/g, '\\');
  const known = { eventIds, corpus };
  const claims: NarrativeClaim[] = [];
  const rejected: { text: string; reason: string }[] = [];
  for (const c of reply.claims) {
    const why = checkText(c.text, c.cites, known);
    if (why) rejected.push({ text: c.text.slice(0, 500), reason: why });
    else claims.push({ text: c.text, cites: c.cites });
  }
  let summary = reply.summary;
  const sWhy = checkText(summary, [], known);
  if (sWhy) {
    rejected.push({ text: summary.slice(0, 500), reason: `summary: ${sWhy}` });
    summary = fallback.summary;
  }
  const hypotheses: string[] = [];
  for (const h of reply.hypotheses) {
    const why = checkText(h, [], known);
    if (why) rejected.push({ text: h.slice(0, 500), reason: `hypothesis: ${why}` });
    else hypotheses.push(h);
  }
  return { source: 'llm', summary, claims, hypotheses, ...(rejected.length ? { rejected } : {}) };
}
