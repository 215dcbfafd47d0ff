/**
 * Test helpers for coverage (not product code): native records -> normalized events through the
 * parser registry, and a temporary SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GarrisonEvent } from '../core/event.js';
import { parseRecord } from '../normalize/registry.js';
import { openSqliteStore, type SqliteStore } from '../store/index.js';

let seq = 0;

export function winlog(channel: string, eventId: number, data: Record<string, unknown>, time: number, host = 'WS1', provider = 'Microsoft-Windows-Sysmon'): GarrisonEvent {
  const rec = { '@timestamp': new Date(time).toISOString(), winlog: { channel, provider_name: provider, event_id: String(eventId), computer_name: host, event_data: data } };
  const r = parseRecord({ data: rec, origin: `test:${seq++}`, input: 'test', tenant: 'default', receivedAt: time, format: 'winlog' });
  if (!r.ok) throw r.error;
  return r.event;
}

export function cloudtrail(eventSource: string, eventName: string, time: number, user = 'ci-deployer'): GarrisonEvent {
  const rec = {
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/${user}`, accountId: '111122223333', userName: user },
    eventTime: new Date(time).toISOString().replace('.000Z', 'Z'),
    eventSource,
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15',
    requestParameters: { bucketName: 'finance-exports' },
    eventID: `id-${seq++}`,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
  const r = parseRecord({ data: rec, origin: `test:${seq++}`, input: 'test', tenant: 'default', receivedAt: time, format: 'cloudtrail' });
  if (!r.ok) throw r.error;
  return r.event;
}

export async function tempStore(): Promise<{ store: SqliteStore; dir: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'garrison-cov-'));
  const store = openSqliteStore({ file: join(dir, 'garrison.db'), fts: 'off' });
  await store.init();
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
