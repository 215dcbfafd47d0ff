/**
 * A TAXII 2.1 client for scheduled pulls: discovery (`GET /taxii2/`), API root information,
 * collections, and a collection's objects with `added_after` and pagination (`next` / `more`
 * in the envelope). Every response must carry the TAXII media type and is size-capped; every
 * request has a timeout. The pull returns the STIX objects and the checkpoint to pass as
 * `added_after` next time (the `X-TAXII-Date-Added-Last` header, else the newest `date_added`).
 */
import { GarrisonError } from '../core/errors.js';

export const TAXII_MEDIA = 'application/taxii+json;version=2.1';

export interface TaxiiClientOptions {
  /** Discovery URL (`https://host/taxii2/`) or an API root URL. */
  url: string;
  username?: string;
  password?: string;
  token?: string;
  timeoutMs?: number;
  /** Largest response body, bytes (default 64 MiB). */
  maxBytes?: number;
  /** Most pages per pull (default 100). */
  maxPages?: number;
  /** Page size asked for (`limit`), default 1000. */
  pageSize?: number;
  fetch?: typeof fetch;
}

export interface TaxiiCollection {
  id: string;
  title: string;
  can_read: boolean;
  can_write: boolean;
  media_types?: string[];
}

export interface TaxiiPull {
  objects: Record<string, unknown>[];
  pages: number;
  /** Pass as `addedAfter` on the next pull. */
  checkpoint?: string;
  /** True when the pull stopped at maxPages with more available. */
  truncated: boolean;
}

export class TaxiiClient {
  private readonly o: Required<Pick<TaxiiClientOptions, 'timeoutMs' | 'maxBytes' | 'maxPages' | 'pageSize'>> & TaxiiClientOptions;
  constructor(opts: TaxiiClientOptions) {
    this.o = { timeoutMs: 30_000, maxBytes: 64 * 1024 * 1024, maxPages: 100, pageSize: 1000, ...opts };
    try {
      const u = new URL(opts.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new GarrisonError('BAD_REQUEST', `TAXII url ${JSON.stringify(String(opts.url).slice(0, 200))} is not an http(s) URL`, { location: { field: 'url' } });
    }
  }

  private async get(url: string): Promise<{ body: Record<string, unknown>; headers: Headers }> {
    const headers: Record<string, string> = { accept: TAXII_MEDIA };
    if (this.o.token) headers.authorization = `Bearer ${this.o.token}`;
    else if (this.o.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${this.o.username}:${this.o.password ?? ''}`).toString('base64')}`;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.o.timeoutMs);
    try {
      const f = this.o.fetch ?? fetch;
      let res: Response;
      try {
        res = await f(url, { headers, signal: ctl.signal, redirect: 'error' });
      } catch (e) {
        if (ctl.signal.aborted) throw new GarrisonError('INTEL_TAXII_TIMEOUT', `TAXII ${url}: no answer within ${this.o.timeoutMs} ms`);
        throw new GarrisonError('INTEL_TAXII_ERROR', `TAXII ${url}: ${(e as Error).message}`, { cause: e });
      }
      const text = await readCapped(res, this.o.maxBytes, url, ctl);
      if (!res.ok) throw new GarrisonError('INTEL_TAXII_ERROR', `TAXII ${url}: HTTP ${res.status} ${text.slice(0, 200)}`, { details: { status: res.status } });
      const ct = (res.headers.get('content-type') ?? '').toLowerCase().replace(/\s+/g, '');
      if (!ct.startsWith('application/taxii+json')) throw new GarrisonError('INTEL_TAXII_ERROR', `TAXII ${url}: unexpected content-type ${JSON.stringify(ct.slice(0, 80))}`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new GarrisonError('INTEL_TAXII_ERROR', `TAXII ${url}: the body is not JSON`);
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new GarrisonError('INTEL_TAXII_ERROR', `TAXII ${url}: the body is not a JSON object`);
      return { body: body as Record<string, unknown>, headers: res.headers };
    } catch (e) {
      if (ctl.signal.aborted && !(e instanceof GarrisonError && e.code === 'INTEL_TOO_LARGE')) throw new GarrisonError('INTEL_TAXII_TIMEOUT', `TAXII ${url}: no answer within ${this.o.timeoutMs} ms`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Discovery: the API roots the server lists (absolute URLs). */
  async discover(): Promise<{ title?: string; default?: string; apiRoots: string[] }> {
    const { body } = await this.get(this.o.url);
    const roots = Array.isArray(body.api_roots) ? body.api_roots.filter((r): r is string => typeof r === 'string') : [];
    const abs = (r: string) => new URL(r, this.o.url).toString();
    return { title: typeof body.title === 'string' ? body.title : undefined, default: typeof body.default === 'string' ? abs(body.default) : undefined, apiRoots: roots.map(abs) };
  }

  async apiRoot(root: string): Promise<Record<string, unknown>> {
    return (await this.get(slash(root))).body;
  }

  async collections(root: string): Promise<TaxiiCollection[]> {
    const { body } = await this.get(slash(root) + 'collections/');
    const list = Array.isArray(body.collections) ? body.collections : [];
    return list
      .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object' && typeof (c as { id?: unknown }).id === 'string')
      .map((c) => ({ id: String(c.id), title: typeof c.title === 'string' ? c.title : String(c.id), can_read: c.can_read === true, can_write: c.can_write === true, media_types: Array.isArray(c.media_types) ? (c.media_types as string[]) : undefined }));
  }

  /** Pulls a collection's objects, following `next` while `more` is true (bounded by maxPages). */
  async pull(root: string, collectionId: string, opts: { addedAfter?: string; types?: string[] } = {}): Promise<TaxiiPull> {
    if (!/^[A-Za-z0-9._~:-]{1,200}$/.test(collectionId)) throw new GarrisonError('BAD_REQUEST', `collection id ${JSON.stringify(collectionId.slice(0, 100))} is not valid`, { location: { field: 'collection' } });
    const base = `${slash(root)}collections/${encodeURIComponent(collectionId)}/objects/`;
    const objects: Record<string, unknown>[] = [];
    let next: string | undefined;
    let pages = 0;
    let checkpoint = opts.addedAfter;
    let newest: string | undefined;
    for (;;) {
      const q = new URLSearchParams();
      q.set('limit', String(this.o.pageSize));
      if (opts.addedAfter) q.set('added_after', opts.addedAfter);
      if (opts.types?.length) q.set('match[type]', opts.types.join(','));
      if (next) q.set('next', next);
      const { body, headers } = await this.get(`${base}?${q.toString()}`);
      pages++;
      const objs = Array.isArray(body.objects) ? body.objects : [];
      for (const o of objs) {
        if (o && typeof o === 'object' && !Array.isArray(o)) objects.push(o as Record<string, unknown>);
      }
      const last = headers.get('x-taxii-date-added-last');
      if (last) newest = !newest || last > newest ? last : newest;
      const more = body.more === true;
      const nx = typeof body.next === 'string' && body.next.length > 0 && body.next.length <= 1024 ? body.next : undefined;
      if (!more) break;
      if (!nx) {
        // TAXII 2.1 servers may page by added_after alone: continue from the newest date seen
        if (!last || last === q.get('added_after')) break;
        opts = { ...opts, addedAfter: last };
        next = undefined;
      } else if (nx === next) throw new GarrisonError('INTEL_TAXII_ERROR', `TAXII ${base}: the server repeated the same 'next' (${nx.slice(0, 80)})`);
      else next = nx;
      if (pages >= this.o.maxPages) return { objects, pages, checkpoint: newest ?? checkpoint, truncated: true };
    }
    if (newest) checkpoint = newest;
    return { objects, pages, checkpoint, truncated: false };
  }
}

function slash(u: string): string {
  return u.endsWith('/') ? u : u + '/';
}

async function readCapped(res: Response, max: number, url: string, ctl: AbortController): Promise<string> {
  const len = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(len) && len > max) {
    ctl.abort();
    throw new GarrisonError('INTEL_TOO_LARGE', `TAXII ${url}: response of ${len} bytes exceeds ${max}`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      ctl.abort();
      await reader.cancel().catch(() => undefined);
      throw new GarrisonError('INTEL_TOO_LARGE', `TAXII ${url}: response exceeds ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
