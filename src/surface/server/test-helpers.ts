/**
 * Test helpers: a real server on an ephemeral port with a real SQLite file in a temp dir.
 * (Used by *.test.ts beside the server, HEC and API code; not part of the product.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type GarrisonConfigInput } from '../../core/config.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../store/port.js';
import type { ServiceFactory } from './context.js';
import { startServer, type RunningServer } from './server.js';

export const API_TOKEN = 'test-api-token-0123456789abcdef';
export const HEC_TOKEN = '11111111-2222-3333-4444-555555555555';
export const HEC_DISABLED = '99999999-2222-3333-4444-555555555555';
export const HEC_INDEXED = '88888888-2222-3333-4444-555555555555';

export interface TestServer extends RunningServer {
  dir: string;
  stop(): Promise<void>;
  hec(path: string, body: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; json: any; headers: Headers }>;
  api(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; json: any; headers: Headers }>;
}

export async function startTestServer(overrides: GarrisonConfigInput = {}, opts: { store?: Store; services?: readonly ServiceFactory[] } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'garrison-srv-'));
  const config = defaultConfig({
    ...overrides,
    dataDir: dir,
    server: { port: 0, ...(overrides.server ?? {}) },
    auth: {
      apiTokens: [{ name: 'test', token: API_TOKEN }],
      hecTokens: [
        { name: 'hec', token: HEC_TOKEN },
        { name: 'off', token: HEC_DISABLED, disabled: true },
        { name: 'idx', token: HEC_INDEXED, indexes: ['main', 'security'] },
      ],
      ...(overrides.auth ?? {}),
    },
    store: { fts: 'off', ...(overrides.store ?? {}) },
    logging: { level: 'silent' },
  });
  const srv = await startServer({ config, logger: silentLogger(), defaultMetrics: false, store: opts.store, services: opts.services });
  const call = async (method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>) => {
    const res = await fetch(srv.url + path, { method, body: body as string | Uint8Array | undefined, headers });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers };
  };
  return Object.assign(srv, {
    dir,
    async stop() {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    },
    hec: (path: string, body: string | Buffer, headers: Record<string, string> = {}) => call('POST', path, body, { authorization: `Splunk ${HEC_TOKEN}`, ...headers }),
    api: (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => call(method, path, body, { authorization: `Bearer ${API_TOKEN}`, ...headers }),
  });
}
