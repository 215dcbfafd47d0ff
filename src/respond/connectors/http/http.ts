/**
 * Generic HTTP connector: templated requests and response checks, for EDR, firewall and
 * identity-provider APIs (examples in ./templates). Per action kind it declares how to apply,
 * revert and observe:
 *
 *   operations:
 *     isolate_host:
 *       apply:   { method: POST, path: "/hosts/{{agentId}}/isolate", body: { comment: "{{message}}" } }
 *       revert:  { method: POST, path: "/hosts/{{agentId}}/release" }
 *       observe: { method: GET, path: "/hosts/{{agentId}}", inEffect: { pointer: /isolation, equals: isolated } }
 *
 * Template variables come from the canonical target (host, ip, agentId, pid, guid, image, path,
 * sha256, account, domain, cidr) and the call (actionId, idempotencyKey, message). In paths and
 * query strings values are percent-encoded; in JSON bodies a string that is exactly "{{var}}"
 * takes the value (numbers stay numbers), others are interpolated — values are never spliced into
 * JSON text. Header values may name secrets as ${env:NAME} (read at request time).
 * Transport errors, timeouts, 429 and 5xx are transient (the executor retries with back-off);
 * other statuses and failed checks are permanent. apply/revert send an Idempotency-Key header.
 */
import { z } from 'zod';
import { GarrisonError } from '../../../core/errors.js';
import type { ActionTarget, ForwardKind } from '../../types.js';
import { FORWARD_KINDS } from '../../types.js';
import { permanent, transient, type Connector, type ConnectorCall, type ConnectorHealth } from '../port.js';

const header = z.string().min(1).max(8192);
const ExpectSchema = z.strictObject({
  /** Accepted HTTP statuses (default 2xx). */
  status: z.array(z.number().int().min(100).max(599)).optional(),
  /** A JSON pointer into the response that must equal a value. */
  pointer: z.string().regex(/^(\/[^/]*)*$/).optional(),
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
});

export const RequestSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** Path (appended to baseUrl) with {{var}} placeholders; may carry a query string. */
  path: z.string().min(1).max(4096).startsWith('/'),
  query: z.record(z.string(), z.string().max(4096)).optional(),
  body: z.unknown().optional(),
  headers: z.record(z.string(), header).optional(),
  expect: ExpectSchema.optional(),
});

export const ObserveSchema = RequestSchema.extend({
  /** The effect is in force when the value at `pointer` equals `equals` (or is one of `in`). */
  inEffect: z.strictObject({ pointer: z.string().regex(/^(\/[^/]*)*$/), equals: z.union([z.string(), z.number(), z.boolean()]).optional(), in: z.array(z.union([z.string(), z.number(), z.boolean()])).optional() }),
  /** Statuses meaning the object is gone (e.g. 404 for a released host or a killed process). */
  absentStatus: z.array(z.number().int().min(100).max(599)).default([]),
  /** What a gone object means: not in effect (default), or in effect (a killed process). */
  absentInEffect: z.boolean().default(false),
});

export const OperationSchema = z.strictObject({
  apply: RequestSchema,
  revert: RequestSchema.optional(),
  observe: ObserveSchema.optional(),
});

export const HttpConfigSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), header).default({}),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  idempotencyHeader: z.string().min(1).max(100).default('Idempotency-Key'),
  /** Largest response body read. */
  maxResponseBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** GET this path for the health check. */
  healthPath: z.string().startsWith('/').optional(),
  operations: z.partialRecord(z.enum(FORWARD_KINDS), OperationSchema),
});
export type HttpConfig = z.input<typeof HttpConfigSchema>;
type Req = z.output<typeof RequestSchema>;

type Vars = Record<string, string | number | undefined>;

export function templateVars(t: ActionTarget, call?: ConnectorCall): Vars {
  const v: Vars = { actionId: call?.actionId, idempotencyKey: call?.idempotencyKey, message: call ? (call.message ?? '') : undefined };
  switch (t.type) {
    case 'host':
      Object.assign(v, { host: t.host, ip: t.ip, agentId: t.agentId ?? t.host });
      break;
    case 'process':
      Object.assign(v, { host: t.host, ip: t.ip, agentId: t.agentId ?? t.host, pid: t.pid, guid: t.guid, image: t.image });
      break;
    case 'file':
      Object.assign(v, { host: t.host, ip: t.ip, agentId: t.agentId ?? t.host, path: t.path, sha256: t.sha256 });
      break;
    case 'ip':
      Object.assign(v, { cidr: t.cidr });
      break;
    case 'domain':
      Object.assign(v, { domain: t.domain });
      break;
    case 'account':
      Object.assign(v, { account: t.account, user: t.account.includes('\\') ? t.account.split('\\')[1] : t.account.split('@')[0] });
      break;
    case 'channel':
      Object.assign(v, { channel: t.channel, subject: t.subject });
      break;
  }
  return v;
}

const PH = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;

/** The variables a template uses. */
function usedVars(x: unknown, out = new Set<string>()): Set<string> {
  if (typeof x === 'string') for (const m of x.matchAll(PH)) out.add(m[1]!);
  else if (Array.isArray(x)) for (const y of x) usedVars(y, out);
  else if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) (usedVars(k, out), usedVars(y, out));
  return out;
}

function fill(s: string, vars: Vars, encode: boolean): string {
  return s.replace(PH, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new GarrisonError('RESPOND_PRECONDITION_FAILED', `the request template needs {{${name}}}, which this target does not have`);
    return encode ? encodeURIComponent(String(v)) : String(v);
  });
}

function fillBody(x: unknown, vars: Vars): unknown {
  if (typeof x === 'string') {
    const whole = /^\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}$/.exec(x);
    if (whole) {
      const v = vars[whole[1]!];
      if (v === undefined) throw new GarrisonError('RESPOND_PRECONDITION_FAILED', `the request template needs {{${whole[1]}}}, which this target does not have`);
      return v;
    }
    return fill(x, vars, false);
  }
  if (Array.isArray(x)) return x.map((y) => fillBody(y, vars));
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, fillBody(y, vars)]));
  return x;
}

/** RFC 6901 JSON pointer. */
export function pointerGet(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Array.isArray(cur) ? cur[Number(k)] : (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function envHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    out[k] = v.replace(/\$\{env:([A-Z_][A-Z0-9_]*)\}/g, (_m, n: string) => {
      const val = process.env[n];
      if (val === undefined) throw permanent(`environment variable ${n} (used in header ${k}) is not set`);
      return val;
    });
  }
  return out;
}

export class HttpConnector implements Connector {
  readonly type = 'http';
  readonly kinds: readonly ForwardKind[];
  private readonly cfg: z.output<typeof HttpConfigSchema>;

  constructor(
    readonly name: string,
    config: HttpConfig,
    kinds?: readonly ForwardKind[],
  ) {
    this.cfg = HttpConfigSchema.parse(config);
    const have = Object.keys(this.cfg.operations) as ForwardKind[];
    this.kinds = kinds ? kinds.filter((k) => have.includes(k)) : have;
  }

  private op(kind: ForwardKind) {
    const o = this.cfg.operations[kind];
    if (!o) throw new GarrisonError('RESPOND_NO_CONNECTOR', `${this.name} has no template for ${kind}`);
    return o;
  }

  check(kind: ForwardKind, t: ActionTarget): string | undefined {
    const o = this.cfg.operations[kind];
    if (!o) return `${this.name} has no template for ${kind}`;
    const vars = templateVars(t, { actionId: 'x', idempotencyKey: 'x', message: 'x' });
    const missing = [...usedVars([o.apply, o.revert, o.observe])].filter((v) => vars[v] === undefined);
    return missing.length ? `the ${this.name} templates need ${missing.map((m) => `{{${m}}}`).join(', ')}, which this target does not have` : undefined;
  }

  /** Sends one templated request; returns status and parsed JSON (or undefined). */
  async send(r: Req, vars: Vars, idempotencyKey?: string): Promise<{ status: number; json: unknown }> {
    let url = this.cfg.baseUrl.replace(/\/$/, '') + fill(r.path, vars, true);
    if (r.query) {
      const qs = Object.entries(r.query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(fill(v, vars, false))}`);
      url += (url.includes('?') ? '&' : '?') + qs.join('&');
    }
    const headers: Record<string, string> = { accept: 'application/json', ...envHeaders(this.cfg.headers), ...envHeaders(r.headers ?? {}) };
    let body: string | undefined;
    if (r.body !== undefined && r.method !== 'GET') {
      body = JSON.stringify(fillBody(r.body, vars));
      headers['content-type'] = 'application/json';
    }
    if (idempotencyKey) headers[this.cfg.idempotencyHeader] = idempotencyKey;
    let res: Response;
    try {
      res = await fetch(url, { method: r.method, headers, body, signal: AbortSignal.timeout(this.cfg.timeoutMs), redirect: 'error' });
    } catch (e) {
      const why = (e as Error).name === 'TimeoutError' ? `timed out after ${this.cfg.timeoutMs} ms` : ((e as { cause?: Error }).cause?.message ?? (e as Error).message);
      throw transient(`${this.name}: ${r.method} ${r.path}: ${why}`, e);
    }
    const text = await readCapped(res, this.cfg.maxResponseBytes);
    let json: unknown;
    try {
      json = text.length ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  }

  private checkResponse(r: Req, what: string, res: { status: number; json: unknown }): void {
    const ok = r.expect?.status ? r.expect.status.includes(res.status) : res.status >= 200 && res.status < 300;
    if (!ok) {
      const msg = `${this.name}: ${what} answered HTTP ${res.status}`;
      if (res.status === 429 || res.status >= 500 || res.status === 408) throw transient(msg);
      throw permanent(msg);
    }
    if (r.expect?.pointer !== undefined) {
      const v = pointerGet(res.json, r.expect.pointer);
      if (v !== r.expect.equals) throw permanent(`${this.name}: ${what}: ${r.expect.pointer} is ${JSON.stringify(v)}, expected ${JSON.stringify(r.expect.equals)}`);
    }
  }

  async health(): Promise<ConnectorHealth> {
    if (!this.cfg.healthPath) return { ok: true, detail: `${Object.keys(this.cfg.operations).length} operation template(s); no health path configured` };
    try {
      const res = await this.send({ method: 'GET', path: this.cfg.healthPath }, {});
      return { ok: res.status >= 200 && res.status < 300, detail: `GET ${this.cfg.healthPath}: HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, detail: (e as Error).message };
    }
  }

  async observe(kind: ForwardKind, t: ActionTarget): Promise<boolean | undefined> {
    const o = this.op(kind).observe;
    if (!o) return undefined;
    const res = await this.send(o, templateVars(t));
    if (o.absentStatus.includes(res.status)) return o.absentInEffect;
    this.checkResponse(o, `observe ${kind}`, res);
    const v = pointerGet(res.json, o.inEffect.pointer);
    if (o.inEffect.in) return o.inEffect.in.includes(v as string);
    return v === o.inEffect.equals;
  }

  async apply(kind: ForwardKind, t: ActionTarget, call: ConnectorCall): Promise<void> {
    const r = this.op(kind).apply;
    this.checkResponse(r, `${kind}`, await this.send(r, templateVars(t, call), call.idempotencyKey));
  }

  async revert(kind: ForwardKind, t: ActionTarget, call: ConnectorCall): Promise<void> {
    const r = this.op(kind).revert;
    if (!r) throw new GarrisonError('RESPOND_NOT_REVERSIBLE', `${this.name} has no revert template for ${kind}`);
    this.checkResponse(r, `undo ${kind}`, await this.send(r, templateVars(t, call), call.idempotencyKey));
  }
}

async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      throw permanent(`response larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
